/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * collapse.h - INTERNAL to the allocation tracker: the huge-page
 * collapses of filled heap ranges, done by a thread of libstf's own
 * (collapse.c) instead of the allocation that filled the range.
 */
#ifndef STF_COLLAPSE_H
#define STF_COLLAPSE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The 2 MiB range starting at lo (the i-th of the heap, i < 64) is to be
 * collapsed into a huge page: queued for the collapser thread, which is
 * woken, or started. */
void stf__collapse_queue(uint64_t i, uintptr_t lo);

/* The collapser thread's ID, 0 if none: quiescence does not wait for it
 * (it never runs program code). */
int stf__collapser_tid(void);

/* Fork child: the collapser thread is gone; ranges queued are dropped
 * (the child's copies are the parent's pages), the next queued range
 * starts a new thread. */
void stf__collapse_fork_child(void);

/* The kernel refused MADV_COLLAPSE (before 6.1), or there is no thread:
 * nothing to queue. */
extern atomic_bool stf__no_collapse;

#endif /* STF_COLLAPSE_H */
