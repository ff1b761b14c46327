/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * addrorders.c - pointers compared by their order: the objects a container
 * orders by address (a tree comparing `a < b`, a timer's address as the
 * tie-breaker through the sign of a difference, qsort's comparator of the
 * pointers in an array, a comparator returning the difference of two
 * addresses as bytes) and the comparisons that order no object (an
 * iterator against an end, two members of one object, byte positions, a
 * range check of an object's address against a buffer's bounds or
 * against two `void *` members of one object, an element count).  Only struct node, struct timer, struct entry and
 * struct chunk are ordered.
 */
#include <stdint.h>
#include <stdlib.h>

struct node { struct node *left, *right; };
struct timer { long when; };
struct entry { int v; };
struct walked { int w; };
struct slot { int s; };
struct ring { struct slot *head, *tail; };
struct counted { int c; };
struct table { struct counted *all; int n; };
struct ranged { int r; };
struct chunk { int c; };
struct arena { char *start; char *end; };
struct slabbed { int s; };
struct slabs { void **list; unsigned n; unsigned size; };
struct bounded { void *start; void *end; };
struct windowed { int w; };

static struct node *root;

static void insert(struct node *x)
{
	struct node **at = &root;
	while (*at)
		at = x < *at ? &(*at)->left : &(*at)->right;
	*at = x;
}

static int timer_before(const struct timer *a, const struct timer *b)
{
	if (a->when != b->when)
		return a->when < b->when;
	return (intptr_t)((uintptr_t)a - (uintptr_t)b) < 0;
}

static int by_address(const void *pa, const void *pb)
{
	const struct entry *a = *(const struct entry *const *)pa;
	const struct entry *b = *(const struct entry *const *)pb;
	return a < b ? -1 : a > b;
}

static int chunk_order(const void *a, const void *b)
{
	return (int)((const char *)a - (const char *)b);
}

static int walk(struct walked *a, int n)
{
	int sum = 0;
	for (struct walked *p = a; p < a + n; p++)
		sum += p->w;
	return sum;
}

static int ring_empty(const struct ring *r)
{
	return r->head >= r->tail;
}

static int scan(const char *p, const char *end)
{
	int n = 0;
	for (; p < end; p++)
		n += *p == ' ';
	return n + (p > end);
}

static int inside(const struct arena *a, const void *p)
{
	return (const char *)p >= a->start && (const char *)p < a->end;
}

static int in_slab(const struct slabs *s, const void *p)
{
	for (unsigned i = 0; i < s->n; i++) {
		const char *slab = s->list[i];
		if ((const char *)p >= slab && (const char *)p < slab + s->size)
			return 1;
	}
	return 0;
}

/* memcached's slab_rebalance_alloc(): bounds of no known type */
static int between(const struct bounded *b, struct windowed *p)
{
	return (void *)p >= b->start && (void *)p < b->end;
}

static long index_of(const struct table *t, const struct counted *c)
{
	if (c - t->all < t->n)
		return c - t->all;
	return -1;
}

int main(void)
{
	struct node *x = calloc(2, sizeof *x);
	struct timer *t = calloc(2, sizeof *t);
	struct entry *e[2] = { malloc(sizeof **e), malloc(sizeof **e) };
	struct walked *w = calloc(4, sizeof *w);
	struct ring r = { 0, 0 };
	struct table tb = { calloc(4, sizeof(struct counted)), 4 };
	char text[] = "a b";
	struct arena ar = { text, text + 3 };
	struct ranged *rg = malloc(sizeof *rg);
	struct chunk *ch = calloc(2, sizeof *ch);
	struct slabbed *sb = malloc(sizeof *sb);
	void *list[1] = { sb };
	struct slabs sl = { list, 1, sizeof *sb };
	struct windowed *wd = malloc(sizeof *wd);
	struct bounded bd = { wd, wd + 1 };
	insert(&x[0]);
	insert(&x[1]);
	qsort(e, 2, sizeof *e, by_address);
	return timer_before(&t[0], &t[1]) + walk(w, 4) + ring_empty(&r) +
	       scan(text, text + 3) + inside(&ar, rg) + chunk_order(&ch[0], &ch[1]) + in_slab(&sl, sb) + between(&bd, wd) +
	       (int)index_of(&tb, &tb.all[1]);
}
