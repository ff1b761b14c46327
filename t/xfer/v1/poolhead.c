/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An nginx-style pool: its header starts the block the pool carves its
 * objects out of (ngx_create_pool's `ngx_pool_t *p = ngx_memalign(...)`),
 * the cycle is carved right after it, then the cycle's name, and the
 * header's `log` points into the cycle (ngx_init_cycle's `pool->log =
 * &cycle->new_log`).  With the argument "apart" the header is a heap
 * block of its own and only the objects are carved out of the block;
 * with "runsize" the name's size is known at run time only.
 * Version 2 reorders the header's members and grows the cycle past its
 * place (it moves out of the block alone); with -DPOOL_HEADER_GROWS the
 * header gains a member instead. */
#include <stdint.h>
#include "xt.h"

#define POOL_SIZE 1024

struct log {
	int fd;
	long lines;
};

struct pool {
	char *last, *end; /* free space */
	struct pool *current;
	int failed;
	struct log *log;
};

struct cycle {
	struct pool *pool;
	struct log new_log;
	long hits;
	char *name;
};

STF_ALLOCATOR __attribute__((alloc_size(2))) void *pool_memalign(size_t alignment, size_t size);
STF_ALLOCATOR void *pool_alloc(struct pool *pool, size_t size);

void *pool_memalign(size_t alignment, size_t size)
{
	void *p;
	return posix_memalign(&p, alignment, size) ? NULL : p;
}

void *pool_alloc(struct pool *pool, size_t size)
{
	char *m = (char *)(((uintptr_t)pool->last + 15) & ~(uintptr_t)15);
	if ((size_t)(pool->end - m) < size) {
		pool->failed++;
		return NULL;
	}
	pool->last = m + size;
	return m;
}

static struct pool *pool_create(void)
{
	struct pool *p = pool_memalign(16, POOL_SIZE);
	p->last = (char *)(p + 1);
	p->end = (char *)p + POOL_SIZE;
	return p;
}

static struct pool *pool_create_apart(void)
{
	struct pool *p = malloc(sizeof(*p));
	char *block = pool_memalign(16, POOL_SIZE);
	p->last = block;
	p->end = block + POOL_SIZE;
	return p;
}

static const char *mode = "";
static struct cycle *cycle;

static void init(void)
{
	struct pool *p = strcmp(mode, "apart") ? pool_create() : pool_create_apart();
	p->current = p;
	p->failed = 0;
	struct cycle *c = pool_alloc(p, sizeof(*c));
	c->pool = p;
	c->new_log.fd = 2;
	c->new_log.lines = 5;
	c->hits = 1000;
	/* "runsize": a size known at run time only (nginx's ngx_pstrdup's) */
	c->name = pool_alloc(p, strcmp(mode, "runsize") ? 8 : strlen(mode) + 1);
	strcpy(c->name, "startup");
	p->log = &c->new_log;
	cycle = c;
}

/* A request reads all of the state, the log through the pool's header
 * (so that -O2 keeps it). */
static long serve(void)
{
	struct pool *p = cycle->pool;
	return cycle->hits + p->log->lines + p->failed + (p->current == p) + (p->end - p->last) +
	       cycle->name[0];
}

int main(int argc, char **argv)
{
	if (argc > 1)
		mode = argv[1];
	if (!stf_is_updating())
		init();
	long want = stf_is_updating() ? 0 : serve();
	for (;;) {
		stf_update_point();
		if (want && serve() != want)
			abort();
		usleep(2000);
	}
}
