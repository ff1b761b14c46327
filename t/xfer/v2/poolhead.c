/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of poolhead: the pool's header has its members in another
 * order (converted in place: the block keeps its address, the objects
 * in it their offsets), and the cycle gains two members, more than its
 * place in the block holds: it moves out alone, and the header's `log`
 * follows it.  With -DPOOL_HEADER_GROWS the header gains a member
 * instead, which its place cannot hold: the update is refused. */
#include <stdint.h>
#include "xt.h"

#define POOL_SIZE 1024

struct log {
	int fd;
	long lines;
};

struct pool {
	struct log *log;
	struct pool *current;
	char *last, *end;
	int failed;
#ifdef POOL_HEADER_GROWS
	void *large;
#endif
};

struct cycle {
	struct pool *pool;
	struct log new_log;
	long hits;
	long requests, errors;
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
	c->requests = c->errors = 0;
	/* "runsize": a size known at run time only (nginx's ngx_pstrdup's) */
	c->name = pool_alloc(p, strcmp(mode, "runsize") ? 8 : strlen(mode) + 1);
	strcpy(c->name, "startup");
	p->log = &c->new_log;
	cycle = c;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		mode = argv[1];
	XT_V2_RECEIVE(init);
	struct pool *p = cycle->pool;
	/* where version 1 carved the name: right after the cycle's 40 bytes,
	 * rounded to 16, in the block (after the header's 40 unless apart) */
	char *block = strcmp(mode, "apart") ? (char *)p : cycle->name - 48;
	CHECK(cycle->hits == 1000 && cycle->requests == 0 && cycle->errors == 0);
	CHECK(!strcmp(cycle->name, "startup"));
	CHECK(p->current == p && p->failed == 0);
	CHECK(p->log == &cycle->new_log && p->log->fd == 2 && p->log->lines == 5);
	CHECK(p->end == block + POOL_SIZE);
	CHECK(p->last == cycle->name + 8);
	/* the pool carves on after what it handed out */
	char *more = pool_alloc(p, 16);
	CHECK(more == cycle->name + 16);
	XT_V2_RESULT();
}
