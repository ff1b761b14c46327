/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * remote.c - frees of blocks of other threads' spans (spans.h): the
 * batches a thread collects per span before handing them over, the
 * spans' lock-free remote lists the batches go to and the owner takes
 * them back from, and the list of the threads holding such blocks (a
 * fork child takes back what the threads it lost held).
 *
 * Runs inside malloc, possibly in the dynamic loader: raw system calls
 * only.
 */
#include <pthread.h>

#include "heap.h"
#include "spans.h"

/* A span's remote list is a list of batches (stf__foreign_flush): the
 * first block of each says in its second word where the batch ends and
 * how many blocks it has, so taking them reads two blocks per batch, not
 * every block (each a cache miss: other threads wrote them last). */
#define BATCH_TAIL_BITS 48
_Static_assert(FOREIGN_BATCH < 1u << (64 - BATCH_TAIL_BITS), "a batch's count fits");

static uintptr_t batch_word(void *tail, uint32_t n)
{
	return (uintptr_t)tail | (uintptr_t)n << BATCH_TAIL_BITS;
}

/* A batch of n blocks of s, linked from head to tail, onto its remote
 * list. */
static void push_remote(struct span_st *s, void *head, void *tail, uint32_t n)
{
	((void **)head)[1] = (void *)batch_word(tail, n);
	void *top = atomic_load_explicit(&s->remote, memory_order_relaxed);
	do
		*(void **)tail = top;
	while (!atomic_compare_exchange_weak_explicit(&s->remote, &top, head,
						      memory_order_release, memory_order_relaxed));
}

void stf__remote_collect(struct span_st *s)
{
	if (!atomic_load_explicit(&s->remote, memory_order_relaxed))
		return;
	void *r = atomic_exchange_explicit(&s->remote, NULL, memory_order_acquire);
	uint32_t n = 0;
	void **tail;
	for (void **batch = r;; batch = *tail) {
		uintptr_t w = (uintptr_t)batch[1];
		tail = (void **)(w & (((uintptr_t)1 << BATCH_TAIL_BITS) - 1));
		n += (uint32_t)(w >> BATCH_TAIL_BITS);
		if (!*tail)
			break;
	}
	*tail = s->free;
	s->free = r;
	s->used -= n;
}

/* The threads that own spans, for a fork child to take back the freed
 * blocks the threads it lost kept in their caches (under stf__span_lock). */
static struct tcache *threads;

void stf__list_thread(void)
{
	pthread_mutex_lock(&stf__span_lock);
	stf__tc.prev_tc = NULL;
	stf__tc.next_tc = threads;
	if (threads)
		threads->prev_tc = &stf__tc;
	threads = &stf__tc;
	stf__tc.listed = true;
	pthread_mutex_unlock(&stf__span_lock);
}

void stf__unlist_thread_locked(struct tcache *tc)
{
	if (tc->prev_tc)
		tc->prev_tc->next_tc = tc->next_tc;
	else
		threads = tc->next_tc;
	if (tc->next_tc)
		tc->next_tc->prev_tc = tc->prev_tc;
	tc->listed = false;
}

void stf__flush_freed(struct tcache *tc)
{
	for (uint32_t c = 0; c < NCLASSES; c++) {
		while (tc->freed_n[c]) {
			void *p = tc->freed[c].obj[--tc->freed_n[c]];
			struct span_st *s = span_of((uintptr_t)p);
			if (atomic_load_explicit(&s->owner, memory_order_relaxed) != tc) {
				push_remote(s, p, p, 1);
				continue;
			}
			*(void **)p = s->free;
			s->free = p;
			s->used--;
		}
	}
}

void stf__foreign_flush(struct foreign_batch *f)
{
	push_remote(f->span, f->head, f->tail, f->n);
	f->span = NULL;
	f->head = f->tail = NULL;
	f->n = 0;
}

void __attribute__((noinline)) stf__foreign_start(struct foreign_batch *f, struct span_st *s,
						  void *p)
{
	if (f->span)
		stf__foreign_flush(f);
	/* the batches go back at the thread's exit, and in a fork child */
	stf__tc_register();
	if (__builtin_expect(!stf__tc.listed, 0))
		stf__list_thread();
	*(void **)p = NULL;
	f->span = s;
	f->head = f->tail = p;
	f->n = 1;
	f->max = s->obj_size > FOREIGN_BYTES / FOREIGN_BATCH ? FOREIGN_BYTES / s->obj_size :
	         FOREIGN_BATCH;
	if (f->n >= f->max)
		stf__foreign_flush(f);
}

void stf__flush_foreign(struct tcache *tc)
{
	for (uint32_t i = 0; i < FOREIGN_SLOTS; i++)
		if (tc->foreign[i].span)
			stf__foreign_flush(&tc->foreign[i]);
}

void stf__remote_fork_child_locked(void)
{
	for (struct tcache *tc = threads, *next; tc; tc = next) {
		next = tc->next_tc;
		if (tc != &stf__tc) {
			stf__wide_flush(tc);
			stf__flush_freed(tc);
			stf__flush_foreign(tc);
			stf__unlist_thread_locked(tc);
		}
	}
}
