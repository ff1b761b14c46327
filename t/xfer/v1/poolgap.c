/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A job carved out of a pool block by an STF_ALLOCATOR that rounds sizes
 * up to 16 bytes (t/idioms/poold's shape): a 24-byte struct job in a
 * 32-byte place, its line right after it.  A stale word in the block's
 * unused tail points into the 8 bytes of rounding after the job (the
 * block's own bytes, no sub-object's).  Version 2 adds a member to
 * struct job, which then fills those 8 bytes where it is. */
#include <stdint.h>
#include "xt.h"

#define BLOCK 1024

struct pool {
	size_t used;
	unsigned char *mem;
};

STF_ALLOCATOR void *pool_alloc(struct pool *p, size_t n);

void *pool_alloc(struct pool *p, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!p->mem)
		p->mem = calloc(1, BLOCK);
	void *r = p->mem + p->used;
	p->used += n;
	return r;
}

struct job {
	struct job *next;
	long id;
	char *line;
};

static struct pool jobs;
static struct job *head;
static uintptr_t gap_at;   /* where the stale word points: an integer */

static void init(void)
{
	struct job *j = pool_alloc(&jobs, sizeof(*j));
	j->line = pool_alloc(&jobs, 16);
	strcpy(j->line, "GET k");
	j->id = 7;
	j->next = NULL;
	head = j;
	/* a stale word past what the pool handed out: into the rounding */
	gap_at = (uintptr_t)j + sizeof(*j);
	memcpy(jobs.mem + BLOCK - 64, &gap_at, sizeof gap_at);
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
