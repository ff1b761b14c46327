/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Objects whose address is a key grow at their address.  A set keyed by
 * object address (the slot and the stored hash computed from the
 * session's address, as g_direct_hash does); each session has a buffer of
 * its own, allocated right after it, so that it lies after the session in
 * the heap.  Version 2 (V2) grows the session from 40 to 80 bytes: the
 * session must keep its address (its hash is in the set) and so takes the
 * bytes of the buffer after it, which moves.  The cases of the family:
 *   (none)  pingrow17-over: commits; version 2 finds every session by its
 *           address and every buffer whole through its session;
 *   FREE    pingrow17-free: the same, then version 2 serves requests that
 *           free sessions and buffers and allocate them again, or move
 *           a session by realloc, rehashing the set: the grown blocks are
 *           ordinary blocks of version 2;
 *   BOTH    pingrow17-both: no buffers: the sessions lie one after the
 *           other, each would grow into the next, which keeps its address
 *           too: rolls back naming both;
 *   HELD    pingrow17-held: a block of bytes holds the buffers' addresses,
 *           so they keep theirs too (pinned): rolls back naming the
 *           session, its buffer and that block.
 * v1 counts the sessions whose buffer lies right after them (an equality
 * of addresses, no order), so that version 2 can tell the case is one.
 */
#include <malloc.h>
#include "xt.h"

struct buffer {
	long used;
	char data[32];
};

struct session {
	struct buffer *buf;
	int fd;
	char name[28];
#ifdef V2
	long stats[5];     /* new in 2: 80 bytes, past the block's 48 */
#endif
};

#define NSLOTS 64
#define NSESSIONS 20
#ifdef V2
_Static_assert(sizeof(struct session) == 80, "a session of 80 bytes in version 2");
#else
_Static_assert(sizeof(struct session) == 40, "a session of 40 bytes: blocks of 48");
#endif

#define ADDRSET_ELEM struct session
#include "addrset.h"

/* read by version 2 only: `used`, or -O2 drops them from version 1 */
static struct session *all[NSESSIONS] __attribute__((used));
static int adjacent __attribute__((used));  /* sessions whose buffer lies right after them */
#ifdef HELD
static char *ring;      /* the buffers' addresses, as bytes */
#endif

static struct buffer *new_buffer(int i)
{
	struct buffer *b = calloc(1, sizeof(struct buffer));
	b->used = i;
	snprintf(b->data, sizeof b->data, "buffer of %d", i);
	return b;
}

static struct session *new_session(int i)
{
	struct session *s = calloc(1, sizeof(struct session));
	s->fd = 100 + i;
	snprintf(s->name, sizeof s->name, "session%d", i);
#ifndef BOTH
	s->buf = new_buffer(i);
#endif
	return s;
}

static void init(void)
{
	live = calloc(NSLOTS, sizeof *live);
#ifdef HELD
	ring = calloc(NSESSIONS, sizeof(void *));
#endif
	for (int i = 0; i < NSESSIONS; i++) {
		all[i] = new_session(i);
#ifndef BOTH
		adjacent += (char *)all[i]->buf == (char *)all[i] + 48;
#endif
#ifdef HELD
		memcpy(ring + i * sizeof(void *), &all[i]->buf, sizeof(void *));
#endif
		live_add(all[i]);
	}
}

#ifdef V2
static void check_all(const char *when)
{
	fprintf(stderr, "checking %s\n", when);
	for (int i = 0; i < NSESSIONS; i++) {
		char name[28], data[32];
		struct session *s = all[i];
		snprintf(name, sizeof name, "session%d", i);
		snprintf(data, sizeof data, "buffer of %d", i);
		CHECK(s->fd == 100 + i && !strcmp(s->name, name));
		CHECK(malloc_usable_size(s) >= sizeof *s);
		for (int k = 0; k < 5; k++)
			CHECK(s->stats[k] == 0);
		CHECK(s->buf && s->buf->used == i && !strcmp(s->buf->data, data));
		CHECK(live_find(s) == s);
	}
}

#ifdef FREE
/* Request r: session r % NSESSIONS leaves and comes back, as a new
 * block (freed first) or moved by realloc; the set is rebuilt. */
static void serve(int r)
{
	int i = r % NSESSIONS;
	struct session *s = all[i];
	if (r % 2) {
		s = realloc(s, sizeof *s + 64 * (r % 3));
	} else {
		struct session *n = malloc(sizeof *n);
		memcpy(n, s, sizeof *n);
		free(s);
		s = n;
	}
	struct buffer *b = new_buffer(i);
	free(s->buf);
	s->buf = b;
	all[i] = s;
	memset(live, 0, NSLOTS * sizeof *live);
	for (int k = 0; k < NSESSIONS; k++)
		live_add(all[k]);
}
#endif

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(adjacent > NSESSIONS / 2);
	check_all("the sessions received");
#ifdef FREE
	for (int r = 0; r < 3 * NSESSIONS; r++)
		serve(r);
	check_all("the sessions freed and allocated again");
	for (int i = 0; i < NSESSIONS; i++) {
		free(all[i]->buf);
		free(all[i]);
	}
	memset(live, 0, NSLOTS * sizeof *live);
	for (int i = 0; i < NSESSIONS; i++) {
		all[i] = new_session(i);
		live_add(all[i]);
	}
	check_all("every session freed and made again");
#endif
	XT_V2_RESULT();
}
#else
int main(void)
{
	init();
	XT_V1_LOOP();
}
#endif
