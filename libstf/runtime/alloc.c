/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * alloc.c - allocation tracking: the glibc malloc family and mmap replaced
 * by versions that describe every object in stf__root (root.h).
 *
 * Heap blocks come from libstf's own span allocator (spans.c, spans.h):
 * size-class spans in a region reserved at startup, 8 bytes of metadata
 * per object up to 128 bytes, 16 above, out of band (dynamic ID, site,
 * size: an array at the end of the object's span, or for blocks of 16
 * to 24 bytes right after each), nothing in front of the object.  The fast paths take no lock and no atomic operation: each
 * thread allocates from and frees into the spans it owns, keeps a batch
 * of dynamic IDs, caches the blocks it freed last (another thread's too)
 * and frees into another thread's span through its lock-free remote
 * list, a batch of blocks at a time.  Allocation sites come from the
 * plugin's thread-local marker, or else from the caller's return
 * address, interned as an "external" site (library + offset).
 *
 * Everything reachable from malloc uses raw system calls only: malloc may
 * be called by the dynamic loader, before constructors, and from inside
 * libstf itself (whose own buffers come from glibc's allocator).
 *
 * This file owns the malloc family; alloc-state.c the process state
 * (global tables, early initialization, dynamic IDs, the per-thread
 * state's registration, external sites, fork); object-slots.c the slot table (mappings,
 * registered objects, placed blocks), spans.c the heap region, sites.c the site
 * table and the executable's metadata units, mmap.c mmap'd and
 * registered regions, placement.c blocks at chosen addresses, blocks.c
 * the block holding an address, lookup.c stf_lookup.  heap.h is what
 * they share.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "respawn.h"
#include "index.h"
#include "stf-format.h"
#include "stf.h"
#include "heap.h"
#include "spans.h"
#include "sub-pending.h"
#include "sub-shadow.h"
#include "subobjects.h"

_Static_assert(sizeof(struct stf_obj_meta) == 16, "stf_obj_meta layout");
_Static_assert(MAX_SITES <= 0x1000000, "sites fit the metadata's site word");
_Static_assert(MAX_SITES <= 0x40000, "sites fit the compact metadata's site word");
_Static_assert(sizeof(struct stf_obj_meta8) == 8, "stf_obj_meta8 layout");
_Static_assert(sizeof(struct stf_slot) == 32, "stf_slot layout");

/* The site of the allocation being made: the plugin's marker if set
 * (consumed), else the caller's external site.  A cell still 0 belongs to
 * a unit libstf did not number (an instrumented shared library): the
 * caller's address is better than nothing. */
static inline uint32_t take_site(const void *ra)
{
	uint32_t *cell = stf__alloc_site;
	if (cell) {
		stf__alloc_site = NULL;
		if (__builtin_expect(*cell != 0, 1))
			return *cell;
	}
	return external_site((uintptr_t)ra);
}

/* Only the marker: realloc keeps the block's site without one. */
static inline uint32_t take_marker(uint32_t keep)
{
	uint32_t *cell = stf__alloc_site;
	if (cell) {
		stf__alloc_site = NULL;
		return *cell;
	}
	return keep;
}

/* ------------------------------------------------------------------ */
/* The malloc family.                                                     */

static void __attribute__((noreturn, noinline)) bad_block(const char *op, const void *p, bool freed)
{
	char msg[128];
	snprintf(msg, sizeof msg, freed ? "%s(%p): block already freed (double free)" :
		 "%s(%p): not the start of a heap block (invalid pointer)", op, p);
	stf__die(msg);
}

/* An object of class c described by site word `word` (site | alignment,
 * root.h) and id (0: a fresh one).  A block's class always leaves at
 * least one byte after it (block_class): a pointer just past
 * its end never is the start of the next block, and the transfer tells
 * the two apart as it could between glibc's blocks. */
/* The calling thread's IDs from next_id on that fit a compact entry of
 * its spans (struct tcache: compact_end), for malloc's fast path. */
static void note_compact_ids(void)
{
	uint64_t id = stf__tc.next_id, end = stf__tc.end_id;
	uint64_t wrap = ((uint64_t)stf__tc.compact_hi + 1) << 32;  /* where the low half is 0 again */
	stf__tc.compact_end = id >> 32 == stf__tc.compact_hi && (uint32_t)id && id < end ?
			      (end < wrap ? end : wrap) : 0;
}

/* The class for an object of compact class c whose id's high half is not
 * the calling thread's compact spans' (struct tcache: compact_hi), or
 * whose low half is 0 (a free entry).  A fresh ID (the lineage passed
 * 2^32 IDs, 2^33...), or any when the thread has no compact span yet
 * (the transfer's first block), moves the thread to its high half
 * (spans.c: stf__spans_compact_hi): c.  Else (a past version's object
 * the transfer places): a class of 16-byte metadata at the same
 * alignment. */
static uint32_t __attribute__((noinline)) compact_class_slow(uint32_t c, uint32_t word,
							     uint64_t id, bool fresh)
{
	if ((uint32_t)id && (fresh || !stf__spans_own_compact())) {
		stf__spans_compact_hi((uint32_t)(id >> 32));
		note_compact_ids();
		return c;
	}
	return STF_META_ALIGN(word) ? COMPACT_FALLBACK_ALIGNED : COMPACT_FALLBACK;
}

static inline __attribute__((always_inline)) void *alloc_small(uint32_t c, size_t size,
								uint32_t word, uint64_t id)
{
	/* (known before a wide block's span is: its entries must hold it) */
	bool fresh = !id;
	if (fresh) {
		id = next_id();
		if (c < NCOMPACT && stf__tc.compact_end != stf__tc.end_id)
			note_compact_ids();
	}
	if (c < NCOMPACT &&
	    __builtin_expect((uint32_t)(id >> 32) != stf__tc.compact_hi || !(uint32_t)id, 0))
		c = compact_class_slow(c, word, id, fresh);
	uint32_t *n = &stf__tc.freed_n[c];
	struct span_st *s;
	char *obj;
	if (__builtin_expect(*n != 0, 1)) {
		/* counted used by its span already */
		obj = stf__tc.freed[c].obj[--*n];
		s = span_of((uintptr_t)obj);
		goto describe;
	}
	s = stf__tc.spans[c];
	if (__builtin_expect(s != NULL && s->free != NULL, 1)) {
		obj = s->free;
		s->free = *(void **)obj;
	} else {
		if (!s || s->bump >= s->cap) {
			void *wide = NULL;
			s = stf__span_refill(c, size, id, STF_META_ALIGN(word) ? NULL : &wide);
			if (!s)
				return NULL;
			if (wide) {  /* (its objects counted used) */
				obj = wide;
				word |= STF_META_WIDE;
				goto describe;
			}
		}
		if (s->free) {
			obj = s->free;
			s->free = *(void **)obj;
		} else {
			obj = s->base + (size_t)s->bump * s->obj_size;
			stf__spans[s - stf__span_st].nobj = ++s->bump;
		}
	}
	s->used++;
describe:
	meta_set(s, obj_index(s, (uintptr_t)obj), id, word, size);
	return obj;
}

static inline __attribute__((always_inline)) void *alloc_block(size_t size, uint32_t site, uint64_t id)
{
	if (__builtin_expect(size < SMALL_MAX, 1))
		return alloc_small(block_class(size), size, site, id);
	if (size > PTRDIFF_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	return stf__large_alloc(size, 0, site, id, false);
}

/* align: a power of two > 16 (every object is 16-byte aligned).  Small:
 * a class whose size is a multiple of align (spans are 64 KiB aligned). */
static void *alloc_aligned(size_t align, size_t size, uint32_t site, uint64_t id)
{
	uint32_t word = site | (uint32_t)__builtin_ctzl(align) << 24;
	size_t need = size + 1 > align ? size + 1 : align;
	if (need <= SMALL_MAX) {
		uint32_t c = size_class(need);
		while (stf__class_size[c] % align)
			c++;
		return alloc_small(c, size, word, id);
	}
	if (size > PTRDIFF_MAX || align > PTRDIFF_MAX / 2) {
		errno = ENOMEM;
		return NULL;
	}
	return stf__large_alloc(size, align, word, id, false);
}

/* The live block of the region that starts at p: its span's metadata
 * entry (spans.h: meta_*); aborts like glibc on anything else. */
static inline __attribute__((always_inline)) uint32_t region_block(struct span_st *s,
								   uintptr_t p, const char *op)
{
	if (__builtin_expect(s->kind == STF_SPAN_SMALL, 1)) {
		uint32_t j = obj_index(s, p);
		/* entries past the carved ones hold old bytes of the unit */
		bool carved = p == (uintptr_t)s->base + (size_t)j * s->obj_size && j < s->bump;
		if (__builtin_expect(!carved || !meta_live(s, j), 0))
			bad_block(op, (void *)p, carved);
		return j;
	}
	if (s->kind != STF_SPAN_LARGE || p != (uintptr_t)s->base || !s->meta[0].id)
		bad_block(op, (void *)p, s->kind == STF_SPAN_FREE ||
			  (s->kind == STF_SPAN_LARGE && p == (uintptr_t)s->base));
	return 0;
}

/* Whether the calling thread's cache of freed blocks may take one of s,
 * another thread's span: malloc's fast path writes the thread's IDs into
 * the entries of the blocks it hands out from there, so a compact span's
 * high half must be the thread's (its own spans' always is). */
static inline bool cache_holds(const struct span_st *s)
{
	return s->id_hi == stf__tc.compact_hi || !s->compact;
}

/* The bytes block j of span s may use: its class's, a wide block's or a
 * large span's whole room. */
static uint64_t block_room(const struct span_st *s, uint32_t j)
{
	if (s->kind != STF_SPAN_SMALL)
		return (uint64_t)s->cap * UNIT;
	uint64_t size = meta_size(s, j);
	return size > s->obj_size ? size : s->obj_size;
}

static inline __attribute__((always_inline)) void free_block(struct span_st *s, void *p, const char *op)
{
	uint32_t j = region_block(s, (uintptr_t)p, op);
	/* the typed sub-objects inside the block die with it */
	if (__builtin_expect(meta_subs(s, j), 0))
		stf__sub_forget((uintptr_t)p, meta_size(s, j));
	if (stf__shadow_on())
		stf__shadow_clear((uintptr_t)p, block_room(s, j));
	if (__builtin_expect(s->kind != STF_SPAN_SMALL, 0)) {
		stf__large_free(s);
		return;
	}
	if (__builtin_expect(meta_wide(s, j), 0)) {
		uint64_t size = meta_size(s, j);
		meta_free(s, j);
		stf__wide_free(s, j, p, size);
		return;
	}
	meta_free(s, j);
	bool own = atomic_load_explicit(&s->owner, memory_order_relaxed) == &stf__tc;
	struct freed_bin *b = &stf__tc.freed[s->cls];
	uint32_t *n = &stf__tc.freed_n[s->cls];
	/* Another thread's block too, as glibc's tcache does: its lines are
	 * in this thread's cache now, and the next allocation of the class
	 * here takes it (its span keeps counting it used).  A thread not
	 * listed yet would not give it back at its exit (remote.c). */
	if (__builtin_expect(*n < FREED_CACHE && (own || (stf__tc.listed && cache_holds(s))), 1)) {
		b->entry[*n] = meta_entry(s, j);
		b->obj[(*n)++] = p;
		return;
	}
	if (__builtin_expect(own, 1)) {
		*(void **)p = s->free;
		s->free = p;
		if (__builtin_expect(s->full, 0))
			stf__span_unfull(s);
		if (__builtin_expect(--s->used == 0, 0) && s != stf__tc.spans[s->cls])
			stf__span_emptied(s);
		return;
	}
	stf__foreign_free(&stf__tc.foreign[(uint32_t)(s - stf__span_st) % FOREIGN_SLOTS], s, p);
}

/* libstf's own code (the metadata reader, the engine) allocating: its
 * buffers are no part of the program's state, so they stay untracked
 * (and free() recognises them as glibc's). */
static uintptr_t self_start, self_size;

static inline bool from_self(const void *ra)
{
	return (uintptr_t)ra - self_start < self_size;
}

void stf__find_self(void)
{
	struct dl_find_object fo;
	if (_dl_find_object((void *)(uintptr_t)stf__find_self, &fo) == 0) {
		self_start = (uintptr_t)fo.dlfo_map_start;
		self_size = (uintptr_t)fo.dlfo_map_end - self_start;
	}
}

/* The fast paths of malloc and free: what most calls do, with no call
 * in them, so that malloc and free save two registers at most and reach
 * the slow paths by a tail call (inlined, the slow paths cost them six
 * saved registers and a third of their instructions).  They give up,
 * with nothing changed, on anything else. */

/* A block of `size` bytes for the caller at ra: from the thread's cache
 * of freed blocks of its class (with their entries) or its first span's
 * free list, with an ID of the thread's batch and the site of the
 * plugin's marker or of the thread's cache of return addresses; NULL
 * otherwise. */
static inline __attribute__((always_inline)) void *alloc_fast(size_t size, const void *ra)
{
	uint32_t c;
	if (__builtin_expect(size < BYTE_CLASSES, 1))
		c = stf__block_class_of[size];
	else if (size < SMALL_MAX)
		c = block_class(size);
	else
		return NULL;
	if (__builtin_expect(from_self(ra), 0))
		return NULL;
	bool compact = c < NCOMPACT;
	uint64_t id = stf__tc.next_id;
	if (__builtin_expect(id >= (compact ? stf__tc.compact_end : stf__tc.end_id), 0))
		return NULL;
	uint32_t *cell = stf__alloc_site, site;
	if (cell && *cell) {
		site = *cell;
	} else {
		uint32_t k = (uint32_t)((uintptr_t)ra >> 2) % PC_CACHE;
		if (__builtin_expect(stf__tc.pc_of[k] != (uintptr_t)ra, 0))
			return NULL;
		site = stf__tc.site_of_pc[k];
	}
	uint32_t n = stf__tc.freed_n[c];
	char *obj, *e;
	if (__builtin_expect(n != 0, 1)) {
		stf__tc.freed_n[c] = --n;
		obj = stf__tc.freed[c].obj[n];
		e = stf__tc.freed[c].entry[n];
	} else {
		struct span_st *s = stf__tc.spans[c];
		if (!s || !s->free)
			return NULL;
		obj = s->free;
		s->free = *(void **)obj;
		s->used++;
		e = meta_entry(s, obj_index(s, (uintptr_t)obj));
	}
	if (!obj)
		__builtin_unreachable();
	stf__alloc_site = NULL;
	stf__tc.next_id = id + 1;
	/* meta_set's, knowing the word holds a site only (< MAX_SITES), with
	 * no branch on the entry's form (sizes on both sides of
	 * STF_COMPACT_MAX follow one another at random): a compact entry is
	 * the ID's low half and the word, 8 bytes; the others' first 8 are
	 * the ID, the next the site and the size, which a compact entry's
	 * store sends to the thread's sink instead (its next entry is
	 * another object's) */
	uint64_t first = compact ? (uint32_t)id | (uint64_t)STF_META8_WORD(site, size, 0, 0) << 32 : id;
	uint64_t second = site | (uint64_t)size << 32;
	memcpy(e, &first, sizeof first);
	memcpy(compact ? (char *)&stf__tc.entry_sink : e + 8, &second, sizeof second);
	return obj;
}

/* An entry of either form freed, its site word at word_at (free_fast). */
static inline __attribute__((always_inline)) void entry_free(char *e, uint32_t word_at)
{
	const uint32_t zero = 0;
	memcpy(e, &zero, sizeof zero);
	memcpy(e + word_at - sizeof zero, &zero, sizeof zero);
}

/* Block p of span s is freed (by free_fast): the objects noted inside it
 * die with it (a wrapper's string, whose free is no partner: its note is
 * still in the map), true.  Last, as free's tail call: a call before, or
 * the clearing inline, made free save registers on every call, 3 to 17
 * instructions a pair (pair-cost.sh); free_slow's way cost a wrapper's
 * pair 110 more (wrap-pair-cost.sh).  No other thread takes the block
 * from this thread's cache or its span's free list meanwhile. */
static inline __attribute__((always_inline)) bool freed_notes(const void *p, const struct span_st *s)
{
	uint64_t heap_off = (uintptr_t)p - stf__heap_lo;
	if (stf__shadow_unit_marked(heap_off))
		stf__shadow_clear_granules(heap_off, s->obj_size);
	return true;
}

/* Free p, a live block of a small span without sub-objects over one
 * object (not STF_META_WIDE), into the
 * thread's cache of freed blocks, or into its own span's free list when
 * the span neither is full nor empties: true, else false. */
static inline __attribute__((always_inline)) bool free_fast(void *p)
{
	/* span_of's, with no test of the span's address */
	uintptr_t off = (uintptr_t)p - stf__heap_lo;
	if (__builtin_expect(off >= stf__heap_bytes, 0))
		return false;
	struct span_st *s = &stf__span_st[off >> STF_SPAN_SHIFT];
	if (__builtin_expect(s->kind != STF_SPAN_SMALL, 0))
		return false;
	uint32_t j = obj_index(s, (uintptr_t)p);
	/* meta_live, meta_special and meta_free with no branch on the
	 * entry's form (spans.h): blocks of sizes on both sides of
	 * STF_COMPACT_MAX follow one another at random in a program, and
	 * such a branch mispredicts one time in two.  An entry's first 4
	 * bytes hold its ID's low half (a 16-byte entry's ID whose low half
	 * is 0 takes the slow path), the high half follows in the 16-byte
	 * form, the site word at word_at in either.  Freed: 4 bytes of zero
	 * at 0 and at word_at - 4 (the same ones again, or the high half:
	 * entry_free). */
	char *e = meta_entry(s, j);
	uint32_t id_lo, word, word_at = s->word_at;
	memcpy(&id_lo, e, sizeof id_lo);
	memcpy(&word, e + word_at, sizeof word);
	if (__builtin_expect((uintptr_t)p != (uintptr_t)s->base + (size_t)j * s->obj_size ||
			     j >= s->bump || !id_lo ||
			     (word & (STF_META_SUBS | STF_META_WIDE)), 0))
		return false;
	bool own = atomic_load_explicit(&s->owner, memory_order_relaxed) == &stf__tc;
	uint32_t c = s->cls, n = stf__tc.freed_n[c];
	if (__builtin_expect(n < FREED_CACHE && (own || (stf__tc.listed && cache_holds(s))), 1)) {
		entry_free(e, word_at);
		stf__tc.freed[c].entry[n] = e;
		stf__tc.freed[c].obj[n] = p;
		stf__tc.freed_n[c] = n + 1;
		return freed_notes(p, s);
	}
	if (own && !s->full && s->used > 1) {
		entry_free(e, word_at);
		*(void **)p = s->free;
		s->free = p;
		s->used--;
		return freed_notes(p, s);
	}
	return false;
}

static void *__attribute__((noinline)) malloc_slow(size_t size, const void *ra)
{
	if (__builtin_expect(from_self(ra), 0))
		return __libc_malloc(size);
	return alloc_block(size, take_site(ra), 0);
}

EXPORT void *malloc(size_t size)
{
	const void *ra = __builtin_return_address(0);
	void *p = alloc_fast(size, ra);
	if (__builtin_expect(p != NULL, 1))
		return p;
	return malloc_slow(size, ra);
}

/* Not a block of the region: a placed one, or glibc's (libstf's own
 * buffers, memory allocated before libstf was loaded). */
static void __attribute__((noinline)) free_other(void *p)
{
	if (p == stf__respawn_arg)
		return;
	if (stf__placed_free((uintptr_t)p))
		return;
	__libc_free(p);
}

static void __attribute__((noinline)) free_slow(void *p)
{
	struct span_st *s = span_of((uintptr_t)p);
	if (__builtin_expect(s != NULL, 1))
		free_block(s, p, "free");
	else if (p)
		free_other(p);
}

EXPORT void free(void *p)
{
	if (__builtin_expect(!free_fast(p), 0))
		free_slow(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
	const void *ra = __builtin_return_address(0);
	if (__builtin_expect(from_self(ra), 0))
		return __libc_calloc(n, size);
	uint32_t site = take_site(ra);
	size_t total;
	if (__builtin_mul_overflow(n, size, &total) || total > PTRDIFF_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	if (total >= SMALL_MAX)
		return stf__large_alloc(total, 0, site, 0, true);
	void *p = alloc_small(block_class(total), total, site, 0);
	return p ? memset(p, 0, total) : NULL;
}

/* Move the block at p (size old, described by site word `word`, id) into
 * a new one of `size` bytes; the old one is freed by the caller. */
static void *moved_block(const void *p, uint64_t old, size_t size, uint32_t word, uint64_t id)
{
	void *np = alloc_block(size, word, id);
	if (np)
		memcpy(np, p, old < size ? old : size);
	return np;
}

static void *realloc_at(void *p, size_t size, const void *ra)
{
	if (!p)
		return from_self(ra) ? __libc_malloc(size) : alloc_block(size, take_site(ra), 0);
	if (size == 0) {
		stf__alloc_site = NULL;
		free(p);
		return NULL;
	}
	if (size > PTRDIFF_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	struct span_st *s = span_of((uintptr_t)p);
	if (!s) {
		struct stf_slot placed;
		if (stf__placed_get((uintptr_t)p, &placed)) {
			/* adopted pages: move into a block of the region */
			void *np = moved_block(p, placed.size, size, take_marker(placed.site), placed.id);
			if (np)
				stf__placed_free((uintptr_t)p);
			return np;
		}
		if (from_self(ra))
			return __libc_realloc(p, size);
		/* Not ours: move it into a tracked block (its size is unknown
		 * to us, glibc's realloc tells how much to keep). */
		void *moved = __libc_realloc(p, size);
		if (!moved)
			return NULL;
		void *np = alloc_block(size, take_site(ra), 0);
		if (!np)
			return moved;  /* still valid, untracked */
		memcpy(np, moved, size);
		__libc_free(moved);
		return np;
	}
	uint32_t j = region_block(s, (uintptr_t)p, "realloc");
	uint64_t old = meta_size(s, j);
	if (__builtin_expect(meta_subs(s, j), 0)) {
		stf__sub_forget((uintptr_t)p, old); /* they do not move with it */
		meta_set_word(s, j, meta_word(s, j) & ~STF_META_SUBS);
	}
	if (stf__shadow_on())
		stf__shadow_clear((uintptr_t)p, block_room(s, j));
	/* realloc keeps malloc's alignment only */
	uint32_t site = take_marker(STF_META_SITE(meta_word(s, j)));
	/* in place when it fits: growing, or shrinking to no less than half
	 * (a large block: to no less than SMALL_MAX, its tail given back);
	 * a wide block when it covers as many objects (they are counted by
	 * its size: a string grown by appends stays until it needs one more) */
	if (s->kind == STF_SPAN_SMALL) {
		if (meta_wide(s, j)) {
			if (wide_objects(s, size) == wide_objects(s, old)) {
				meta_set(s, j, meta_id(s, j), site | STF_META_WIDE, size);
				return p;
			}
		} else if (size <= small_room(s) && (size >= old || size > s->obj_size / 2)) {
			meta_set(s, j, meta_id(s, j), site, size);
			return p;
		}
	} else {
		uint64_t room = (uint64_t)s->cap * UNIT;
		if (size < room && (size >= old || size > room / 2)) {
			s->meta[0].site = site;
			large_set_size(s, size);
			return p;
		}
		if (size >= room && stf__large_grow(s, size)) {
			s->meta[0].site = site;
			return p;
		}
		/* still large: its tail goes back, no copy (a string trimmed
		 * to its length, a vector shrunk to fit) */
		if (size < room && size >= SMALL_MAX) {
			s->meta[0].site = site;
			stf__large_trim(s, size);
			return p;
		}
	}
	void *np = moved_block(p, old, size, site, meta_id(s, j));
	if (np)
		free_block(s, p, "realloc");
	return np;
}

EXPORT void *realloc(void *p, size_t size)
{
	return realloc_at(p, size, __builtin_return_address(0));
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		stf__alloc_site = NULL;
		errno = ENOMEM;
		return NULL;
	}
	return realloc_at(p, total, __builtin_return_address(0));
}

static void *memalign_at(size_t align, size_t size, const void *ra)
{
	if (from_self(ra))
		return __libc_memalign(align, size);
	uint32_t site = take_site(ra);
	if (align <= 16)
		return alloc_block(size, site, 0);
	if (align & (align - 1)) {  /* glibc rounds up to a power of two */
		if (align > SIZE_MAX / 2 + 1) {
			errno = EINVAL;
			return NULL;
		}
		size_t a = 32;
		while (a < align)
			a <<= 1;
		align = a;
	}
	return alloc_aligned(align, size, site, 0);
}

EXPORT void *memalign(size_t align, size_t size)
{
	return memalign_at(align, size, __builtin_return_address(0));
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	return memalign_at(align, size, __builtin_return_address(0));
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1))) {
		stf__alloc_site = NULL;
		return EINVAL;
	}
	int saved = errno;
	void *p = memalign_at(align, size, __builtin_return_address(0));
	if (!p) {
		int e = errno;
		errno = saved;
		return e ? e : ENOMEM;
	}
	*out = p;
	return 0;
}

EXPORT void *valloc(size_t size)
{
	return memalign_at(PAGE, size, __builtin_return_address(0));
}

EXPORT void *pvalloc(size_t size)
{
	size_t rounded;
	if (__builtin_add_overflow(size, PAGE - 1, &rounded)) {
		stf__alloc_site = NULL;
		errno = ENOMEM;
		return NULL;
	}
	rounded &= ~(PAGE - 1);
	return memalign_at(PAGE, rounded ? rounded : PAGE, __builtin_return_address(0));
}

static size_t __attribute__((noinline)) usable_slow(void *p)
{
	struct span_st *s = span_of((uintptr_t)p);
	if (s)
		return meta_size(s, region_block(s, (uintptr_t)p, "malloc_usable_size"));
	struct stf_slot placed;
	return p && stf__placed_get((uintptr_t)p, &placed) ? placed.size : 0;
}

/* Redis's zmalloc calls it at every malloc and free: the size of a live
 * block of a small span over one object read as free_fast reads its
 * entry (a third of the instructions region_block and meta_size take),
 * anything else by usable_slow. */
EXPORT size_t malloc_usable_size(void *p)
{
	uintptr_t off = (uintptr_t)p - stf__heap_lo;
	const struct span_st *s = &stf__span_st[off >> STF_SPAN_SHIFT];
	if (__builtin_expect(off < stf__heap_bytes && s->kind == STF_SPAN_SMALL, 1)) {
		uint32_t j = obj_index(s, (uintptr_t)p);
		const char *e = meta_entry(s, j);
		uint32_t id_lo, word;
		memcpy(&id_lo, e, sizeof id_lo);
		memcpy(&word, e + s->word_at, sizeof word);
		if (__builtin_expect((uintptr_t)p == (uintptr_t)s->base + (size_t)j * s->obj_size &&
				     j < s->bump && id_lo && !(word & STF_META_WIDE), 1)) {
			if (s->compact)
				return STF_META8_SIZE(word);
			uint32_t size;
			memcpy(&size, e + offsetof(struct stf_obj_meta, size), sizeof size);
			return size;
		}
	}
	return usable_slow(p);
}

EXPORT void *stf__alloc_with(size_t size, uint32_t site, uint64_t id)
{
	return stf__alloc_aligned_with(size, 0, site, id);
}

EXPORT void *stf__alloc_aligned_with(size_t size, size_t align, uint32_t site, uint64_t id)
{
	if (id) {
		/* Keep the IDs this process hands out from now on above it. */
		uint64_t cur = atomic_load((_Atomic uint64_t *)&stf__root.next_id);
		if (id >= cur)
			stf__alloc_bump_id(id + 1);
	}
	/* the transfer is creating the state during the update's pause: no
	 * huge page collapse (spans.c) in it */
	stf__tc.transferring = true;
	void *p = align > 16 && !(align & (align - 1)) ? alloc_aligned(align, size, site, id) :
		  alloc_block(size, site, id);
	stf__tc.transferring = false;
	return p;
}

EXPORT void *stf__alloc_at(uint64_t addr, size_t size, uint32_t site, uint64_t id)
{
	if ((addr & 15) || addr < PAGE || size > PTRDIFF_MAX - PAGE ||
	    addr > PLACE_LIMIT || size > PLACE_LIMIT - addr) {
		errno = EINVAL;
		return NULL;
	}
	ensure_tables();
	if (id && id >= atomic_load((_Atomic uint64_t *)&stf__root.next_id))
		stf__alloc_bump_id(id + 1);
	int err = stf__placed_new(addr, size, site, id ? id : next_id());
	if (err) {
		errno = err;
		return NULL;
	}
	return (void *)(uintptr_t)addr;
}

