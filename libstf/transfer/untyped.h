/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * untyped.h - shared by the files handling memory without a precise type
 * (untyped.c, untyped-plan.c, raw-words.c).
 */
#ifndef STF_TRANSFER_UNTYPED_H
#define STF_TRANSFER_UNTYPED_H

#include <stdint.h>

#include "engine.h"

/* A mapping an uninstrumented library made for itself and holds its
 * state in (APR's allocator maps its pools' nodes): untyped memory like
 * the library's heap blocks, kept at its address with its words
 * classified (t/idioms/aprd, apr-pools.c), not raw bytes whose pointers
 * would go stale. */
static inline int stf__library_mapping(const struct stf_obj *o)
{
	return o->kind == STF_OBJ_MMAP && !o->unit && !o->container &&
	       (o->flags & STF_OBJF_EXTERNAL) &&
	       !(o->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN));
}

/* The typed sub-objects of a container, walked in address order along
 * its words: the words inside them are theirs (typed), not the
 * container's. */
struct sub_cursor {
	const struct stf_obj *sub, *end;
};

static inline void stf__subs_begin(const struct stf_peer *p, const struct stf_obj *o, struct sub_cursor *c)
{
	c->sub = c->end = NULL;
	if (o->flags & STF_OBJF_CONTAINER) {
		uint32_t n;
		c->sub = stf__peer_subs(p, o, &n);
		c->end = c->sub + n;
	}
}

/* Whether the word at addr (addresses increasing from call to call)
 * overlaps a sub-object. */
static inline int stf__in_sub(struct sub_cursor *c, uint64_t addr)
{
	while (c->sub < c->end && (c->sub->addr + c->sub->size <= addr ||
				   stf__untyped_sub(c->sub)))
		c->sub++;
	return c->sub < c->end && c->sub->addr < addr + 8;
}

/* The last range a run of words found: the words of one block point
 * mostly into the same few blocks (an item's neighbours on a list, in
 * the same slab page), so most lookups need no search.  Kept only when no
 * other range starts inside it: then it is the index's answer for every
 * address inside it.  stf__find_memo's answer: the range v points into,
 * or the zero-sized one it points to. */
struct range_memo {
	uint64_t start, end;
	const struct stf_range *r;
	/* planning's answers looked up ahead (plan-lookups.c): taken in
	 * turn instead of searching, or recorded here (planning nothing) */
	const uint32_t *ahead, *ahead_end;
	struct plan_record *record;
};

static inline const struct stf_range *stf__find_memo(const struct stf_index *ix,
						     struct range_memo *m, uint64_t v)
{
	if (v - m->start < m->end - m->start)
		return m->r;
	/* the start of a zero-sized block is its only name (malloc(0):
	 * regcomp's empty node sets), never one past another block's end
	 * (a block always leaves a byte after it, spans.h) */
	const struct stf_range *r = stf__index_find(ix, v, STF_INDEX_END);
	if (r && r->size && v - r->start == r->size)
		return NULL;
	if (r && (r + 1 == ix->ranges + ix->n || r[1].start >= r->start + r->size)) {
		m->start = r->start;
		m->end = r->start + r->size;
		m->r = r;
	}
	return r;
}

/*
 * The untyped plan's lookups made ahead across the cores (plan-lookups.c):
 * each answer of stf__plan_find, an index of the source's ranges or
 * PLAN_NONE, per object in the order its planning asks.
 */
#define PLAN_NONE UINT32_MAX
struct plan_record {
	uint32_t *answer;
	size_t n, cap;
	int oom;
	/* the layouts: the transfer's, made before (read only), or the
	 * part's own for the few it lacks */
	const struct stf_layouts *shared;
	struct stf_layouts *own;
	struct stf_arena *arena; /* own's */
};
struct plan_ahead;
/* The lookups of the objects planning walks: NULL if they are too few to
 * cut across threads, or out of memory (then planning searches as it
 * goes: the same answers). */
struct plan_ahead *stf__plan_ahead(struct stf_xfer *x);
/* Let memo take the answers recorded for object i's walk (typed: of its
 * ambiguous unions; else: of an untyped block's words), once; nothing if
 * none were recorded for that walk. */
void stf__plan_ahead_take(struct plan_ahead *a, size_t i, int typed, struct range_memo *memo);
void stf__plan_ahead_free(struct plan_ahead *a);
void stf__plan_record(struct plan_record *rec, uint32_t answer);
/* The layout of (u, t) for a part recording: NULL out of memory. */
const struct stf_layout *stf__plan_record_layout(struct plan_record *rec,
						 const struct stf_meta_unit *u, uint32_t t);

/* What planning asks of a word v of an object's: stf__find_memo's
 * answer, taken from what was looked up ahead, or recorded for later. */
static inline const struct stf_range *stf__plan_find(const struct stf_index *ix,
						     struct range_memo *m, uint64_t v)
{
	if (m->ahead != m->ahead_end) {
		uint32_t k = *m->ahead++;
		return k == PLAN_NONE ? NULL : &ix->ranges[k];
	}
	const struct stf_range *r = stf__find_memo(ix, m, v);
	if (m->record)
		stf__plan_record(m->record, r ? (uint32_t)(r - ix->ranges) : PLAN_NONE);
	return r;
}

