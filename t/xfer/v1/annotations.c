/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Annotations (STF_IXFER, STF_PXFER, STF_OPAQUE), update-point locals,
 * untyped heap blocks (typed by the pointers to them, or copied as bytes
 * when they come from uninstrumented code) and pointers into libc. */
#define _GNU_SOURCE
#include <stdint.h>
#include "xt.h"

struct handle {
	int fd;
	void *cookie;
} STF_OPAQUE;

union word {
	long n;
	void *p;
} STF_IXFER;

struct pair {
	int a, b;
};

struct link {
	struct link *next;
	int v;
};

static int target[4];
static struct handle handle;
static union word word;
static char *raw_ptr STF_IXFER;
static uintptr_t hidden_ptr STF_PXFER;
static char *line;
static void *raw_block;
static struct pair *view;
static int (*compare)(const char *, const char *);
static void *raw_links;
static struct link *chain;

static __attribute__((noinline)) void init(void)
{
	size_t cap = 0;
	FILE *f = fmemopen("first line\nsecond\n", 18, "r");
	if (f) {
		if (getline(&line, &cap, f) < 0)
			line = NULL;
		fclose(f);
	}
	handle.fd = 3;
	handle.cookie = (void *)0x1234;
	word.p = (void *)0x5678;
	raw_ptr = (char *)0x42;
	hidden_ptr = (uintptr_t)&target[2];
	target[2] = 9;
	raw_block = malloc(4 * sizeof(struct pair));
	view = raw_block;
	for (int i = 0; i < 4; i++) {
		view[i].a = i;
		view[i].b = -i;
	}
	compare = strcmp;
	raw_links = malloc(3 * sizeof(struct link));
	chain = raw_links;
	for (int i = 0; i < 3; i++) {
		chain[i].next = i < 2 ? &chain[i + 1] : NULL;
		chain[i].v = 10 * i;
	}
}

int main(void)
{
	int requests = 41;
	struct pair local_pair = { 1, 2 };
	int *local_ptr = &target[1];

	if (!stf_is_updating())
		init();
	for (;;) {
		stf_update_point();
		usleep(2000);
		if (local_pair.a < 0) /* keeps the locals alive */
			requests += *local_ptr;
	}
}
