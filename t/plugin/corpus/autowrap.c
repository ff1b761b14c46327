/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Allocator wrappers without annotations, as real servers write them
 * (darkhttpd's xmalloc); prints the site libstf attributes to each block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stf.h"
#include "autowrap.h"

struct conn {
	int fd;
	char *name;
};

static void *xmalloc(size_t size)
{
	void *ptr = malloc(size);
	if (ptr == NULL) {
		fprintf(stderr, "can't allocate %zu bytes\n", size);
		abort();
	}
	return ptr;
}

static void *xrealloc(void *original, size_t size)
{
	void *ptr = realloc(original, size);
	if (ptr == NULL) {
		fprintf(stderr, "can't reallocate %zu bytes\n", size);
		abort();
	}
	return ptr;
}

static char *xstrdup(const char *src)
{
	size_t len = strlen(src) + 1;
	char *dest = xmalloc(len);
	memcpy(dest, src, len);
	return dest;
}

/* Frees the block on a failure path: a wrapper all the same. */
static char *dup_nonempty(const char *s)
{
	char *p = malloc(strlen(s) + 1);
	if (!p)
		return NULL;
	if (!*s) {
		free(p);
		return NULL;
	}
	strcpy(p, s);
	return p;
}

/* Also called through a pointer, unmarked: keeps a site of its own for
 * those calls. */
static void *pool_alloc(size_t n)
{
	void *p = calloc(1, n);
	if (!p)
		abort();
	return p;
}
void *(*allocate)(size_t) = pool_alloc;

/* Returns a static buffer for small requests: not a wrapper. */
static char small[64];
static char *scratch(size_t n)
{
	if (n <= sizeof small)
		return small;
	return malloc(n);
}

/* Kept through pointers: the named locals name the sites. */
static void fill(struct item **out, struct conn **outc)
{
	struct item *fresh = xmalloc(sizeof *fresh);
	fresh->id = 1;
	*out = fresh;
	void *raw = malloc(sizeof(struct conn));
	*outc = raw;
}

static void show(const char *label, const void *p)
{
	struct stf_object_info info;
	if (stf_lookup(p, &info) == 0)
		printf("%s %s\n", label, info.id ? info.id : "(none)");
	else
		printf("%s (untracked)\n", label);
}

int main(int argc, char **argv)
{
	struct conn *c = xmalloc(sizeof *c);
	c->name = xstrdup(argc > 5 ? argv[1] : "conn-name");
	int *v = xrealloc(NULL, 4 * sizeof *v);
	show("v", v);
	v = xrealloc(v, 8 * sizeof *v);
	struct item *big = lib_alloc(2 * sizeof *big);
	char *nm = lib_name("item");
	struct item *z = lib_zalloc(sizeof *z);
	struct item *it = lib_items();
	char *buf = scratch((size_t)argc * 100);
	struct item *filled;
	struct conn *filledc;
	fill(&filled, &filledc);
	char *checked = dup_nonempty("abc");
	struct conn *direct = pool_alloc(sizeof *direct);
	struct item *indirect = allocate(sizeof *indirect);
	/* glibc declares fopen with the malloc attribute: no site. */
	FILE *f = fopen("/dev/null", "r");
	if (f)
		fclose(f);
	show("c", c);
	show("name", c->name);
	show("v2", v);
	show("big", big);
	show("nm", nm);
	show("z", z);
	show("it", it);
	show("buf", buf);
	show("filled", filled);
	show("filledc", filledc);
	show("checked", checked);
	show("direct", direct);
	show("indirect", indirect);
	return 0;
}
