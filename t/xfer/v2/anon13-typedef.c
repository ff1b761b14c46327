/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of anon13-typedef: the same anonymous struct, or, with
 * -DGROW, one with a member more; the array behind port->addrs is
 * converted (grown, it no longer fits before banner in the pool: it
 * moves to a heap block of its own) and read back through the typedef. */
#include <stdint.h>
#include "xt.h"

struct pool {
	char *last, *end;
};

STF_ALLOCATOR void *pool_alloc(struct pool *p, size_t size);

void *pool_alloc(struct pool *p, size_t size)
{
	char *m = (char *)(((uintptr_t)p->last + 15) & ~(uintptr_t)15);
	if ((size_t)(p->end - m) < size)
		return NULL;
	p->last = m + size;
	return memset(m, 0, size);
}

typedef struct {
	unsigned addr;
	char name[8];
#ifdef GROW
	long hits;
#endif
} in_addr_t_;

struct port {
	void *addrs;   /* of in_addr_t_ */
	unsigned naddrs;
};

static struct pool *pool;
static struct port *port;
static char *banner;   /* after port->addrs in the pool */

static __attribute__((noinline)) long sum(void)
{
	long total = 0;
	for (unsigned i = 0; i < port->naddrs; i++)
		total += ((in_addr_t_ *)port->addrs)[i].addr;
	return total;
}

static __attribute__((noinline)) void init(void)
{
	pool = malloc(4096);
	pool->last = (char *)(pool + 1);
	pool->end = (char *)pool + 4096;
	port = pool_alloc(pool, sizeof *port);
	port->naddrs = 3;
	/* nginx's ngx_http_add_addrs: into the `void *` member, then used */
	port->addrs = pool_alloc(pool, port->naddrs * sizeof(in_addr_t_));
	in_addr_t_ *addrs = port->addrs;
	for (unsigned i = 0; i < port->naddrs; i++) {
		addrs[i].addr = 0x7f000001u + i;
		snprintf(addrs[i].name, sizeof addrs[i].name, "a%u", i);
	}
	banner = strcpy(pool_alloc(pool, 8), "ports");
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(port->naddrs == 3 && sum() == 3L * 0x7f000001u + 3);
	CHECK(!strcmp(banner, "ports"));
	for (unsigned i = 0; i < port->naddrs; i++) {
		char want[8];
		snprintf(want, sizeof want, "a%u", i);
		CHECK(!strcmp(((in_addr_t_ *)port->addrs)[i].name, want));
#ifdef GROW
		CHECK(((in_addr_t_ *)port->addrs)[i].hits == 0);
#endif
	}
	XT_V2_RESULT();
}
