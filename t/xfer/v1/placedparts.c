/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 60,000 connections, as a libevent server's: each pinned by a slot of
 * an untyped fd map (the library's memory: no type says where its
 * pointers are), each holding an untyped buffer (kept at its address,
 * its words classified) whose header points back to it, then text.
 * Enough for the transform to be cut in parts (see placedparts.sh).
 * Version 2 (this file with V2 defined) reorders struct conn's members
 * (its size kept: the connections keep their addresses for the fd map)
 * and finds every connection through the map and its buffer. */
#include "xt.h"

#define CONNS 60000

#ifndef V2
struct conn {
	int fd;
	long served;
	void *buf;               /* untyped */
	struct conn *next;
};
#else
struct conn {
	struct conn *next;
	void *buf;
	long served;
	int fd;
};
#endif

static struct conn *conns;
static void *fd_map;             /* untyped: a slot per fd */

/* the library's memory: malloc'd where no type says what it holds */
static __attribute__((noinline)) void *lib_alloc(size_t size)
{
	void *p = malloc(size);
	memset(p, 0, size);
	return p;
}

static __attribute__((noinline)) void init(void)
{
	fd_map = lib_alloc((CONNS + 1) * sizeof(void *));
	for (int i = 0; i < CONNS; i++) {
		struct conn *c = malloc(sizeof(*c));
		c->fd = i + 1;
		c->served = 3L * i;
		c->buf = lib_alloc(64);
		memcpy(c->buf, &c, sizeof(c));
		snprintf((char *)c->buf + 8, 56, "request %d", i);
		memcpy((char *)fd_map + (size_t)c->fd * sizeof(c), &c, sizeof(c));
		c->next = conns;
		conns = c;
	}
}

#ifndef V2
int main(void)
{
	init();
	XT_V1_LOOP();
}
#else
int main(void)
{
	XT_V2_RECEIVE(init);
	long n = CONNS;
	char text[56];
	for (const struct conn *c = conns; c; c = c->next) {
		long i = --n;
		struct conn *mapped, *back;
		memcpy(&mapped, (char *)fd_map + (size_t)(i + 1) * sizeof(mapped), sizeof(mapped));
		memcpy(&back, c->buf, sizeof(back));
		snprintf(text, sizeof(text), "request %ld", i);
		CHECK(c->fd == i + 1 && c->served == 3 * i);
		CHECK(mapped == c && back == c);
		CHECK(!strcmp((const char *)c->buf + 8, text));
		if (xt_fails)
			break;
	}
	CHECK(n == 0);
	XT_V2_RESULT();
}
#endif
