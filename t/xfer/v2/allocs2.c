/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of allocs2.c: struct ev gains a member; blocks keep their
 * count and alignment. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include "xt.h"

struct ev {
	long seq;
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
	XT_V2_RECEIVE(init);
	struct stf_object_info info;
	CHECK(stf_lookup(evs, &info) == 0 && info.count == 3 && evs_end == evs + 3);
	for (int i = 0; i < 3; i++)
		CHECK(evs[i].fd == i && evs[i].mask == 1 << i && evs[i].seq == 0);
	CHECK(stf_lookup(ra, &info) == 0 && info.count == 4);
	for (int i = 0; i < 4; i++)
		CHECK(ra[i].fd == 40 + i && ra[i].mask == -i);
	CHECK(stf_lookup(al, &info) == 0 && info.count == 8);
	CHECK(((uintptr_t)al & 63) == 0);
	for (int i = 0; i < 8; i++)
		CHECK(al[i].fd == 80 + i && al[i].mask == 7);
	CHECK(stf_lookup(pm, &info) == 0 && info.size >= 2 * sizeof(*pm));
	CHECK(((uintptr_t)pm & 31) == 0);
	CHECK(pm[0].fd == 5 && pm[1].mask == 6);
	CHECK(!strcmp(nd, "truncated"));
	CHECK(!strcmp(fmt, "pid-42-x") && fmt_mid == fmt + 4);
	XT_V2_RESULT();
}
