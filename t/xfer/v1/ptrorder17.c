/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Containers ordered by object address, as servers keep their timers and
 * sessions: a binary tree, glibc's tsearch, a sorted array searched with
 * bsearch, each comparing two object pointers.  Both versions start as
 * servers do, reading a configuration into blocks they free: the new
 * version's allocator hands those out first, last freed first, so items
 * that move there no longer follow their old order.  Version 2 (V2) looks
 * every item up.  The cases of the family:
 *   (none)  an own binary search tree comparing `a < b`; version 2 grows
 *           the item past its block, 24 -> 48 bytes (ptrorder17-bst:
 *           rolls back);
 *   FITS    the same, the item grows within its block, 24 -> 32 bytes
 *           (ptrorder17-fits: commits, every lookup right);
 *   FITS STATIC  the tree also holds a static item, which lives in the
 *           executable and so cannot keep its address in the new version
 *           (ptrorder17-static: rolls back);
 *   TIMERS  a tree of timers ordered by deadline, then by address as the
 *           tie-breaker, through `(uintptr_t)a - (uintptr_t)b`; version 2
 *           fills the item's padding (ptrorder17-timers);
 *   TSEARCH glibc's tsearch with a comparator of `const void *` keys
 *           returning the order of the two pointers; grows within the
 *           block (ptrorder17-tsearch), or past it with PAST_BLOCK
 *           (ptrorder17-tsearch-grow: rolls back);
 *   QSORT   an array of item pointers sorted by qsort and searched by
 *           bsearch with a comparator ordering the pointers read from the
 *           array; grows within the block (ptrorder17-qsort);
 *   WALK    no order by address: an array of items walked with `p < a +
 *           n` and a buffer scanned with `p < end`; version 2 grows the
 *           item past its block and it must move (ptrorder17-walk).
 */
#include <search.h>
#include <stdint.h>
#include "xt.h"

/* the cases whose item grows past its block in version 2 */
#if !defined FITS && !defined TIMERS && !defined TSEARCH && !defined QSORT
#define PAST_BLOCK
#endif

struct item {
	int n;
	int id;
#ifdef TIMERS
	int deadline;
#endif
#ifdef V2
	int extra;      /* new in 2 */
#endif
#if defined V2 && defined PAST_BLOCK
	long more[2];   /* new in 2: 24 -> 48 bytes, past the block's 32 */
#endif
	struct item *left, *right;
};

#define NITEMS 24

static struct item *all[NITEMS];

static int configured;

/* Configuration lines read at startup into blocks of an item's size,
 * and freed. */
static void startup(void)
{
	char *lines[NITEMS];
	for (int i = 0; i < NITEMS; i++) {
		lines[i] = malloc(sizeof(struct item));
		snprintf(lines[i], sizeof(struct item), "item%d", i);
	}
	for (int i = 0; i < NITEMS; i++) {
		configured += atoi(lines[i] + 4) == i;
		free(lines[i]);
	}
}

static void allocate(void)
{
	for (int i = 0; i < NITEMS; i++) {
		all[i] = calloc(1, sizeof(struct item));
		all[i]->n = 100 + i;
		all[i]->id = i;
#ifdef TIMERS
		all[i]->deadline = 1000 + 10 * (i % 3); /* ties: ordered by address */
#endif
	}
}

#if defined TSEARCH
static void *root;

static int by_address(const void *a, const void *b)
{
	return (a > b) - (a < b);
}

static void build(void)
{
	for (int i = 0; i < NITEMS; i++)
		tsearch(all[i], &root, by_address);
}

static const struct item *find(const struct item *it)
{
	void *const *found = tfind(it, &root, by_address);
	return found ? *found : NULL;
}

#elif defined QSORT
static struct item **sorted;

static int by_address(const void *pa, const void *pb)
{
	const struct item *a = *(const struct item *const *)pa;
	const struct item *b = *(const struct item *const *)pb;
	return a < b ? -1 : a > b;
}

static void build(void)
{
	sorted = malloc(NITEMS * sizeof *sorted);
	memcpy(sorted, all, NITEMS * sizeof *sorted);
	qsort(sorted, NITEMS, sizeof *sorted, by_address);
}

static const struct item *find(const struct item *it)
{
	struct item *const *found = bsearch(&it, sorted, NITEMS, sizeof *sorted, by_address);
	return found ? *found : NULL;
}

#elif defined WALK
static struct item *array;
static char *text, *text_end;
static int nwords;

static int words(void)
{
	int n = 1;
	for (const char *p = text; p < text_end; p++)
		n += *p == ' ';
	return n;
}

static void build(void)
{
	array = calloc(NITEMS, sizeof *array);
	for (struct item *p = array; p < array + NITEMS; p++)
		p->n = 200 + (int)(p - array);
	text = malloc(64);
	text_end = text + snprintf(text, 64, "walked by position, not by address");
	nwords = words();
}

#else /* a binary search tree of the items themselves */
static struct item *root;

static int before(const struct item *a, const struct item *b)
{
#ifdef TIMERS
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return (intptr_t)((uintptr_t)a - (uintptr_t)b) < 0;
#else
	return a < b;
#endif
}

static void insert(struct item *it)
{
	struct item **at = &root;
	while (*at)
		at = before(it, *at) ? &(*at)->left : &(*at)->right;
	*at = it;
}

#ifdef STATIC
static struct item listener = { .n = 99, .id = -1 };
#endif

static void build(void)
{
	for (int i = 0; i < NITEMS; i++)
		insert(all[i]);
#ifdef STATIC
	insert(&listener);
#endif
}

static const struct item *find(const struct item *it)
{
	const struct item *n = root;
	while (n && n != it)
		n = before(it, n) ? n->left : n->right;
	return n;
}
#endif

static void init(void)
{
	allocate();
	build();
}

/* Every item, found where it is kept.  Version 1 runs it too: at -O2 it
 * must read all the state it keeps. */
static void verify(void)
{
	CHECK(configured == NITEMS);
	for (int i = 0; i < NITEMS; i++) {
		CHECK(all[i]->n == 100 + i && all[i]->id == i);
#ifdef V2
		CHECK(all[i]->extra == 0);
#endif
#ifdef WALK
		CHECK(array[i].n == 200 + i);
#else
		CHECK(find(all[i]) == all[i]);
#endif
	}
#ifdef WALK
	CHECK(nwords == 6 && words() == 6);
#endif
#ifdef STATIC
	CHECK(find(&listener) == &listener);
#endif
}

#ifdef V2
int main(void)
{
	startup();
	XT_V2_RECEIVE(init);
	verify();
	XT_V2_RESULT();
}
#else
int main(void)
{
	startup();
	init();
	verify();
	XT_V1_LOOP();
}
#endif
