/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Prefix-sharing variants (dnsmasq's struct server and its serv_addr4,
 * serv_addr6 and serv_local): one list of `struct server *` holds blocks
 * allocated as any of them, chosen by a runtime size; the shorter ones
 * share only the first members.  The allocation site is typed struct
 * server, so a block's allocated type is told by its size.  Version 2
 * adds a member to struct server after the shared prefix and one to
 * struct serv_addr6 (a variant with its own added member).  Written once:
 * version 2 is this file with V2 defined.
 */
#include <netinet/in.h>
#include "xt.h"

#define SERV_4ADDR 1
#define SERV_6ADDR 2
#define SERV_LOCAL 4

struct server {
	unsigned short flags, domain_len;
	char *domain;
	struct server *next;
	int serial, arrayposn;
	struct sockaddr_in6 addr;
	unsigned queries, failed_queries;
#ifdef V2
	unsigned retries;
#endif
	char interface[17];
};

/* The first four members must match struct server. */
struct serv_addr4 {
	unsigned short flags, domain_len;
	char *domain;
	struct server *next;
	struct in_addr addr;
};

struct serv_addr6 {
	unsigned short flags, domain_len;
	char *domain;
	struct server *next;
	struct in6_addr addr;
#ifdef V2
	unsigned ttl;
#endif
};

struct serv_local {
	unsigned short flags, domain_len;
	char *domain;
	struct server *next;
};

static struct server *local_domains, *servers;
static const char *const domains[] = { "lan", "example.org", "home.arpa", "test", "corp.example" };
#define NDOMAINS (sizeof(domains) / sizeof(*domains))

static __attribute__((noinline)) struct server *add_server(int flags, const char *domain, unsigned n)
{
	struct server *serv;
	size_t size;
	if (flags & SERV_6ADDR)
		size = sizeof(struct serv_addr6);
	else if (flags & SERV_4ADDR)
		size = sizeof(struct serv_addr4);
	else if (flags & SERV_LOCAL)
		size = sizeof(struct serv_local);
	else
		size = sizeof(struct server);
	serv = calloc(1, size);
	serv->flags = (unsigned short)flags;
	serv->domain = strdup(domain);
	serv->domain_len = (unsigned short)strlen(domain);
	if (flags & SERV_4ADDR)
		((struct serv_addr4 *)serv)->addr.s_addr = htonl(0x7f000000u + n);
	else if (flags & SERV_6ADDR)
		((struct serv_addr6 *)serv)->addr.s6_addr[15] = (unsigned char)n;
	if (flags) {
		serv->next = local_domains;
		local_domains = serv;
	} else {
		serv->serial = (int)n;
		serv->queries = 10 * n;
		serv->addr.sin6_port = htons((unsigned short)(5300 + n));
		strcpy(serv->interface, "eth0");
		serv->next = servers;
		servers = serv;
	}
	return serv;
}

static __attribute__((noinline)) void init(void)
{
	for (unsigned i = 0; i < NDOMAINS; i++) {
		add_server(SERV_4ADDR, domains[i], i);
		add_server(SERV_6ADDR, domains[i], i);
		add_server(SERV_LOCAL, domains[i], i);
		add_server(0, domains[i], i);
	}
}

static void check(void)
{
	unsigned counts[8] = { 0 };
	int k = 3 * (int)NDOMAINS - 1;
	for (const struct server *s = local_domains; s; s = s->next, k--) {
		unsigned i = (unsigned)k / 3;
		CHECK(k >= 0 && s->domain && !strcmp(s->domain, domains[i]) &&
		      s->domain_len == strlen(domains[i]));
		counts[s->flags & 7]++;
		if (s->flags & SERV_4ADDR)
			CHECK(((const struct serv_addr4 *)s)->addr.s_addr == htonl(0x7f000000u + i));
		if (s->flags & SERV_6ADDR) {
			const struct serv_addr6 *s6 = (const struct serv_addr6 *)s;
			CHECK(s6->addr.s6_addr[15] == i && s6->addr.s6_addr[0] == 0);
#ifdef V2
			CHECK(s6->ttl == 0);
#endif
		}
	}
	CHECK(k == -1);
	CHECK(counts[SERV_4ADDR] == NDOMAINS && counts[SERV_6ADDR] == NDOMAINS &&
	      counts[SERV_LOCAL] == NDOMAINS);
	k = (int)NDOMAINS - 1;
	for (const struct server *s = servers; s; s = s->next, k--)
		CHECK(k >= 0 && !strcmp(s->domain, domains[k]) && s->serial == k &&
		      s->queries == 10u * (unsigned)k && s->addr.sin6_port == htons((unsigned short)(5300 + k)) &&
		      !strcmp(s->interface, "eth0"));
	CHECK(k == -1);
}

XT_MAIN_CHECKED(init, check)
