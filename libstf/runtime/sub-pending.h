/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sub-pending.h - the registrations of sub-objects each thread has not
 * yet folded into the registry (libstf internal; see sub-pending.c).
 * subobjects.c calls these (alloc.c the thread exit): the registry's
 * readers fold every thread's pending registrations first
 * (stf__sub_flush, subobjects.h).
 */
#ifndef STF_SUB_PENDING_H
#define STF_SUB_PENDING_H

#include <stdbool.h>
#include <stdint.h>

/* Whether the calling thread registers the object it is handed now at
 * once instead of noting it (no memory for a log, or its objects
 * outlived its log lately): the caller calls stf__sub_register_now,
 * which replaces a registration at its address by itself. */
bool stf__pending_registers_now(void);

/* Note the sub-object of size bytes at addr, site `site`, in the calling
 * thread's pending registrations (replacing one at addr), after
 * stf__pending_registers_now said false; the caller marked its block
 * (stf__heap_type_block).  False when it is not noted (no memory, or the
 * log is full of live objects): the caller registers it at once
 * (stf__sub_register_now: an object handed out now is pending
 * nowhere). */
bool stf__pending_add(uint64_t addr, uint64_t size, uint32_t site);

/* The object at addr is given back to its pool: true if it was pending in
 * the calling thread (it is forgotten there, never registered). */
bool stf__pending_cancel(uint64_t addr);

/* The same for an object noted by another thread and handed over to the
 * calling one, or whose address the calling thread was handed again (the
 * object was given back without the partner free: its entry is stale). */
bool stf__pending_cancel_others(uint64_t addr);

/* The block [addr, end) is freed or moved: the objects noted inside it,
 * in every thread, die with it. */
void stf__pending_forget(uint64_t addr, uint64_t end);

/* Fold the pending registrations of every thread into the registry. */
void stf__pending_fold(void);

/* The calling thread exits: its pending registrations are folded and its
 * log goes to the next new thread. */
void stf__pending_thread_exit(void);

/* Fork: every log's lock is held across it. */
void stf__pending_fork_prepare(void);
void stf__pending_fork_release(void);

#endif /* STF_SUB_PENDING_H */
