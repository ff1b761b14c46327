/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * alloc.h - allocation tracking (libstf internal).
 *
 * alloc.c replaces the glibc malloc family and mmap/munmap/mremap, keeps
 * stf__root (root.h) up to date and numbers allocation sites.  These are
 * the entry points the rest of libstf (transfer engine, control code)
 * uses; everything here is safe to call from any thread.
 */
#ifndef STF_ALLOC_H
#define STF_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "root.h"

/* Thread-local pending allocation site (stf-format.h, STF_ALLOC_SITE_VAR):
 * instrumented code stores &unit->site_ids[i] here before an allocator
 * call; the allocator consumes and clears it.  Initial-exec, as defined
 * (alloc-state.c): declared without the model, every access from another
 * file of libstf is a call of __tls_get_addr, and malloc's fast path then
 * makes a call and saves six registers. */
extern __thread uint32_t *stf__alloc_site __attribute__((tls_model("initial-exec")));

/* Allocate a tracked heap block (like malloc) with global site number
 * `site` and dynamic ID `id` (0 = a fresh ID).  A pending site marker of
 * the calling thread is left untouched.  NULL with errno on failure. */
void *stf__alloc_with(size_t size, uint32_t site, uint64_t id);
/* The same with the alignment of memalign & co. (power of two; <= 16:
 * malloc's). */
void *stf__alloc_aligned_with(size_t size, size_t align, uint32_t site, uint64_t id);

/* The block of ours that starts at p and holds size bytes (any size when
 * size is 0) is given global site number `site` (the call site of the
 * STF_ALLOCATOR function that handed it out types it): 1; 0 if p is not
 * the start of such a block: a block of the heap region holding p is then
 * marked as holding sub-objects (stf__heap_mark_subs) when size is known,
 * and described in *holder as it was before (holder->subs: a sub-object
 * was marked inside before this one; holder->size is 0 without a block:
 * the caller saves a second lookup, stf__heap_block). */
struct stf_block_info;
int stf__heap_type_block(void *p, uint64_t size, uint32_t site, struct stf_block_info *holder);
/* The block of the heap region that starts at p takes dynamic ID id (a
 * slab the new version's startup made stands for the old version's:
 * transfer/slots.c): 1; 0 if p is not the start of such a block. */
int stf__heap_set_id(void *p, uint64_t id);
/* Create a tracked heap block at exactly `addr` (16-byte aligned, any
 * size) with global site number `site` and dynamic ID `id` (0 = a fresh
 * ID), as a past version had it.  The block behaves like any other (free,
 * realloc - which may move it -, malloc_usable_size, enumeration) and
 * occupies [addr, addr + size rounded up to 16).  NULL with errno
 * and nothing changed on failure: EEXIST if that overlaps a live block,
 * libstf's own memory or any other mapping; EINVAL for a misaligned or
 * impossible address; ENOMEM. */
void *stf__alloc_at(uint64_t addr, size_t size, uint32_t site, uint64_t id);
/* Placed blocks about to be created (a transfer's): the pages they will
 * occupy in reserved ranges are made accessible and populated at once,
 * on huge pages where they fill 2 MiB, instead of faulting in one by
 * one; _end gives back those no block took.  Sorts `blocks`. */
struct stf_place_block { uint64_t addr, size; };
void stf__place_batch_begin(struct stf_place_block *blocks, size_t n);
void stf__place_batch_end(void);

/* "<prefix><start>-<end>,..." (hexadecimal): the address ranges holding
 * this process's live heap blocks and its mappings, for STF_AVOID in the
 * environment of the next version (F and R reserve them, so P's addresses
 * stay free for stf__alloc_at and stf__mmap_with).  Call while quiesced;
 * stf__raw_free() the result; NULL if out of memory or /proc/self/maps
 * cannot be read. */
char *stf__avoid_describe(const char *prefix);

/* After the commit: give back the reserved ranges of the past version's
 * heap (STF_AVOID) that hold no placed block; they only cost address
 * space, and the past version is gone. */
