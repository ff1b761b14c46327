/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of placedparts: struct conn's members reordered (its size
 * kept: the connections keep their addresses for the fd map); every
 * connection must be found through the map and its buffer (see
 * placedparts.sh). */
#include "xt.h"

#define CONNS 60000

struct conn {
	struct conn *next;
	void *buf;
	long served;
	int fd;
};

static struct conn *conns;
static void *fd_map;

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
