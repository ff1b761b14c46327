/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A pointer member left uninitialized that holds an address of main's
 * stack: nginx takes its array of connections from ngx_alloc (malloc,
 * not zeroed), so a free connection's `send_chain` (a function pointer)
 * and `listening` (a data pointer) hold whatever the recycled memory
 * held; in nginx 1.26.1, the address of a returned frame of
 * main's stack (0x7ffe...).  Such a value has no counterpart in the new
 * version (it is neither an argument nor an environment string): it is
 * kept as it is, a value that points nowhere, and the round trip must
 * give the same bytes: the state differencing compares it by value in
 * both processes, whichever process's stack it falls in (every nginx
 * update rolled back: "send_chain: 0x7ffe... (main's stack) (past) !=
 * 0x7ffe... (unknown memory) (reversed)").  The stale value is written
 * explicitly, so the test does not depend on what malloc recycles.
 * Version 2 grows struct conn, unless built with -DSAME. */
#include "xt.h"

struct conn;
typedef long (*send_fn)(struct conn *, const char *, size_t);

struct conn {
	int fd;
#if defined(V2) && !defined(SAME)
	long sent;                /* new */
#endif
	send_fn send;
	void *listening;
};

struct conn *conns;               /* not static: kept */
int listener = 80;

static long plain_send(struct conn *c, const char *buf, size_t n)
{
	(void)buf;
	return c->fd + (long)n;
}

/* The address of a local of a returned frame: what the recycled memory
 * held (a frame of main's stack, below main's own, no argument or
 * environment string). */
static __attribute__((noinline)) void note_frame_address(void **out)
{
	volatile char local[32];
	local[0] = 1;
	*out = (void *)&local[16];
}

static __attribute__((noinline)) void init(void)
{
	conns = malloc(3 * sizeof(*conns));
	conns[0].fd = 7;
	conns[0].send = plain_send;
	conns[0].listening = &listener;
	conns[1].fd = -1;
	note_frame_address(&conns[1].listening);
	conns[1].send = (send_fn)conns[1].listening;
	conns[2].fd = -1;
	conns[2].send = NULL;
	conns[2].listening = NULL;
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	CHECK(conns[0].send == plain_send);
	CHECK(conns[0].send(&conns[0], "ab", 2) == 9);
	CHECK(conns[0].listening == &listener);
	/* kept as the bytes they were */
	CHECK(conns[1].listening != NULL);
	CHECK((void *)conns[1].send == conns[1].listening);
	CHECK(conns[2].send == NULL && conns[2].listening == NULL);
	XT_V2_RESULT();
#endif
}
