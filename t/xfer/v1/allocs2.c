/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The rest of the malloc family: realloc shrinking an array of changed
 * structs, reallocarray, aligned_alloc, posix_memalign, strndup, and
 * asprintf's string (allocated inside libc). */
#define _GNU_SOURCE
#include <stdio.h>
#include "xt.h"

struct ev {
	int fd;
	short mask;
};

static struct ev *evs;
static struct ev *evs_end;
static struct ev *ra;
static struct ev *al;
static struct ev *pm;
static char *nd;
static char *fmt;
static char *fmt_mid;

static __attribute__((noinline)) void init(void)
{
	evs = malloc(10 * sizeof(*evs));
	for (int i = 0; i < 10; i++) {
		evs[i].fd = i;
		evs[i].mask = (short)(1 << i);
	}
	evs = realloc(evs, 3 * sizeof(*evs));
	evs_end = evs + 3;
	ra = reallocarray(NULL, 4, sizeof(*ra));
	for (int i = 0; i < 4; i++)
		ra[i] = (struct ev){ 40 + i, (short)-i };
	al = aligned_alloc(64, 8 * sizeof(*al));
	for (int i = 0; i < 8; i++)
		al[i] = (struct ev){ 80 + i, 7 };
	void *p = NULL;
	if (posix_memalign(&p, 32, 2 * sizeof(struct ev)))
		abort();
	pm = p;
	pm[0] = (struct ev){ 5, 5 };
	pm[1] = (struct ev){ 6, 6 };
	nd = strndup("truncated here", 9);
	if (asprintf(&fmt, "pid-%d-%s", 42, "x") < 0)
		abort();
	fmt_mid = fmt + 4;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
