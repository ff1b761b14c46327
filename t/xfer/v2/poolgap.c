/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of poolgap: struct job gains queued_at, which fills the 8
 * bytes of rounding after it in its pool place.  The stale word in the
 * block's tail keeps its address (the block's bytes stay where they
 * are), and the round trip gives it back. */
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
	unsigned long queued_at;
};

static struct pool jobs;
static struct job *head;
static uintptr_t gap_at;

static void init(void)
{
	struct job *j = pool_alloc(&jobs, sizeof(*j));
	j->line = pool_alloc(&jobs, 16);
	strcpy(j->line, "GET k");
	j->id = 7;
	j->next = NULL;
	j->queued_at = 0;
	head = j;
	gap_at = (uintptr_t)j + 24;
	memcpy(jobs.mem + BLOCK - 64, &gap_at, sizeof gap_at);
}

int main(void)
{
	XT_V2_RECEIVE(init);
	uintptr_t stale;
	memcpy(&stale, jobs.mem + BLOCK - 64, sizeof stale);
	CHECK(head && head->id == 7 && !strcmp(head->line, "GET k"));
	CHECK(head->queued_at == 0);
	CHECK((char *)head->line == (char *)head + 32);
	CHECK(stale == gap_at && stale == (uintptr_t)head + 24);
	CHECK(jobs.used == 48);
	XT_V2_RESULT();
}
