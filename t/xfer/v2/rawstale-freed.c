/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/rawstale-freed.c; struct conn grows from 24 to 32 bytes (a
 * member in the middle), the whole heap slot of the one kept at its
 * address: the stale address beyond the buffer's length is its new end. */
#include "xt.h"

struct conn {
	int fd;
	unsigned watch;
	unsigned long nbytes;
	unsigned long nreq;
	char *in;
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static void *raw;
static struct conn *conns[2];
static uintptr_t stale;

static __attribute__((noinline)) void init(void)
{
	struct conn *c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = malloc(sizeof(*c[i]));
		c[i]->in = strdup("input");
	}
	void **w = xalloc(4 * sizeof(*w));
	raw = w;
	conns[0] = c[0];
}

int main(void)
{
	XT_V2_RECEIVE(init);
	void **w = raw;
	CHECK(w[0] == conns[0] && w[1] == conns[1] && !w[3]);
	CHECK(conns[0]->fd == 10 && conns[0]->nreq == 1000 && conns[0]->nbytes == 0);
	CHECK(conns[1]->fd == 12 && !strcmp(conns[1]->in, "input"));
	CHECK((uintptr_t)w[2] == stale);    /* kept as it was */
	XT_V2_RESULT();
}
