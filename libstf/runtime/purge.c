/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * purge.c - the pages of a thread's small spans that hold only free
 * objects go back to the kernel (MADV_DONTNEED) when the heap grows.
 *
 * A span keeps its size class until every object in it is free, so
 * memory freed in a span that stays partly used served only its own class:
 * a heap built, partly freed and rebuilt with other sizes grew by all the
 * new objects (glibc's coalesced chunks take them in the holes).  Now,
 * when a thread takes fresh units for a small span (the process's RSS is
 * about to grow by objects those pages could hold), it looks at those of
 * its spans where a page's worth of objects
 * or more was freed since it last looked, and gives back the 4 KiB pages
 * every object touching which is on the span's free list.  The objects
 * that start in such a page leave the free list (their link is in the
 * page) and the page's bit is set in the span's `purged`; when the span's
 * free list and uncarved objects run out, a purged page's objects go back
 * on the list (stf__unpurge_page), faulted in again as they are used.
 * It gives back only when a quarter of the bytes its spans carved or more
 * are in free objects not given back yet, and then down to 3/16: a
 * program whose blocks go through the classes in turn (strings doubled
 * as Redis's sds grows them: sdsgrow) keeps about a fifth of them free
 * as its working stock, and giving those back page by page (930 system
 * calls of 40 us on a VM, then the faults when they come back) cost it
 * a third of its time for no lower peak (glibc's heap keeps its free
 * chunks too).
 *
 * Their metadata entries say free throughout (the enumeration and the
 * transfer never look at a free object's bytes), the metadata's own pages
 * are never given back, and nothing on the fast paths changed: a purged
 * object is never handed out, so it is in no cache and on no remote list.
 * Only the span's owner purges and unpurges it, as only it touches its
 * free list.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "heap.h"
#include "spans.h"

#define SPAN_PAGES (UNIT / PAGE)
_Static_assert(SPAN_PAGES <= 16, "purged: a bit per page of a unit");
#define MAX_OBJS   (UNIT / 16)   /* objects of the smallest class in a unit */
/* Units the thread grows its heap by between two looks at its spans,
 * at least (more: an eighth of the spans it looked at last time, so
 * that looking costs a bounded share of carving). */
#define PURGE_EVERY 16u
/* Given back only when 1 / PURGE_SHARE or more of the bytes the spans
 * carved are in free objects not given back yet (purge_goal). */
#define PURGE_SHARE 4u

static inline uint32_t start_page(const struct span_st *s, uint32_t j)
{
	return (uint32_t)((uint64_t)j * s->obj_size / PAGE);
}

/* Objects [first, last] touch page p of s. */
static inline void page_objects(const struct span_st *s, uint32_t p, uint32_t *first,
				uint32_t *last)
{
	*first = (uint32_t)(p * PAGE / s->obj_size);
	*last = (uint32_t)(((p + 1) * PAGE - 1) / s->obj_size);
}

static inline bool bit(const uint64_t *bits, uint32_t j)
{
	return bits[j / 64] >> (j % 64) & 1;
}

/* Give back the pages of s whose objects are all free (on its free list,
 * or purged already); returns the pages given back. */
static uint32_t purge_span(struct span_st *s)
{
	stf__remote_collect(s);
	uint64_t listed[MAX_OBJS / 64];
	memset(listed, 0, ((size_t)s->bump + 63) / 64 * sizeof *listed);
	for (void *o = s->free; o; o = *(void **)o) {
		uint32_t j = obj_index(s, (uintptr_t)o);
		listed[j / 64] |= 1ULL << (j % 64);
	}
	uint32_t pages = (uint32_t)((uint64_t)s->bump * s->obj_size / PAGE), fresh = 0;
	for (uint32_t p = 0; p < pages; p++) {
		if (s->purged >> p & 1)
			continue;
		uint32_t first, last, j;
		page_objects(s, p, &first, &last);
		for (j = first; j <= last; j++)
			if (!bit(listed, j) && !(s->purged >> start_page(s, j) & 1))
				break;
		if (j > last)
			fresh |= 1u << p;
	}
	if (!fresh)
		return 0;
	/* the objects that start in those pages leave the free list */
	void **link = &s->free;
	while (*link) {
		void *o = *link;
		if (fresh >> start_page(s, obj_index(s, (uintptr_t)o)) & 1)
			*link = *(void **)o;
		else
			link = (void **)o;
	}
	s->purged |= (uint16_t)fresh;
	uint32_t n = 0;
	for (uint32_t p = 0; p < pages; p++) {
		uint32_t run = 0;
		while (p + run < pages && (fresh >> (p + run) & 1))
			run++;
		if (run) {
			madvise(s->base + (uint64_t)p * PAGE, (uint64_t)run * PAGE, MADV_DONTNEED);
			n += run;
			p += run;
		}
	}
	return n;
}

/* Whether s had enough objects freed since it was last looked at. */
static bool worth_a_look(struct span_st *s)
{
	uint32_t per_page = (uint32_t)(PAGE / s->obj_size) + 1;
	uint32_t had = s->scan_used;
	s->scan_used = s->used;
	return s->used + per_page <= had && (s->bump - s->used) * s->obj_size >= 2 * PAGE;
}

/* The first span of the calling thread's lists (class c, the full ones
 * after the others) after s, or the first of all if s is NULL. */
static struct span_st *next_span(struct span_st *s)
{
	if (s && s->next)
		return s->next;
	uint32_t c = s ? s->cls : 0;
	int full = s ? s->full : -1;
	for (;;) {
		if (++full == 2) {
			full = 0;
			if (++c == NCLASSES)
				return NULL;
		}
		struct span_st *first = full ? stf__tc.full[c] : stf__tc.spans[c];
		if (first)
			return first;
	}
}

/* The bytes of free objects to give back from the calling thread's
 * spans: when those not given back yet are 1 / PURGE_SHARE of the bytes
 * the spans carved or more, what brings them down to 3/4 of that (the
 * header above).  *looked: the spans. */
static uint64_t purge_goal(uint32_t *looked)
{
	uint64_t free = 0, all = 0;
	*looked = 0;
	for (struct span_st *s = next_span(NULL); s; s = next_span(s), ++*looked) {
		uint64_t gone = (uint64_t)__builtin_popcount(s->purged) * PAGE;
		uint64_t idle = (uint64_t)(s->bump - s->used) * s->obj_size;
		free += idle > gone ? idle - gone : 0;
		all += (uint64_t)s->bump * s->obj_size;
	}
	return free * PURGE_SHARE >= all ? free - all / PURGE_SHARE * 3 / 4 : 0;
}

void stf__purge_grown(uint32_t units)
{
	if (stf__tc.transferring)  /* (a fresh heap: nothing freed in it) */
		return;
	stf__tc.grown += units;
	if (stf__tc.grown < stf__tc.purge_budget)
		return;
	uint32_t looked;
	int saved = errno;  /* (malloc leaves it alone when it succeeds) */
	uint64_t goal = purge_goal(&looked), given = 0;
	for (struct span_st *s = next_span(NULL); s && given < goal; s = next_span(s))
		if (worth_a_look(s))
			given += (uint64_t)purge_span(s) * PAGE;
	errno = saved;
	stf__tc.grown = 0;
	stf__tc.purge_budget = looked / 8 > PURGE_EVERY ? looked / 8 : PURGE_EVERY;
}

void stf__unpurge_page(struct span_st *s)
{
	/* (a page of a class above 4 KiB may have no object starting in it) */
	while (!s->free && s->purged) {
		uint32_t p = (uint32_t)__builtin_ctz(s->purged);
		s->purged &= (uint16_t)~(1u << p);
		uint32_t first = (uint32_t)((p * PAGE + s->obj_size - 1) / s->obj_size);
		uint32_t end = (uint32_t)(((p + 1) * PAGE + s->obj_size - 1) / s->obj_size);
		/* in reverse: the list hands them out in address order */
		for (uint32_t j = end; j-- > first;) {
			void *o = s->base + (size_t)j * s->obj_size;
			*(void **)o = s->free;
			s->free = o;
		}
	}
}
