/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * heap.h - INTERNAL to the allocation tracker (alloc.c, alloc-state.c, object-slots.c,
 * sites.c, mmap.c, lookup.c, spans.c and its helpers): its limits, tables and the inline helpers of the fast path.
 * The tracker's interface to the rest of libstf is alloc.h.
 */
#ifndef STF_HEAP_H
#define STF_HEAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "spans.h"
#include "stf-format.h"

/* glibc's own allocator, for libstf's own buffers. */
extern void *__libc_malloc(size_t) __attribute__((noplt));
extern void __libc_free(void *) __attribute__((noplt));
extern void *__libc_calloc(size_t, size_t) __attribute__((noplt));
extern void *__libc_realloc(void *, size_t) __attribute__((noplt));
extern void *__libc_memalign(size_t, size_t) __attribute__((noplt));

#define EXPORT __attribute__((visibility("default")))
#define PAGE 4096UL

/* ------------------------------------------------------------------ */
/* Limits.  Tables are reserved as untouched anonymous memory up front so
 * their addresses never change (other threads and other processes read
 * them without locks); pages cost nothing until used.                 */

#define MAX_CHUNKS     4096u           /* x 65536 slots */
#define MAX_SITES      (1u << 18)
#define SITE_HASH_CAP  (1u << 19)      /* string hash -> site, open addressing */
#define PC_HASH_CAP    (1u << 16)      /* return address -> external site */
#define ID_BATCH       1024u  /* one shared atomic add per 1024 IDs */
#define PC_CACHE       64u

/* Per-thread state: the spans it owns by class (spans.h), the blocks it
 * freed last by class, a batch of IDs, return address -> site.
 * Initial-exec TLS: no allocation, no lock on access. */
struct tcache {
	struct span_st *spans[NCLASSES]; /* first: the one allocated from */
	struct span_st *full[NCLASSES];  /* spans found without a free object */
	struct span_st *full_tail[NCLASSES];
	/* Blocks of the thread's own spans freed last (metadata id 0: free
	 * for the enumeration, still counted used by their span): the next
	 * allocation of the class takes the last one, whose cache lines are
	 * still warm (as glibc's tcache does).  Each with its metadata entry
	 * (spans.h: meta_entry), which free computed: malloc's fast path
	 * then writes it without finding the span and the object's index.
	 * 128 bytes a class, their count apart: a bin is found by a shift. */
	struct freed_bin {
		void *obj[FREED_CACHE];
		char *entry[FREED_CACHE];
	} freed[NCLASSES];
	uint32_t freed_n[NCLASSES];
	/* Blocks of other threads' spans it freed, batched by span (remote.c:
	 * stf__foreign_*): one atomic push onto the span's remote list per
	 * batch, not one per block, so threads freeing each other's blocks
	 * do not all contend for a list head (and the owner's line). */
	struct foreign_batch foreign[FOREIGN_SLOTS];
	struct tcache *next_tc, *prev_tc; /* the threads' list (remote.c) */
	bool listed;                     /* in that list */
	struct span_st *spare;           /* an empty span kept for any class */
	struct span_st *large[LARGE_CACHE]; /* [k - 1]: a freed large span of k units */
	uint32_t grown, purge_budget;    /* purge.c: units taken since it looked */
	/* wide.c: runs of free objects of its spans taken off their lists
	 * for blocks of larger classes (wide_skip, wide_backoff below) */
	struct wide_run wide[WIDE_RUNS];
	uint32_t nwide;
	uint64_t next_id, end_id;
	/* Of those, the ones below compact_end (from next_id on) fit a
	 * compact entry: high half compact_hi, low half not 0 (alloc.c:
	 * note_compact_ids); 0 until known. */
	uint64_t compact_end;
	/* The high half of the IDs of the thread's compact spans (all of
	 * them: spans.c) and so of the compact blocks in its cache of freed
	 * ones; it moves with the thread's IDs (past 2^32 IDs...). */
	uint32_t compact_hi;
	/* malloc's fast path: where the second half of a 16-byte entry goes
	 * when the entry is compact (alloc.c: alloc_fast) */
	uint64_t entry_sink;
	bool registered;
	bool transferring;               /* in stf__alloc_with */
	/* return address -> external site, two arrays: malloc's fast path
	 * reads each at the thread pointer plus an index, with no address
	 * of an entry computed first */
	uintptr_t pc_of[PC_CACHE];
	uint32_t site_of_pc[PC_CACHE];
	/* wide.c, by the class of the blocks: refills to skip, and how many
	 * after the next one that finds nothing */
	uint8_t wide_skip[NCLASSES], wide_backoff[NCLASSES];
};

struct region { uint32_t slot; uint32_t kind; uint64_t count; };

/* alloc.c */
/* Note where libstf itself is loaded: its own allocations stay glibc's. */
void stf__find_self(void);

