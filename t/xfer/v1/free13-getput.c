/* SPDX-License-Identifier: GPL-3.0-or-later */
/* t/idioms/jobq's queue in one thread: requests come from a free list of
 * fixed-size blocks carved 16 at a time from malloc'ed chunks (block_get,
 * declared STF_ALLOCATOR; block_put its partner by name), and wait in a
 * ring of `struct task { void (*fn)(void *); void *arg; }` whose function
 * casts the argument back to the request and gives it back.  Slots of
 * the ring already run keep their argument: a stale pointer to a block
 * given back, one of them to a block handed out again to a live request.
 * Version 2 (built with -DV2) grows the request.  The given-back blocks
 * are no objects; the stale arguments must keep pointing at the blocks
 * they pointed at (nowhere), never be taken for requests. */
#include "xt.h"

#define BLOCK_SIZE 128
#define QUEUE_SIZE 8

union block {
	union block *next_free;
	char bytes[BLOCK_SIZE];
};

union block *free_blocks, *first_chunk; /* not static: kept at -O2 */
unsigned long blocks_out;

void *block_get(void) STF_ALLOCATOR;
void block_put(void *p);

void *block_get(void)
{
	union block *b = free_blocks;
	if (b) {
		free_blocks = b->next_free;
	} else {
		union block *chunk = malloc(16 * sizeof *chunk);
		if (!chunk)
			return NULL;
		for (int i = 1; i < 15; i++)
			chunk[i].next_free = &chunk[i + 1];
		chunk[15].next_free = NULL;
		free_blocks = &chunk[1];
		b = &chunk[0];
		if (!first_chunk)
			first_chunk = chunk;
	}
	blocks_out++;
	return b;
}

void block_put(void *p)
{
	union block *b = p;
	b->next_free = free_blocks;
	free_blocks = b;
	blocks_out--;
}

struct request {
	long id;
#ifdef V2
	int worker; /* new */
#endif
	char line[40];
};

struct task {
	void (*fn)(void *);
	void *arg;
};

struct task tasks[QUEUE_SIZE];
unsigned head, tail;
long handled;
/* where each slot's argument pointed, from the first chunk (v1) */
long arg_off[QUEUE_SIZE];

static void run_request(void *arg)
{
	struct request *r = arg;
	handled += r->id;
	block_put(r);
}

static void submit(long id)
{
	struct request *r = block_get();
	r->id = id;
	snprintf(r->line, sizeof(r->line), "request %ld", id);
	tasks[tail % QUEUE_SIZE] = (struct task){ run_request, r };
	tail++;
}

static void drain(unsigned n)
{
	while (n-- && head != tail) {
		struct task t = tasks[head % QUEUE_SIZE];
		head++;
		t.fn(t.arg);
	}
}

static void init(void)
{
	for (long id = 1; id <= 5; id++)
		submit(id);
	drain(3); /* slots 0-2 stale, their blocks given back */
	submit(6); /* slot 5: request 3's block again */
	for (unsigned k = 0; k < tail; k++)
		arg_off[k] = (char *)tasks[k].arg - (char *)first_chunk;
}

#ifndef V2
int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
#else
int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(head == 3 && tail == 6 && handled == 6 && blocks_out == 3);
	/* the stale arguments still point at their blocks in the chunk */
	for (unsigned k = 0; k < 3; k++)
		CHECK((char *)tasks[k].arg - (char *)first_chunk == arg_off[k]);
	for (unsigned k = head; k < tail; k++) {
		const struct request *r = tasks[k].arg;
		char want[40];
		snprintf(want, sizeof(want), "request %ld", r->id);
		CHECK(r->id == (k == 5 ? 6 : (long)k + 1) && r->worker == 0 && !strcmp(r->line, want));
	}
	/* request 6 took request 3's block: the stale slot 2 points at it */
	CHECK(tasks[2].arg == tasks[5].arg);
	drain(QUEUE_SIZE);
	CHECK(handled == 6 + 4 + 5 + 6 && blocks_out == 0);
	submit(7);
	CHECK(tasks[6].arg == tasks[5].arg); /* the block given back last */
	XT_V2_RESULT();
}
#endif
