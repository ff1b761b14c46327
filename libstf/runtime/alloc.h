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

#include <stddef.h>
#include <stdint.h>
#include "root.h"

/* Thread-local pending allocation site (stf-format.h, STF_ALLOC_SITE_VAR):
 * instrumented code stores &unit->site_ids[i] here before an allocator
 * call; the allocator consumes and clears it. */
extern __thread uint32_t *stf__alloc_site;

/* Allocate a tracked heap block (like malloc) with global site number
 * `site` and dynamic ID `id` (0 = a fresh ID).  A pending site marker of
 * the calling thread is left untouched.  NULL with errno on failure. */
void *stf__alloc_with(size_t size, uint32_t site, uint64_t id);
/* The same with the alignment of memalign & co. (power of two; <= 16:
 * malloc's). */
void *stf__alloc_aligned_with(size_t size, size_t align, uint32_t site, uint64_t id);

/* Create a tracked heap block at exactly `addr` (16-byte aligned, any
 * size) with global site number `site` and dynamic ID `id` (0 = a fresh
 * ID), as a past version had it.  The block behaves like any other (free,
 * realloc - which may move it -, malloc_usable_size, enumeration) and
 * occupies [addr - 32, addr + size rounded up to 16).  NULL with errno
 * and nothing changed on failure: EEXIST if that overlaps a live block,
 * libstf's own memory or any other mapping; EINVAL for a misaligned or
 * impossible address; ENOMEM. */
void *stf__alloc_at(uint64_t addr, size_t size, uint32_t site, uint64_t id);

/* "<prefix><start>-<end>,..." (hexadecimal): the address ranges holding
 * this process's live heap blocks, for STF_AVOID in the environment of
 * the next version (F and R reserve them, so P's addresses stay free for
 * stf__alloc_at).  Call while quiesced; stf__raw_free() the result; NULL
 * if out of memory or /proc/self/maps cannot be read. */
char *stf__avoid_describe(const char *prefix);

/* Create a tracked anonymous private mapping (like mmap) of `size` bytes
 * with protection `prot`, global site number `site` and dynamic ID `id`
 * (0 = a fresh ID).  NULL with errno on failure. */
void *stf__mmap_with(size_t size, int prot, uint32_t site, uint64_t id);

/* Global site number of a site ID string in this process: a plugin site
 * ID ("kvd.c:put/struct entry.key#0"), an external site
 * ("libc.so.6+0x1234", created on demand) or a user site registered with
 * stf_register_object().  0 if it is not a known plugin/user site or
 * cannot be parsed as an external one. */
uint32_t stf__site_by_id(const char *site_id);

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

/* Raw mmap/munmap that bypass tracking (libstf's own mappings). */
void *stf__raw_mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
int stf__raw_munmap(void *addr, size_t len);

#endif /* STF_ALLOC_H */
