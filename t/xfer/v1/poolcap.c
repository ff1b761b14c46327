/* SPDX-License-Identifier: GPL-3.0-or-later */
/* t/idioms/poold's pools in small: pool_alloc (STF_ALLOCATOR) carves
 * jobs and their lines out of malloc'd 1 KiB blocks, rounding sizes up
 * to 16 (a 24-byte struct job, then its 16-byte line: 48 bytes each).
 * Past what a block handed out, its bytes are what malloc left there;
 * in poold a freed pool block's memory came back as another pool's
 * block, its stale `next` words pointing at jobs that now live
 * elsewhere.  Here such words are written past the used part of the
 * connection pool's block: one into the queue's third job, one into
 * the connection's own job (its `id`).  Version 2 (this file with V2
 * defined) gives struct job two more members: 40 bytes, more than the
 * 32 each job has before its line, so every job leaves its place (alone,
 * to a heap block of its own).  Unused capacity pins nothing: the words
 * stay as they were and the jobs move (before, the update rolled back:
 * "offset 64 of untyped block ... points into it, which therefore keeps
 * its address"). */
#include <stdint.h>
#include "xt.h"

#define BLOCK 1024
#define NJOBS 4
#define SLOT 48 /* a job (24 bytes rounded to 32) and its line */

struct pool_block {
	struct pool_block *next;
	size_t used, size;
	unsigned char mem[];
};

struct pool {
	struct pool_block *blocks;
};

STF_ALLOCATOR void *pool_alloc(struct pool *p, size_t n);

void *pool_alloc(struct pool *p, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct pool_block *b = p->blocks;
	if (!b || b->size - b->used < n) {
		b = malloc(sizeof(*b) + BLOCK);
		if (!b)
			abort();
		b->next = p->blocks;
		b->used = 0;
		b->size = BLOCK;
		p->blocks = b;
	}
	void *r = b->mem + b->used;
	b->used += n;
	return r;
}

struct job {
	struct job *next;
	long id;
#ifdef V2
	long queued_at, prio;
#endif
	char *line;
};

static struct pool queue, conn;
static struct job *head, *mine;

static struct job *new_job(struct pool *p, long id, struct job *next)
{
	struct job *j = pool_alloc(p, sizeof(*j));
	j->line = pool_alloc(p, 16);
	snprintf(j->line, 16, "GET k%ld", id);
	j->id = id;
	j->next = next;
	return j;
}

/* the stale words in the connection block's unused capacity */
static uint64_t *stale(void)
{
	return (uint64_t *)(conn.blocks->mem + conn.blocks->used + 16);
}

static void init(void)
{
	for (long k = NJOBS - 1; k >= 0; k--)
		head = new_job(&queue, k, head);
	mine = new_job(&conn, 100, NULL);
	stale()[0] = (uintptr_t)(queue.blocks->mem + 2 * SLOT);
	stale()[1] = (uintptr_t)(conn.blocks->mem + 8);
}

/* every job, and the stale words as they were (version 1 reads them
 * too: at -O2 the state it keeps must be read) */
static void check(void)
{
	char want[16];
	long n = 0;
	for (struct job *j = head; j; j = j->next, n++) {
		snprintf(want, sizeof(want), "GET k%ld", n);
		CHECK(j->id == n && !strcmp(j->line, want));
#ifdef V2
		CHECK(j->queued_at == 0 && j->prio == 0);
		/* it left its place in the queue's block */
		CHECK((unsigned char *)j != queue.blocks->mem + n * SLOT);
#endif
	}
	CHECK(n == NJOBS);
	CHECK(mine->id == 100 && !mine->next && !strcmp(mine->line, "GET k100"));
	CHECK(queue.blocks->used == NJOBS * SLOT && conn.blocks->used == SLOT);
	CHECK(stale()[0] == (uintptr_t)(queue.blocks->mem + 2 * SLOT));
	CHECK(stale()[1] == (uintptr_t)(conn.blocks->mem + 8));
}

XT_MAIN_CHECKED(init, check)
