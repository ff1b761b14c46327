/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A size-prefixing wrapper in the same file, not annotated: it keeps the
 * size in a size_t in front of the block it returns (`return p + 1` of a
 * `size_t *p = malloc(...)`).  Entries it allocates are reached from a
 * static typed list and grow in version 2 (a member before the value).
 * The wrapper is not found as one (it returns an offset), so nothing says
 * where its objects start: the update must roll back naming it, never
 * commit with the entries copied short (version 2 would read every value
 * from the wrong offset). */
#include <stdlib.h>
#include "xt.h"

static size_t bytes_used;

#ifdef ANNOTATE
static void *xmalloc(size_t n) STF_ALLOCATOR;
#endif

static void *xmalloc(size_t n)
{
	size_t *p = malloc(sizeof(size_t) + n);
	if (!p)
		abort();
	*p = n;
	bytes_used += n;
	return p + 1;
}

struct entry {
	struct entry *next;
	long key;
	long value;
};

static struct entry *entries;

static __attribute__((noinline)) void init(void)
{
	for (long i = 0; i < 8; i++) {
		struct entry *e = xmalloc(sizeof(*e));
		e->next = entries;
		e->key = i;
		e->value = 100 * i + 7;
		entries = e;
	}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
