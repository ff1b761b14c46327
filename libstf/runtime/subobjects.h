/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * subobjects.h - typed sub-objects (libstf internal): the objects an
 * STF_ALLOCATOR function hands out from inside a larger block (a size
 * header's block, a pool chunk, a slab), registered after the call by the
 * code the plugin emits around it (stf.h, stf__sub_object).
 */
#ifndef STF_SUBOBJECTS_H
#define STF_SUBOBJECTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Number of live sub-objects: realloc and free of blocks without the
 * metadata's flag (placed blocks) look at the registry only when there
 * are any. */
extern atomic_size_t stf__nsubs;

/* Whether any sub-object is registered or pending in a thread's log
 * (sub-pending.c; also when a log holds only objects given back since it
 * was last folded): the frees of objects and blocks look further only
 * then.  Read without a lock, exact for an object (or its address)
 * handed over to the caller after it was noted. */
bool stf__pending_any(void);
static inline bool stf__subs_any(void)
{
	return atomic_load_explicit(&stf__nsubs, memory_order_relaxed) || stf__pending_any();
}

/* Register (or re-register: the earlier registration at addr is replaced)
 * the sub-object of size bytes at addr with global site number `site` and
 * dynamic ID `id` (0: a fresh one).  It is a slot of kind STF_SLOT_USER,
 * so other processes see it.  0, or -1 with errno = ENOMEM. */
int stf__sub_register(uint64_t addr, uint64_t size, uint32_t site, uint64_t id);

/* stf__sub_register without folding the threads' pending registrations
 * first: their fold itself. */
int stf__sub_register_now(uint64_t addr, uint64_t size, uint32_t site, uint64_t id);

/* stf__sub_register_now of an object an STF_ALLOCATOR call handed out
 * (noted until now): false, with a warning, when out of memory (it is
 * transferred as untyped memory). */
bool stf__sub_register_noted(uint64_t addr, uint64_t size, uint32_t site, uint64_t id);

/* Fold every thread's pending registrations into the registry: before
 * it is read (quiescence, the lookups, the walk over every object). */
void stf__sub_flush(void);
/* The same while every other thread is parked (quiescence): the objects
 * noted in the shadow map (sub-shadow.c) are folded too.  stf__sub_flush
 * folds them only in a process of one thread. */
void stf__sub_flush_stopped(void);

/* Forget the sub-object registered at addr: 0, or -1 if there is none
 * (stf_unregister_object of an object the transfer registered). */
int stf__sub_unregister(uint64_t addr);
/* Whether a sub-object is registered at addr. */
bool stf__sub_registered(uint64_t addr);

/* The block [addr, addr + size) is freed or moved: its sub-objects die
 * with it. */
void stf__sub_forget(uint64_t addr, uint64_t size);

/* Fork: the registry's lock is held across it. */
void stf__sub_fork_prepare(void);
void stf__sub_fork_release(void);

/* Called by the code the plugin emits after each call to an STF_ALLOCATOR
 * function (see subobjects.c); stf__sub_note (sub-shadow.c) when the size
 * is a constant of 8 bytes or more, stf__sub_note_sized (sub-shadow.c)
 * when it varies, both given the byte where the call's inline note
 * caches the site's code (NULL: none). */
void stf__sub_object(void *ptr, size_t size, const uint32_t *cell);
void stf__sub_note(void *ptr, size_t size, const uint32_t *cell, uint8_t *cache);
void stf__sub_note_sized(void *ptr, size_t size, const uint32_t *cell, uint8_t *cache);

#endif /* STF_SUBOBJECTS_H */