/* The walks planning makes (untyped-plan.c), recorded ahead too: the
 * ambiguous unions and integers of an address type of a value of type
 * (u, t) and size bytes at the start of object i (0, or -1 problem
 * reported), and the words of an untyped block i after its typed head of
 * head_size bytes.  With memo->record set they plan nothing (work and
 * nwork unused). */
/* A typed object whose unions planning's roots walk (stf__plan_typed). */
static inline int stf__plan_typed_root(const struct stf_obj *o)
{
	return o->unit && o->bytes &&
	       !(o->flags & (STF_OBJF_INTERNAL | STF_OBJF_IXFER | STF_OBJF_OWN)) &&
	       (o->kind == STF_OBJ_STATIC || stf__is_dynamic(o));
}
int stf__plan_typed(struct stf_xfer *x, size_t i, const struct stf_meta_unit *u, uint32_t t,
		    uint64_t size, struct range_memo *memo, size_t *work, size_t *nwork);
void stf__plan_block(struct stf_xfer *x, size_t i, uint64_t head_size, struct range_memo *memo,
		     size_t *work, size_t *nwork);

/* stf__not_a_pointer's bounds read once for a run of words: a word v may
 * be an address only if v - floor < span (one test rejects zero, small
 * integers, text and most random bytes). */
struct word_bounds {
	uint64_t floor, span;
};

static inline struct word_bounds stf__word_bounds(void)
{
	uint64_t lowest = stf__lowest_address();
	return (struct word_bounds){ lowest, STF_ADDRESS_END - lowest };
}

/*
 * Unused capacity (untyped.c): the bytes of a block holding sub-objects
 * an STF_ALLOCATOR function handed out (a pool block) from the end of
 * the last one on hold what malloc left there, such as the dead links of
 * a freed pool block whose memory came back as this one (issue 8).  A
 * word there that points into a sub-object of a container does not pin
 * it (planning: a grown pool object can leave its place), and is kept as
 * it is, counted with the integers, when that container keeps its
 * address (classifying): the value then lands in the sub-object, where
 * it stayed, or in the dead bytes it left in its container.  The way
 * back applies the same rule to the same bytes, so the round trip gives
 * them back.  The block's header, the gaps between its sub-objects and
 * the words pointing elsewhere are classified as always; --strict has no
 * capacity.  Planning and classifying ask these two functions, so that
 * they agree on which words are capacity.
 */
/* Where o's unused capacity starts (an address), UINT64_MAX if o has
 * none (not a container, its last sub-object registered with
 * stf_register_object(): bytes after it may be the program's). */
uint64_t stf__capacity_start(const struct stf_xfer *x, const struct stf_obj *o);
/* The typed sub-object a word v of unused capacity points into, NULL if
 * it points into none (then it is classified as always). */
const struct stf_obj *stf__capacity_sub(const struct stf_xfer *x, struct range_memo *memo,
					uint64_t v);

void stf__plan_word_memo(struct stf_xfer *x, struct range_memo *memo, uint64_t v, size_t from,
			 uint64_t at, size_t *work, size_t *nwork);
int stf__is_libc_stream(struct stf_xfer *x, const struct stf_obj *o);
int stf__system_subobject(const struct stf_meta_unit *u, uint32_t t, uint64_t off,
			  uint64_t *start, uint32_t *st);
uint64_t stf__elem_off(const struct stf_obj *o, uint64_t off);
void stf__forget_end_words(void);
/* Sort the words the forward transfer recorded as an object's end (once,
 * before the parts of the backward transform look them up at once). */
void stf__end_words_sort(void);
void stf__wrapper_of(const struct stf_obj *o, char *buf, size_t len);
/* The first typed value of the source holding a pointer into o: its path
 * in buf; 0, or -1 if none (raw-words.c; only on the way to an error). */
int stf__find_referrer(struct stf_xfer *x, const struct stf_obj *o, char *buf, size_t len);
/* A block of the dynamic linker (a dlopen() handle's link map) placed
 * for the program's state: the update rolls back naming it, -1; else 0
 * (dl-handles.c). */
int stf__check_linker_block(struct stf_xfer *x, size_t i);
/* A dlopen() handle's link map reached from the program's state: paired
 * with the destination's link map of the same library, 1; -1 (rolled
 * back) if the destination has not loaded it; 0 if source object i is no
 * link map (dl-handles.c). */
int stf__pair_dl_handle(struct stf_xfer *x, size_t i);
/* The path of the library whose link map (dlopen() handle) p's object o
 * is, NULL if it is none (dl-handles.c). */
const char *stf__link_map_library(const struct stf_peer *p, const struct stf_obj *o);

/* userdata-libevent.c: F, before the forward transfer allocates
 * anything: where libevent keeps the user data given to its constructors
 * and setters (nothing if libevent is not loaded). */
void stf__user_data_measure(void);
/* Whether the word at offset off of source object holder is where a
 * library keeps the user data the program gave it, and its value v the
 * start of typed heap object t (of an element of it), not a sub-object:
 * relocated like a typed pointer rather than pinning t. */
int stf__user_data_ref(const struct stf_xfer *x, size_t holder, uint64_t off,
		       const struct stf_obj *t, uint64_t v);

#endif
