/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spans.h - INTERNAL to the allocation tracker: the span allocator under
 * the malloc family (spans.c; remote.c: frees of other threads' blocks)
 * and the inline fast paths alloc.c uses.
 *
 * The heap is a region reserved at startup (PROT_NONE, MAP_NORESERVE,
 * made accessible as it is carved) cut into 64 KiB units (root.h).  Small
 * objects (<= SMALL_MAX) live in spans of one unit and one size class,
 * owned by one thread: it allocates from the span's free list and frees
 * into it without a lock or an atomic operation; another thread that
 * frees one of its objects keeps it in its own cache of blocks freed last
 * (and hands it out next, as glibc's tcache does), or else pushes it onto
 * the span's remote list (lock-free) in a batch of the span's blocks, and
 * the owner takes the batches back when its free list runs dry.  Large objects have spans of
 * their own.  Per object, metadata out of band (id, site and flags,
 * size; a small span's at its end, in the pages of its objects), none in
 * front of the object: 8 bytes in spans of objects up to STF_COMPACT_MAX
 * bytes (struct stf_obj_meta8, the ID's high half per span, the owner's:
 * struct tcache, compact_hi; blocks of
 * 16 to 24 bytes, TRAILER_CLASS, have theirs right after them), 16 bytes
 * elsewhere (struct stf_obj_meta).  The meta_* helpers below read and
 * write either form.
 */
#ifndef STF_SPANS_H
#define STF_SPANS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "root.h"

#define UNIT       STF_SPAN_UNIT
#define NCLASSES   65u
#define NCOMPACT   9u     /* the classes of compact metadata: 16-128 B */
/* The class of blocks of 16 to 24 bytes: 32-byte objects whose entries
 * follow them (root.h: STF_TRAILER_SIZE). */
#define TRAILER_CLASS 1u
#define CLASS_32      2u
/* Where an object of a compact class goes when its ID does not fit a
 * compact entry: 144 B, or 256 B for memalign's 32 to 128. */
#define COMPACT_FALLBACK         9u
#define COMPACT_FALLBACK_ALIGNED 16u
#define SMALL_MAX  16384u
#define LARGE_CACHE 8u    /* per thread: one freed large span of 1..8 units each */
#define FREED_CACHE 8u    /* per thread and class: the blocks freed last */
/* Per thread: batches of blocks freed into other threads' spans, one
 * span each (a span's slot: its unit number modulo FOREIGN_SLOTS); a
 * batch goes to its span at FOREIGN_BATCH blocks or FOREIGN_BYTES bytes,
 * when another span needs its slot, and when the thread exits.  What a
 * thread holds back is thus bounded: 64 x 16 KiB. */
#define FOREIGN_SLOTS 64u
#define FOREIGN_BATCH 32u
#define FOREIGN_BYTES 16384u

struct tcache;

/* Blocks freed into one span of another thread, linked through their
 * first word, not yet on the span's remote list (counted used by the
 * span, free for the enumeration: their metadata says so). */
struct foreign_batch {
	struct span_st *span;          /* NULL: the slot is empty */
	void *head, *tail;
	uint32_t n, max;
};

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
	union {                        /* its objects' metadata */
		struct stf_obj_meta *meta;     /* !compact */
		struct stf_obj_meta8 *meta8;   /* compact */
	};
	uint32_t used;                 /* objects handed out or in the owner's
	                                  cache, not known free */
	uint32_t bump;                 /* objects carved (== public nobj) */
	uint32_t cap;                  /* objects that fit; LARGE: units;
	                                  CONT: units back to the first; the
	                                  last unit of a FREE run: back to its
	                                  first */
	uint32_t obj_size;             /* SMALL: class size; LARGE: offset */
	uint32_t recip;                /* ceil(2^32 / obj_size): index by multiply */
	uint32_t id_hi;                /* compact: its objects' IDs' high half */
	uint8_t cls;
	uint8_t compact;               /* SMALL of STF_COMPACT_MAX bytes or less:
	                                  8-byte metadata */
	uint8_t kind;                  /* enum stf_span_kind */
	uint8_t dirty;                 /* FREE run: pages touched since purged */
	uint8_t full;                  /* SMALL: in the owner's full list */
	uint8_t filled;                /* SMALL: found full with every object
	                                  carved (its huge page considered) */
	uint8_t entry_shift;           /* SMALL: log2 of the bytes from one
	                                  object's entry to the next's (5:
	                                  they follow the objects,
	                                  TRAILER_CLASS) */
	uint8_t word_at;               /* SMALL: the site word's offset in an
	                                  entry (4: compact, 8) */
	_Alignas(64)
	_Atomic(void *) remote;        /* frees by other threads */
	struct span_st *next, *prev;   /* owner's list of its class; free runs */
	uint32_t scan_used;            /* SMALL: used when purge.c last looked */
	uint16_t purged;               /* SMALL: bit p: page p given back, the
	                                  objects starting in it off the free
	                                  list (purge.c) */
	uint32_t wide_used;            /* SMALL: used when wide.c last took its
	                                  runs of free objects */
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
 * out (free list or carving), first in its list; NULL: out of memory.
 * With `wide` (a block of wide_size bytes and ID wide_id, malloc's
 * alignment), when the heap would grow for it: free objects of a smaller
 * class the block fits over, if any (wide.c), *wide their first and
 * their span returned (counted used). */
struct span_st *stf__span_refill(uint32_t c, size_t wide_size, uint64_t wide_id, void **wide);
/* The calling thread's compact IDs have the high half hi from now on:
 * its caches go back, its compact spans (another high half's) become
 * orphans, the ones it takes from now on are of hi (the lineage passed
 * 2^32 IDs, 2^33 ...: a block's entry keeps the low half only). */
void stf__spans_compact_hi(uint32_t hi);
/* Whether the calling thread owns a span of a compact class. */
bool stf__spans_own_compact(void);
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
/* The large object of s shrinks in place to size bytes: the units past
 * its new end go back to the free runs (none if it still needs them). */
void stf__large_trim(struct span_st *s, size_t size);
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

/* Held while units, orphans and the threads' list change. */
extern pthread_mutex_t stf__span_lock;

/* Pages of free objects given back (purge.c).
 *
 * The calling thread took `units` fresh units for a small span: now and then,
 * the pages of its small spans holding only free objects go back to the
 * kernel. */
void stf__purge_grown(uint32_t units);
/* s (owned by the calling thread) has no free object listed but purged
 * pages: the objects of the first of them that has any go back on the
 * free list. */
void stf__unpurge_page(struct span_st *s);

/* Blocks over several free objects of a smaller class (wide.c).
 *
 * A block whose class has no free object left, in a span whose entries
 * are apart from its objects (not TRAILER_CLASS) with free objects next
 * to each other: it takes as many as it needs (WIDE_MAX at most), the
 * first one's entry describes it (its size, STF_META_WIDE; a compact
 * one's size is the next entry's word, root.h), the others' say free.
 * The memory a class freed thus serves larger blocks before the heap
 * grows (glibc's free chunks coalesce into room for them).  The calling thread's runs of free
 * objects of its own spans are taken off their free lists into a pool
 * (struct tcache: wide) a few at a time. */
#define WIDE_MAX  16u     /* objects a wide block covers at most */
#define WIDE_RUNS 32u     /* runs in a thread's pool */
struct wide_run { char *at; uint32_t n; };
/* A block of size bytes and ID id from the pool of the calling thread,
 * whose class c has no free object: its first object (its span counts
 * the objects used, and its entries hold id), or NULL. */
void *stf__wide_take(uint32_t c, size_t size, uint64_t id);
/* The objects of the wide block j of s, starting at p, are freed by the
 * calling thread (its entry is free already). */
void stf__wide_free(struct span_st *s, uint32_t j, void *p, uint64_t size);
/* Objects a wide block of size bytes covers in a span of s's class. */
static inline uint32_t wide_objects(const struct span_st *s, uint64_t size)
{
	return (uint32_t)((size + s->obj_size) / s->obj_size);
}
/* tc's pool goes back to the free lists of its spans (tc: the calling
 * thread, or in a fork child one that is gone). */
void stf__wide_flush(struct tcache *tc);
/* The calling thread's pool goes back when it holds objects of class c,
 * which needs them (its spans have no free object left). */
void stf__wide_give_back(uint32_t c);

/* Frees into other threads' spans (remote.c).
 *
 * p, a block of span s owned by another thread (or none), freed by the
 * calling thread: into its batch for s, which goes to s when full. */
static inline void stf__foreign_free(struct foreign_batch *f, struct span_st *s, void *p);
/* Start a batch for s in slot f with p (the slot's batch, if any, goes to
 * its span first). */
void stf__foreign_start(struct foreign_batch *f, struct span_st *s, void *p);
/* The batch of slot f goes onto its span's remote list; the slot empties. */
void stf__foreign_flush(struct foreign_batch *f);
/* The owner of s takes the frees other threads pushed. */
void stf__remote_collect(struct span_st *s);
/* The calling thread goes into the threads' list (it holds, or will
 * hold, blocks of other threads' spans). */
void stf__list_thread(void);
/* Under stf__span_lock: tc leaves the threads' list. */
void stf__unlist_thread_locked(struct tcache *tc);
/* The blocks in tc's cache go back to the free lists of their spans
 * (tc's own: tc is the calling thread or a thread that is gone). */
void stf__flush_freed(struct tcache *tc);
/* tc's batches go to their spans (tc: the calling thread or one that is
 * gone). */
void stf__flush_foreign(struct tcache *tc);
/* Under stf__span_lock, in a fork child: what the threads it lost held
 * goes back to its spans; the list keeps the calling thread only. */
void stf__remote_fork_child_locked(void);

/* The class of n bytes (1 <= n <= SMALL_MAX) by a table of 16-byte steps
 * (every class size is a multiple of 16): one load, no bit scan on the
 * fast path. */
extern const uint8_t stf__class_of16[SMALL_MAX / 16 + 1];

static inline uint32_t size_class(size_t n)
{
	return stf__class_of16[(n + 15) >> 4];
}

/* The class of a block of size bytes (< SMALL_MAX), one byte left after
 * it (alloc.c): 16 to 24 bytes fit the trailer class's objects, whose
 * entry follows them, the class before the other 32-byte one's (no
 * branch: sizes of every kind follow one another in malloc). */
static inline uint32_t block_class(size_t size)
{
	_Static_assert(TRAILER_CLASS + 1 == CLASS_32, "the trailer class precedes 32 B");
	return size_class(size + 1) - (size - 16 <= STF_TRAILER_SIZE - 16);
}

/* The class of a block of size bytes below BYTE_CLASSES by one load
 * (block_class's, tabled per byte: malloc's fast path). */
#define BYTE_CLASSES 1024u
extern const uint8_t stf__block_class_of[BYTE_CLASSES];

/* The largest block an object of s holds, one byte left after it. */
static inline uint32_t small_room(const struct span_st *s)
{
	return s->cls == TRAILER_CLASS ? STF_TRAILER_SIZE : s->obj_size - 1;
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

/* Metadata of object j of span s (large: j = 0), in either form.  The
 * site word is the root's (STF_META_SITE, STF_META_ALIGN, STF_META_SUBS);
 * a compact entry holds sites below 2^18 (MAX_SITES) and alignments up to
 * 2^7. */
static inline struct stf_obj_meta8 *meta8_of(const struct span_st *s, uint32_t j)
{
	return (struct stf_obj_meta8 *)((char *)s->meta8 + ((size_t)j << s->entry_shift));
}

/* Object j's entry in either form (its first 4 bytes: the ID's low
 * half; the site word at s->word_at). */
static inline char *meta_entry(const struct span_st *s, uint32_t j)
{
	return (char *)s->meta + ((size_t)j << s->entry_shift);
}

static inline bool meta_live(const struct span_st *s, uint32_t j)
{
	return s->compact ? meta8_of(s, j)->id_lo != 0 : s->meta[j].id != 0;
}

static inline uint64_t meta_id(const struct span_st *s, uint32_t j)
{
	if (s->compact) {
		uint32_t lo = meta8_of(s, j)->id_lo;
		return lo ? (uint64_t)s->id_hi << 32 | lo : 0;
	}
	return s->meta[j].id;
}

static inline bool meta_subs(const struct span_st *s, uint32_t j)
{
	return ((s->compact ? meta8_of(s, j)->word : s->meta[j].site) & STF_META_SUBS) != 0;
}

/* Typed sub-objects inside, or over several objects: free's slow path,
 * one test on its fast path. */
static inline bool meta_special(const struct span_st *s, uint32_t j)
{
	return ((s->compact ? meta8_of(s, j)->word : s->meta[j].site) &
		(STF_META_SUBS | STF_META_WIDE)) != 0;
}

static inline bool meta_wide(const struct span_st *s, uint32_t j)
{
	return ((s->compact ? meta8_of(s, j)->word : s->meta[j].site) & STF_META_WIDE) != 0;
}

static inline uint32_t meta_word(const struct span_st *s, uint32_t j)
{
	if (s->compact) {
		uint32_t w = meta8_of(s, j)->word;
		return STF_META8_SITE(w) | STF_META8_ALIGN(w) << 24 |
		       (w & (STF_META_SUBS | STF_META_WIDE));
	}
	return s->meta[j].site;
}

/* (a wide block's size goes into the next entry: root.h) */
static inline uint32_t compact_word(uint32_t word, uint64_t size)
{
	return STF_META8_WORD(STF_META_SITE(word), word & STF_META_WIDE ? 0 : size,
			      STF_META_ALIGN(word), word & (STF_META_SUBS | STF_META_WIDE));
}

/* Whether the entries of s can hold ID id: a compact entry keeps only
 * its low half (not 0), beside the span's high half. */
static inline bool meta_holds_id(const struct span_st *s, uint64_t id)
{
	return !s->compact || ((uint32_t)id && id >> 32 == s->id_hi);
}

/* A small object's entry: live with this id, site word and size. */
static inline void meta_set(struct span_st *s, uint32_t j, uint64_t id, uint32_t word,
			    uint64_t size)
{
	if (s->compact) {
		meta8_of(s, j)->id_lo = (uint32_t)id;
		meta8_of(s, j)->word = compact_word(word, size);
		if (__builtin_expect(word & STF_META_WIDE, 0))
			meta8_of(s, j + 1)->word = (uint32_t)size;
	} else {
		s->meta[j].id = id;
		s->meta[j].site = word;
		s->meta[j].size = (uint32_t)size;
	}
}

/* The site word of a live object, its size kept. */
static inline void meta_set_word(struct span_st *s, uint32_t j, uint32_t word)
{
	if (s->compact)
		meta8_of(s, j)->word = compact_word(word, STF_META8_SIZE(meta8_of(s, j)->word));
	else
		s->meta[j].site = word;
}

static inline void meta_free(struct span_st *s, uint32_t j)
{
	if (s->compact)
		meta8_of(s, j)->id_lo = 0;
	else
		s->meta[j].id = 0;
}

/* STF_META_SUBS set by a thread that may not own the span. */
static inline void meta_mark_subs(struct span_st *s, uint32_t j)
{
	uint32_t *w = s->compact ? &meta8_of(s, j)->word : &s->meta[j].site;
	if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & STF_META_SUBS))
		__atomic_fetch_or(w, STF_META_SUBS, __ATOMIC_RELAXED);
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

static inline uint64_t meta_size(const struct span_st *s, uint32_t j)
{
	if (s->compact) {
		uint32_t w = meta8_of(s, j)->word;
		return w & STF_META_WIDE ? meta8_of(s, j + 1)->word : STF_META8_SIZE(w);
	}
	return s->kind == STF_SPAN_SMALL ? s->meta[j].size : large_size(s);
}

static inline void stf__foreign_free(struct foreign_batch *f, struct span_st *s, void *p)
{
	if (__builtin_expect(f->span != s, 0)) {
		stf__foreign_start(f, s, p);
		return;
	}
	*(void **)p = f->head;
	f->head = p;
	if (__builtin_expect(++f->n >= f->max, 0))
		stf__foreign_flush(f);
}

#endif /* STF_SPANS_H */
