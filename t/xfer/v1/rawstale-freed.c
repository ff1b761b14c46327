/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A raw buffer's unused capacity holding a stale address: the freed heap
 * slot right after a typed object kept at its address (the buffer's live
 * part points to it), as GLib's GPtrArray keeps the pointers it removed
 * beyond its length.  Version 2 grows the object to fill its slot: its
 * new end is the stale address. */
#include "xt.h"

struct conn {
	int fd;
	unsigned watch;
	unsigned long nreq;
	char *in;
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static void *raw; /* the untyped buffer: 2 live entries, then capacity */
static struct conn *conns[2];
static uintptr_t stale;

static __attribute__((noinline)) void init(void)
{
	struct conn *c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = malloc(sizeof(*c[i]));
		c[i]->fd = 10 + i;
		c[i]->watch = 100u + (unsigned)i;
		c[i]->nreq = 1000u + (unsigned)i;
		c[i]->in = strdup("input");
	}
	void **w = xalloc(4 * sizeof(*w));
	memset(w, 0, 4 * sizeof(*w));
	raw = w;
	w[0] = c[0];
	w[1] = c[2];
	w[2] = c[1];               /* removed: left beyond the length */
	stale = (uintptr_t)c[1];
	free(c[1]->in);
	free(c[1]);
	conns[0] = c[0];
	conns[1] = c[2];
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
