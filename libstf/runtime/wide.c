/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wide.c - blocks over several free objects of a smaller class (spans.h:
 * stf__wide_*).
 *
 * A span keeps its class until all its objects are free, so memory a
 * class freed in spans that stay partly used served only that class: a
 * heap of small blocks, mostly freed, then followed by larger ones grew
 * by all of the larger ones (glibc's free chunks coalesce with their
 * neighbours into room for them; purge.c gives back only pages with no
 * live object, rare when a few in each page live on).  Now a block whose
 * class would take fresh memory (span_refill: no free object of its
 * class) goes over consecutive free objects of a smaller class, as many
 * as hold it and the byte after it (alloc.c), WIDE_MAX at most.  The
 * first object's entry describes the block (its real size, flag
 * STF_META_WIDE; a compact entry's size field is too narrow for it, the
 * next entry's word, free, holds it), the others' stay free: the
 * enumeration and the transfer read a block's size from its entries
 * (root.h), and a pointer into the block finds its first entry within
 * WIDE_MAX (blocks.c).  Over the objects of compact entries too (the
 * classes of up to 128 bytes: most of a server's freed memory), but not
 * TRAILER_CLASS's, whose entries lie between them, nor a compact span's
 * when the block's ID does not fit its entries (meta_holds_id).  Free
 * puts all its objects back (free's fast path leaves STF_META_WIDE to
 * the slow path with the same test as STF_META_SUBS); realloc keeps the
 * block in place while its new size covers as many objects (alloc.c).
 *
 * Finding runs of free objects takes a walk of a span's free list, so
 * the thread takes them a few at a time into a pool (struct tcache:
 * wide; the runs' objects counted used by their spans, off their free
 * lists) and cuts blocks from their fronts; a refill gives the pool back
 * first, and walks only spans whose count of used objects changed since
 * it last took their runs.  Only the spans' owner does this, as only it
 * touches their free lists.  After refills for a class that found
 * nothing its next 1, 2, 4 ... 64 are skipped (a span of the class is
 * carved each time instead): a heap that only grows walks its spans'
 * lists once per 64 spans of a class carved.
 */
#include <string.h>

#include "heap.h"
#include "spans.h"

#define WIDE_BACKOFF  64u         /* refills skipped at most after one that
                                     found nothing */
#define RUN_TAKE      (2 * WIDE_MAX) /* objects of a run taken at most */
#define MAX_OBJS      (UNIT / 24) /* of the smallest class, 16 B + an 8-byte entry */

/* A block of class c, size bytes and ID id cut from the front of a run
 * of the pool (of a class below c: over 2 objects at least, a compact
 * entry's size in the next one): its first object, or NULL. */
static void *pool_take(uint32_t c, size_t size, uint64_t id)
{
	for (uint32_t i = 0; i < stf__tc.nwide; i++) {
		struct wide_run *r = &stf__tc.wide[i];
		const struct span_st *s = span_of((uintptr_t)r->at);
		uint32_t k = wide_objects(s, size);
		if (s->cls >= c || k > r->n || !meta_holds_id(s, id))
			continue;
		void *p = r->at;
		r->at += (size_t)k * s->obj_size;
		r->n -= k;
		if (!r->n)
			*r = stf__tc.wide[--stf__tc.nwide];
		return p;
	}
	return NULL;
}

/* Objects [j, j + n) of s go on its free list (first in address order);
 * s's owner is tc. */
static void objects_back(struct tcache *tc, struct span_st *s, uint32_t j, uint32_t n)
{
	for (uint32_t i = j + n; i-- > j;) {
		void *o = s->base + (size_t)i * s->obj_size;
		*(void **)o = s->free;
		s->free = o;
	}
	s->used -= n;
	/* (a fork child's thread that is gone: its spans become orphans) */
	if (s->full && tc == &stf__tc)
		stf__span_unfull(s);
}

void stf__wide_flush(struct tcache *tc)
{
	for (uint32_t i = 0; i < tc->nwide; i++) {
		struct span_st *s = span_of((uintptr_t)tc->wide[i].at);
		objects_back(tc, s, obj_index(s, (uintptr_t)tc->wide[i].at), tc->wide[i].n);
	}
	tc->nwide = 0;
}

void stf__wide_give_back(uint32_t c)
{
	for (uint32_t i = 0; i < stf__tc.nwide; i++)
		if (span_of((uintptr_t)stf__tc.wide[i].at)->cls == c) {
			stf__wide_flush(&stf__tc);
			return;
		}
}

static inline bool bit(const uint64_t *bits, uint32_t j)
{
	return bits[j / 64] >> (j % 64) & 1;
}

/* The first j in [from, end) whose bit is `set` in bits, else end: a
 * word at a time (a span of 16 B objects has thousands, in runs). */
static uint32_t next_bit(const uint64_t *bits, uint32_t from, uint32_t end, bool set)
{
	for (uint32_t j = from; j < end; j = (j | 63) + 1) {
		uint64_t w = (set ? bits[j / 64] : ~bits[j / 64]) >> (j % 64);
		if (w) {
			uint32_t at = j + (uint32_t)__builtin_ctzll(w);
			return at < end ? at : end;
		}
	}
	return end;
}

/* The runs of at least k free objects of s (its owner's) into the pool,
 * while it has room. */
static void take_runs(struct span_st *s, uint32_t k)
{
	stf__remote_collect(s);
	uint64_t listed[MAX_OBJS / 64 + 1], taken[MAX_OBJS / 64 + 1];
	size_t words = ((size_t)s->bump + 63) / 64;
	memset(listed, 0, words * sizeof *listed);
	memset(taken, 0, words * sizeof *taken);
	for (void *o = s->free; o; o = *(void **)o) {
		uint32_t j = obj_index(s, (uintptr_t)o);
		listed[j / 64] |= 1ULL << (j % 64);
	}
	uint32_t n = 0;
	bool all = true;
	/* each run of free objects [from, to), in pieces of RUN_TAKE */
	for (uint32_t from = next_bit(listed, 0, s->bump, true), to; from < s->bump && all;
	     from = next_bit(listed, to, s->bump, true)) {
		to = next_bit(listed, from, s->bump, false);
		for (uint32_t j = from; j < to; j += RUN_TAKE) {
			uint32_t len = to - j < RUN_TAKE ? to - j : RUN_TAKE;
			if (len < k)
				continue;
			if (stf__tc.nwide == WIDE_RUNS) {
				all = false;
				break;
			}
			stf__tc.wide[stf__tc.nwide++] =
				(struct wide_run){ s->base + (size_t)j * s->obj_size, len };
			for (uint32_t i = j; i < j + len; i++)
				taken[i / 64] |= 1ULL << (i % 64);
			n += len;
		}
	}
	if (n) {
		void **link = &s->free;
		while (*link) {
			void *o = *link;
			if (bit(taken, obj_index(s, (uintptr_t)o)))
				*link = *(void **)o;
			else
				link = (void **)o;
		}
		s->used += n;
	}
	/* looked at again once objects were freed or allocated in it */
	if (all)
		s->wide_used = s->used;
}

/* The pool (given back) refilled with runs for blocks of size bytes and
 * ID id from the thread's spans of the classes below c. */
static void refill(uint32_t c, size_t size, uint64_t id)
{
	stf__wide_flush(&stf__tc);
	for (uint32_t d = 0; d < c && stf__tc.nwide < WIDE_RUNS; d++) {
		/* (a thread has spans of a few classes: no division for the
		 * others, 40% of a short-lived thread's refills) */
		if (!stf__tc.spans[d] || d == TRAILER_CLASS)
			continue;
		uint32_t k = (uint32_t)((size + stf__class_size[d]) / stf__class_size[d]);
		if (k > WIDE_MAX)
			continue;
		for (struct span_st *s = stf__tc.spans[d]; s && stf__tc.nwide < WIDE_RUNS;
		     s = s->next)
			if (s->wide_used != s->used && s->bump - s->used >= k &&
			    meta_holds_id(s, id))
				take_runs(s, k);
	}
}

void *stf__wide_take(uint32_t c, size_t size, uint64_t id)
{
	if (stf__tc.transferring)
		return NULL;
	void *p = pool_take(c, size, id);
	if (p)
		return p;
	if (stf__tc.wide_skip[c]) {
		stf__tc.wide_skip[c]--;
		return NULL;
	}
	refill(c, size, id);
	p = pool_take(c, size, id);
	/* 1, 2, 4 ... refills of the class skipped after ones that found
	 * nothing (by class: the classes a program's startup or a heap
	 * growing with nothing freed had grown skipped, with one count,
	 * the first refills of the next class to grow after many frees) */
	uint8_t *backoff = &stf__tc.wide_backoff[c];
	*backoff = p ? 0 : *backoff ? (*backoff < WIDE_BACKOFF ? 2 * *backoff : WIDE_BACKOFF) : 1;
	stf__tc.wide_skip[c] = *backoff;
	return p;
}

void stf__wide_free(struct span_st *s, uint32_t j, void *p, uint64_t size)
{
	uint32_t k = wide_objects(s, size);
	if (atomic_load_explicit(&s->owner, memory_order_relaxed) != &stf__tc) {
		struct foreign_batch *f = &stf__tc.foreign[(uint32_t)(s - stf__span_st) % FOREIGN_SLOTS];
		for (uint32_t i = 0; i < k; i++)
			stf__foreign_free(f, s, (char *)p + (size_t)i * s->obj_size);
		return;
	}
	objects_back(&stf__tc, s, j, k);
	if (!s->used && s != stf__tc.spans[s->cls])
		stf__span_emptied(s);
}
