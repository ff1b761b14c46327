/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An array of an anonymous struct named by a typedef (nginx's
 * `typedef struct { ... } ngx_http_in_addr_t;`) carved out of a pool by
 * an STF_ALLOCATOR function and kept in a `void *` member of a struct
 * (ngx_http_port_t.addrs): the code reads it through casts to the
 * typedef, so the block is typed by those uses.  Version 2 keeps the
 * type (anon13-typedef) or, built with -DGROW, adds a member to the
 * anonymous struct (anon13-typedef-grow). */
#include <stdint.h>
#include "xt.h"

/* ---- a bump pool: one 4 KB chunk ---- */
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
} in_addr_t_;

struct port {
	void *addrs;   /* of in_addr_t_ */
	unsigned naddrs;
};

static struct pool *pool;
static struct port *port;
static char *banner;   /* after port->addrs in the pool */

/* the code reads port->addrs through the typedef */
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
	if (sum() != 3L * 0x7f000001u + 3)
		abort();
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
