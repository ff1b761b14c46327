/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * malloc-lifecycle.c - the timed patterns of malloc-bench (malloc-bench.c)
 * where blocks outlive or cross the threads and processes that made
 * them: a thread per connection, each allocating a little before it
 * exits; a child forked from a server's heap allocating and freeing; and
 * messages handed to another thread one by one through a ring, kept
 * there in a live window.  Each returns the CPU seconds of one
 * operation, counting what threads and children pay for their malloc's
 * setup and teardown.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "malloc-bench.h"

static double process_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* threads: 2,000 threads in turn (a thread per connection), each making
 * 8-40 blocks of a server's sizes (a request's parse), freeing all but
 * one, which it hands back (the session's record, freed by the next
 * thread: in a span of a thread that is gone), then exiting.  The
 * process's CPU time, divided among the patterns run side by side
 * (their threads' start and exit, malloc's per-thread setup and
 * teardown included), per block. */
#define CONN_THREADS 2000

struct connection { unsigned seed; void *kept; long blocks; };

static void *connection(void *arg)
{
	struct connection *c = arg;
	void *parts[40];
	unsigned n = 8 + next_rand(&c->seed) % 33;
	for (unsigned i = 0; i < n; i++) {
		size_t size = skewed_size(&c->seed);
		parts[i] = malloc(size);
		memset(parts[i], (int)i, size);
	}
	free(c->kept);
	c->kept = parts[0];
	for (unsigned i = 1; i < n; i++)
		free(parts[i]);
	c->blocks += n;
	return NULL;
}

double short_threads(unsigned id)
{
	struct connection c = { id * 2654435761u + 59, NULL, 0 };
	double t0 = process_cpu_s();
	for (int i = 0; i < CONN_THREADS; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, connection, &c))
			abort();
		pthread_join(t, NULL);
	}
	double t = process_cpu_s() - t0;
	free(c.kept);
	return t / pattern_threads / (double)c.blocks;
}

/* forkchild: a server's heap of 20,000 blocks (a server's sizes), then
 * 100 children forked from it, each (a CGI handler, a worker) replacing
 * random blocks of a window of 256 new ones 4,000 times, freeing 1,000
 * inherited blocks and exiting.  The parent's CPU time in fork and the
 * child's whole (its fork handlers and copied pages included: its
 * process clock, sent through a pipe), per block the child allocates. */
#define FORK_HEAP 20000
#define FORK_CHILDREN 100
#define CHILD_WINDOW 256
#define CHILD_OPS 4000
#define CHILD_FREES 1000

static void child(void **heap, unsigned seed, int out)
{
	void *live[CHILD_WINDOW] = { 0 };
	for (int i = 0; i < CHILD_OPS; i++) {
		unsigned k = next_rand(&seed) % CHILD_WINDOW;
		size_t size = skewed_size(&seed);
		free(live[k]);
		live[k] = malloc(size);
		memset(live[k], 'c', size);
	}
	for (int i = 0; i < CHILD_FREES; i++) {
		unsigned k = next_rand(&seed) % FORK_HEAP;
		free(heap[k]);
		heap[k] = NULL;
	}
	for (int k = 0; k < CHILD_WINDOW; k++)
		free(live[k]);
	double cpu = process_cpu_s();
	_exit(write(out, &cpu, sizeof cpu) == sizeof cpu ? 0 : 1);
}

double forkchild(unsigned id)
{
	unsigned seed = id * 2654435761u + 61;
	void **heap = malloc(FORK_HEAP * sizeof *heap);
	for (int k = 0; k < FORK_HEAP; k++) {
		size_t size = skewed_size(&seed);
		heap[k] = malloc(size);
		memset(heap[k], 'h', size);
	}
	double t = 0;
	for (int n = 0; n < FORK_CHILDREN; n++) {
		int fd[2];
		if (pipe(fd))
			abort();
		double t0 = cpu_s();
		pid_t pid = fork();
		if (pid == 0)
			child(heap, next_rand(&seed), fd[1]);
		t += cpu_s() - t0;
		double cpu;
		int status;
		if (pid < 0 || read(fd[0], &cpu, sizeof cpu) != sizeof cpu ||
		    waitpid(pid, &status, 0) != pid || status != 0)
			abort();
		t += cpu;
		close(fd[0]);
		close(fd[1]);
	}
	for (int k = 0; k < FORK_HEAP; k++)
		free(heap[k]);
	free(heap);
	return t / ((double)FORK_CHILDREN * CHILD_OPS);
}

/* ring: a producer sends messages of a server's sizes one by one through
 * a ring of 1,024 slots to a consumer, which keeps each in a live window
 * of 1,024 (replies waiting for their peer) in place of a random older
 * one, freed: every free is of a block the other thread made, at random
 * ages, and the two run at once.  Timed 32 messages at a time on each
 * side (waiting for the other side is not counted); ns per message. */
#define RING 1024
#define RING_WINDOW 1024
#define RING_MESSAGES 1000000L
#define RING_CHUNK 32

struct ring {
	void *slot[RING];
	_Alignas(64) atomic_ulong head;  /* written by the producer */
	_Alignas(64) atomic_ulong tail;  /* written by the consumer */
	double consumer_cpu;
};

static void *ring_consumer(void *arg)
{
	struct ring *r = arg;
	void **live = calloc(RING_WINDOW, sizeof *live);
	unsigned seed = 89;
	double t = 0;
	unsigned long tail = 0;
	while (tail < RING_MESSAGES) {
		unsigned long head;
		while ((head = atomic_load_explicit(&r->head, memory_order_acquire)) == tail)
			sched_yield();
		if (head - tail > RING_CHUNK)
			head = tail + RING_CHUNK;
		double t0 = cpu_s();
		for (; tail < head; tail++) {
			char *m = r->slot[tail % RING];
			if (*m != (char)tail)
				abort();
			unsigned k = next_rand(&seed) % RING_WINDOW;
			free(live[k]);
			live[k] = m;
		}
		t += cpu_s() - t0;
		atomic_store_explicit(&r->tail, tail, memory_order_release);
	}
	for (int k = 0; k < RING_WINDOW; k++)
		free(live[k]);
	free(live);
	r->consumer_cpu = t;
	return NULL;
}

double ring(unsigned id)
{
	struct ring *r = calloc(1, sizeof *r);
	unsigned seed = id * 2654435761u + 67;
	pthread_t c;
	if (pthread_create(&c, NULL, ring_consumer, r))
		abort();
	double t = 0;
	unsigned long head = 0;
	while (head < RING_MESSAGES) {
		while (head - atomic_load_explicit(&r->tail, memory_order_acquire) > RING - RING_CHUNK)
			sched_yield();
		double t0 = cpu_s();
		for (unsigned long end = head + RING_CHUNK; head < end; head++) {
			size_t size = skewed_size(&seed);
			char *m = malloc(size);
			memset(m, (char)head, size < 64 ? size : 64);  /* a header */
			r->slot[head % RING] = m;
		}
		t += cpu_s() - t0;
		atomic_store_explicit(&r->head, head, memory_order_release);
	}
	pthread_join(c, NULL);
	t += r->consumer_cpu;
	free(r);
	return t / RING_MESSAGES;
}