/* alloc-state.c */
/* Untouched anonymous memory (raw mmap, MAP_NORESERVE): NULL if none. */
void *stf__reserve(size_t bytes);
uint32_t __attribute__((noinline)) stf__external_site_slow(uintptr_t pc);
extern atomic_int stf__heap_changed;
void stf__init_tables(void);
extern pthread_mutex_t stf__lookup_lock;
extern size_t stf__exe_nunits;
uint64_t stf__refill_id(void);
extern pthread_mutex_t stf__region_lock;
extern uint32_t *stf__site_by_hash;   /* SITE_HASH_CAP entries, 0 = empty */
extern uint64_t *stf__site_hashes;    /* parallel to stf__sites: string hash */
extern pthread_mutex_t stf__site_lock;
extern struct stf_site_ref *stf__sites;
extern pthread_mutex_t stf__slot_lock;
void stf__tc_register_slow(void);
extern atomic_int stf__tables_ready;  /* slot/site tables exist */
extern __thread struct tcache stf__tc __attribute__((tls_model("initial-exec")));
extern const struct stf_unit **stf__exe_units;
void stf__warn(const char *msg);
/* msg on stderr, then abort. */
void __attribute__((noreturn)) stf__die(const char *msg);

/* object-slots.c */
extern uint64_t stf__slot_chunks[MAX_CHUNKS];
void stf__slot_put_locked(uint32_t i);
uint32_t stf__slot_take_locked(void);

/* sites.c */
const char *stf__blob_str(const char *strtab, uint32_t size, uint32_t off);
uint32_t stf__external_site_locked(const char *lib, uint64_t offset);
void stf__number_plugin_sites(void);
const struct stf_site_rec *stf__plugin_site(const struct stf_site_ref *r,
					      const char **strtab, uint32_t *strsize,
					      const struct stf_blob_hdr **blobp);
uint32_t stf__site_add_locked(const struct stf_site_ref *ref, const char *id);
uint32_t stf__site_find_locked(const char *id, uint64_t h);
uint64_t stf__str_hash(const char *s);

/* placement.c */
/* Highest end of a placed block: the x86-64 user address space. */
#define PLACE_LIMIT    (1ULL << 47)
extern pthread_mutex_t stf__placed_lock;
void stf__avoid_init(void);
/* The highest end of the avoided ranges (STF_AVOID) that meet [lo, hi),
 * 0 if none. */
uint64_t stf__avoided_end_in(uint64_t lo, uint64_t hi);
int stf__place(uint64_t lo, uint64_t hi);
/* Pages [start, end) mapped readable and writable for a mapping kept at
 * its address (mmap.c): below own_end (the range the past version's
 * mapping had) over the pieces reserved for the past version (no longer
 * avoided then), and where nothing is mapped.  0 or an errno value
 * (EEXIST: something else is there); nothing changed on failure. */
int stf__claim_pages(uint64_t start, uint64_t end, uint64_t own_end);
/* If [start, end) lies in reserved pieces only: no longer avoided (the
 * caller maps over it), true. */
bool stf__avoided_take(uint64_t start, uint64_t end);
/* [start, end) was mapped over (MAP_FIXED): no longer avoided. */
void stf__avoided_forget(uint64_t start, uint64_t end);
void stf__unplace(uint64_t lo, uint64_t hi);
size_t stf__initial_env(const char *key, char *val, size_t cap);
/* Placed blocks (stf__alloc_at): a slot of kind STF_SLOT_HEAP each. */
int stf__placed_new(uint64_t addr, size_t size, uint32_t site, uint64_t id);
bool stf__placed_get(uint64_t addr, struct stf_slot *out);
bool stf__placed_free(uint64_t addr);
int stf__placed_retype(uint64_t addr, uint64_t size, uint32_t site);

/* mmap.c */
extern struct region *stf__regions;
extern size_t stf__nregions;

static inline struct stf_slot *slot_at(uint32_t i)
{
	return (struct stf_slot *)(uintptr_t)stf__slot_chunks[i / STF_SLOTS_PER_CHUNK]
		+ (i % STF_SLOTS_PER_CHUNK);
}

static inline void mark_heap_changed(void)
{
	if (!atomic_load_explicit(&stf__heap_changed, memory_order_relaxed))
		atomic_store_explicit(&stf__heap_changed, 1, memory_order_relaxed);
}

static inline void ensure_tables(void)
{
	if (__builtin_expect(!atomic_load_explicit(&stf__tables_ready, memory_order_acquire), 0))
		stf__init_tables();
}

static inline void stf__tc_register(void)
{
	if (__builtin_expect(!stf__tc.registered, 0))
		stf__tc_register_slow();
}

static inline uint64_t next_id(void)
{
	if (__builtin_expect(stf__tc.next_id < stf__tc.end_id, 1))
		return stf__tc.next_id++;
	return stf__refill_id();
}

static inline uint32_t external_site(uintptr_t pc)
{
	uint32_t c = (uint32_t)(pc >> 2) % PC_CACHE;
	if (__builtin_expect(stf__tc.pc_of[c] == pc, 1))
		return stf__tc.site_of_pc[c];
	return stf__external_site_slow(pc);
}

#endif /* STF_HEAP_H */
