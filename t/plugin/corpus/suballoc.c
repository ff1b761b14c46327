/* SPDX-License-Identifier: GPL-3.0-or-later */
/* STF_ALLOCATOR functions that hand out objects from inside their own
 * blocks: each object is typed by its call site, registered after the
 * call; the block around it keeps the allocator's own (untyped) site.
 * ext_take, from suballoc-ext.c (built without the plugin, like a library),
 * allocates nothing: nothing it does may type a later allocation.  Prints
 * the site, type and size libstf gives each address. */
#include <stdio.h>
#include <stdlib.h>
#include "stf.h"

struct obj {
	long a;
	struct obj *next;
};

#define HDR 16

STF_ALLOCATOR void *hmalloc(size_t n);
void *hmalloc(size_t n)
{
	char *p = malloc(n + HDR);
	*(size_t *)p = n;
	return p + HDR;
}

/* a plain wrapper: the block is the object */
STF_ALLOCATOR void *plain(size_t n);
void *plain(size_t n)
{
	return malloc(n);
}

/* no size parameter: the destination's type says how much */
STF_ALLOCATOR void *take_obj(void);
static char slab[4 * sizeof(struct obj)];
static int used;
void *take_obj(void)
{
	return slab + sizeof(struct obj) * used++;
}

STF_ALLOCATOR void *ext_take(size_t n);
void *ext_malloc(size_t n);

static void show(const char *label, const void *p)
{
	struct stf_object_info info;
	if (stf_lookup(p, &info) == 0)
		printf("%s %s %s %zu\n", label, info.id ? info.id : "(none)",
		       info.type ? info.type : "(untyped)", info.size);
	else
		printf("%s (untracked)\n", label);
}

int main(void)
{
	struct obj *o = hmalloc(sizeof *o);
	show("obj", o);
	show("hdr", (char *)o - HDR);
	struct obj *w = plain(sizeof *w);
	show("plain", w);
	struct obj *s = take_obj();
	struct obj *s2 = take_obj();
	show("slab0", s);
	show("slab1", s2);
	struct obj *e = ext_take(sizeof *e);
	void *lib = ext_malloc(24);
	show("lib", lib);
	/* freed with its block */
	free((char *)o - HDR);
	struct obj *again = hmalloc(sizeof *again);
	show("again", again);
	free(w);
	free(lib);
	return e == NULL;
}
