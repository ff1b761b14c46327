/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 60,000 connections, as a libevent server's: each pinned by a slot of
 * an untyped fd map (the library's memory: no type says where its
 * pointers are), each holding an untyped buffer (kept at its address,
 * its words classified) whose header points back to it, then text.
 * Enough for the transform to be cut in parts (see placedparts.sh). */
#include "xt.h"

#define CONNS 60000

struct conn {
	int fd;
	long served;
	void *buf;               /* untyped */
	struct conn *next;
};

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

int main(void)
{
	init();
	XT_V1_LOOP();
}
