/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spans.h - INTERNAL to the allocation tracker: the span allocator under
 * the malloc family (spans.c) and the inline fast paths alloc.c uses.
 *
 * The heap is a region reserved at startup (PROT_NONE, MAP_NORESERVE,
 * made accessible as it is carved) cut into 64 KiB units (root.h).  Small
 * objects (<= SMALL_MAX) live in spans of one unit and one size class,
 * owned by one thread: it allocates from the span's free list and frees
 * into it without a lock or an atomic operation; other threads push what
 * they free onto the span's remote list (lock-free), which the owner
 * takes back when its free list runs dry.  Large objects have spans of
 * their own.  Per object, 16 bytes of metadata out of band (id, site and
 * flags, size: struct stf_obj_meta; a small span's at its end, in the
 * pages of its objects), none in front of the object.
 */
#ifndef STF_SPANS_H
#define STF_SPANS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "root.h"

#define UNIT       STF_SPAN_UNIT
#define NCLASSES   64u
#define SMALL_MAX  16384u
#define LARGE_CACHE 8u    /* per thread: one freed large span of 1..8 units each */
#define FREED_CACHE 8u    /* per thread and class: the blocks freed last */

struct tcache;

/* The private side of a span table entry (one per unit), two cache
 * lines: the first is the owner's (its fast paths), the second takes the
 * other threads' frees and the list links, so neither adjacent spans of
 * other threads nor remote frees write into the line the owner works on. */
struct span_st {
	_Alignas(64)
	void *free;                    /* owner's free list, linked through the
	                                  objects' first word */
	struct tcache *_Atomic owner;  /* NULL: orphaned, or not small */
	char *base;                    /* first byte of the span */
	struct stf_obj_meta *meta;     /* its objects' metadata */
	uint32_t used;                 /* objects handed out or in the owner's
	                                  cache, not known free */
	uint32_t bump;                 /* objects carved (== public nobj) */
	uint32_t cap;                  /* objects that fit; LARGE: units;
	                                  CONT: units back to the first; the
	                                  last unit of a FREE run: back to its
	                                  first */
	uint32_t obj_size;             /* SMALL: class size; LARGE: offset */
	uint32_t recip;                /* ceil(2^32 / obj_size): index by multiply */
	uint16_t cls;
	uint8_t kind;                  /* enum stf_span_kind */
	uint8_t dirty;                 /* FREE run: pages touched since purged */
	uint8_t full;                  /* SMALL: in the owner's full list */
	uint8_t filled;                /* SMALL: found full with every object
	                                  carved (its huge page considered) */
	_Alignas(64)
	_Atomic(void *) remote;        /* frees by other threads */
	struct span_st *next, *prev;   /* owner's list of its class; free runs */
};
_Static_assert(sizeof(struct span_st) == 128, "span_st: two cache lines");

extern uintptr_t stf__heap_lo;     /* region start, 0 before init */
extern uintptr_t stf__heap_bytes;  /* bytes of the region accessible so far */
extern struct span_st *stf__span_st;
extern struct stf_span *stf__spans;
extern const uint32_t stf__class_size[NCLASSES];

/* Reserve the region and the span tables (raw system calls: may run in
 * the dynamic loader).  0, or -1 if out of address space. */
int stf__spans_init(void);
/* A span of class c owned by the calling thread with an object to hand
 * out (free list or carving), first in its list; NULL: out of memory. */
struct span_st *stf__span_refill(uint32_t c);
/* The owner's span s has no object left in use: keep it as the thread's
 * spare or give it back. */
void stf__span_emptied(struct span_st *s);
/* The owner freed an object into its span s, which was full: s can be
 * allocated from again. */
void stf__span_unfull(struct span_st *s);
/* A large object (size >= SMALL_MAX or align > SMALL_MAX) with metadata; its
 * bytes are zero if `zero`.  NULL with errno. */
void *stf__large_alloc(size_t size, size_t align, uint32_t site_word, uint64_t id, bool zero);
void stf__large_free(struct span_st *s);
/* Grow the large object of s in place to size bytes, over the free units
 * that follow it: true, or false and nothing changed. */
bool stf__large_grow(struct span_st *s, size_t size);
/* The calling thread exits (or libstf forgets it): its spans become
 * orphans another thread adopts. */
void stf__spans_thread_exit(void);
/* Fork: the lock, and in the child the spans of the threads that are gone. */
void stf__spans_fork_prepare(void);
void stf__spans_fork_parent(void);
void stf__spans_fork_child(void);
/* Visit every live object of the region: fn(ctx, addr, meta, size); a
 * non-zero return stops the walk and is returned. */
int stf__spans_each(int (*fn)(void *ctx, uint64_t addr, const struct stf_obj_meta *m,
			      uint64_t size), void *ctx);
/* The next `bytes` of the region made accessible and their pages
 * touched now: a process about to receive a state of that size (the
 * reversed version, waiting for the backward transfer) takes the fresh
 * pages' cost out of the pause. */
void stf__spans_prefault(uint64_t bytes);
/* Objects carved so far (an upper bound of the live ones). */
uint64_t stf__spans_carved(void);
/* Mark the range the region's carved units cover, for STF_AVOID. */
void stf__spans_extent(uint64_t *start, uint64_t *end);

/* The class of n bytes (1 <= n <= SMALL_MAX) by a table of 16-byte steps
 * (every class size is a multiple of 16): one load, no bit scan on the
 * fast path. */
extern const uint8_t stf__class_of16[SMALL_MAX / 16 + 1];

static inline uint32_t size_class(size_t n)
{
	return stf__class_of16[(n + 15) >> 4];
}

/* The span of a region address; NULL outside the region. */
static inline struct span_st *span_of(uintptr_t p)
{
	uintptr_t off = p - stf__heap_lo;
	return off < stf__heap_bytes ? &stf__span_st[off >> STF_SPAN_SHIFT] : NULL;
}

static inline uint32_t obj_index(const struct span_st *s, uintptr_t p)
{
	return (uint32_t)(((p - (uintptr_t)s->base) * (uint64_t)s->recip) >> 32);
}

/* Large objects: the full size lives in the second metadata entry. */
static inline uint64_t large_size(const struct span_st *s)
{
	return s->meta[1].id;
}

static inline void large_set_size(struct span_st *s, uint64_t size)
{
	s->meta[0].size = (uint32_t)size;
	s->meta[1].id = size;
}

#endif /* STF_SPANS_H */
