/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Lookups reached only as the argument of pending DNS requests
 * (evdns_base_resolve_ipv4 on a resolver with no nameserver: the
 * requests wait).  libevent allocates a request with its name and
 * packet in one block, so its size varies with the name: no measured
 * site and size says where the argument is, and the word pins the
 * lookup.  Version 2 grows struct lookup past its malloc chunk. */
#include <stdint.h>
#include <event2/event.h>
#include <event2/dns.h>
#include "xt.h"

#define NLOOKUPS 2

struct lookup {
	void *number; /* an integer */
	uint64_t answers;
	int status;
};

static struct event_base *base;
static struct evdns_base *dns;
static struct evdns_request *requests[NLOOKUPS];

static void on_answer(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	struct lookup *l = arg;
	(void)type, (void)ttl, (void)addresses;
	l->status = result;
	l->answers += (uint64_t)count;
}

static __attribute__((noinline)) void init(void)
{
	static const char *const names[NLOOKUPS] = { "one.invalid", "second.invalid" };
	base = event_base_new();
	dns = evdns_base_new(base, 0);
	for (long i = 0; i < NLOOKUPS; i++) {
		struct lookup *l = calloc(1, sizeof *l);
		l->number = (void *)(uintptr_t)(i + 1);
		requests[i] = evdns_base_resolve_ipv4(dns, names[i], 0, on_answer, l);
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		if (!requests[0] || !requests[1] || !dns || !base)
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