void stf__avoid_release_unused(void);

/* A live heap block: what the allocator knows of it. */
struct stf_block_info {
	uint64_t start, size, id;
	uint32_t site;      /* global site number */
	uint32_t align_lg;  /* log2 of memalign's alignment, 0: malloc's */
	bool subs;          /* typed sub-objects were registered inside */
};

/* The live heap block holding p (a block of the heap region, from its
 * start to its end; a placed block, at its start): 1 and *out, else 0. */
int stf__heap_block(const void *p, struct stf_block_info *out);

/* A typed sub-object was registered at addr: the heap block holding it
 * (if any) forgets its sub-objects when freed or moved. */
void stf__heap_mark_subs(uint64_t addr);

/* Every live tracked object: heap blocks (kind STF_SLOT_HEAP), mappings
 * and registered objects (slot kinds, root.h).  fn's non-zero return
 * stops the walk and is returned.  Call while other threads cannot
 * change the heap (quiesced). */
int stf__objects_each(int (*fn)(void *ctx, uint64_t addr, uint64_t size, uint32_t kind),
		      void *ctx);

/* An upper bound of the number of live tracked objects (cheap). */
uint64_t stf__objects_bound(void);

/* Create a tracked anonymous private mapping (like mmap) of `size` bytes
 * with protection `prot`, global site number `site` and dynamic ID `id`
 * (0 = a fresh ID), at address `at` exactly if not 0: over the range this
 * process reserved for the past version's mapping there (STF_AVOID), its
 * first `own` bytes, or where nothing is mapped, or over the mapping its
 * startup made there with the same site (the counterpart it replaces).
 * NULL with errno on failure (EEXIST: something else is there). */
void *stf__mmap_with(size_t size, int prot, uint32_t site, uint64_t id, uint64_t at,
		     uint64_t own);

/* The dynamic ID of the tracked mapping starting at addr, 0 if none. */
uint64_t stf__mapping_id_at(uint64_t addr);

/* Global site number of a site ID string in this process: a plugin site
 * ID ("kvd.c:put/struct entry.key#0"), an external site
 * ("libc.so.6+0x1234", created on demand) or a user site registered with
 * stf_register_object().  0 if it is not a known plugin/user site or
 * cannot be parsed as an external one. */
uint32_t stf__site_by_id(const char *site_id);

/* Global site number of the stf_register_object() site site_id, created
 * with element type name `type` if new; 0 with errno (EINVAL: bad ID or
 * type name, EEXIST: the ID names a plugin or external site, ENOMEM). */
uint32_t stf__user_site(const char *site_id, const char *type);

/* The site ID string of a global site number (the inverse of
 * stf__site_by_id); "" for 0 or an out-of-range number. */
void stf__site_describe(uint32_t site, char *buf, size_t len);

/* Untracked memory for libstf's own buffers (glibc's allocator). */
void *stf__raw_malloc(size_t size);
void *stf__raw_realloc(void *ptr, size_t size);
void stf__raw_free(void *ptr);

/* Make sure no dynamic ID below min_next is handed out from now on by the
 * process (other threads finish the batch of IDs they already hold: call
 * it before other threads allocate, as the transfer does). */
void stf__alloc_bump_id(uint64_t min_next);

/* The executable's metadata units, validated when their sites were
 * numbered (alignment padding skipped); *n is set to their count. */
const struct stf_unit *const *stf__units(size_t *n);

/* Make sure stf__root is initialized (site table, units, exe path).  Done
 * by a library constructor and lazily by the allocator; idempotent. */
void stf__alloc_init(void);
/* Is key the allocator's per-thread cache key? */
bool stf__alloc_own_key(unsigned key);

/* Raw mmap/munmap that bypass tracking (libstf's own mappings). */
void *stf__raw_mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
int stf__raw_munmap(void *addr, size_t len);

#endif /* STF_ALLOC_H */
