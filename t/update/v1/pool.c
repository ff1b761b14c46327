/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pool: a line server on a UNIX socket whose requests are served by a pool
 * of worker threads.  main accepts connections and queues them; each
 * worker sleeps on the pool's condition variable while the queue is empty
 * - one in pthread_cond_wait, one in pthread_cond_timedwait, one in
 * pthread_cond_clockwait - so an idle server has no thread at an update
 * point but main.  One request per connection:
 *   add K V   store V under K          -> "ok"
 *   get K     the value under K        -> V or "none"
 *   served    requests served by each worker, from their locals -> "A B C"
 *   version   -> VERSION
 * The pool is allocated at every start, the new version's too; each
 * worker's `pool` and `served` are locals of its wait point, so they must
 * come over from the old version's worker of the same creation order.
 * VERSION 2 reorders struct pool (the mutex and condition variable move)
 * and widens the stored values.
 */
#define _GNU_SOURCE /* pthread_cond_clockwait */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <stf.h>
#include "../listener.h"

#ifndef VERSION
#define VERSION 1
#endif
#define NWORKERS 3

struct entry {
	int key;
#if VERSION == 1
	int value;
#else
	long value;
#endif
	struct entry *next;
};

struct job {
	int fd;
	struct job *next;
};

#if VERSION == 1
struct pool {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct job *head, **tail;
	struct entry *entries;
	long served[NWORKERS];  /* copies of the workers' locals */
};
#else
struct pool {
	struct entry *entries;
	long served[NWORKERS];
	struct job *head, **tail;
	pthread_cond_t ready;
	pthread_mutex_t lock;
};
#endif

struct pool *the_pool;
static long worker_ids[NWORKERS];

static struct pool *pool_new(void)
{
	struct pool *p = calloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->ready, NULL);
	p->tail = &p->head;
	return p;
}

/* Reply to one request (p->lock held). */
static void serve(struct pool *p, const char *req, char *out, size_t len)
{
	int k;
	long v;

	if (sscanf(req, "add %d %ld", &k, &v) == 2) {
		struct entry *e = malloc(sizeof *e);
		e->key = k;
		e->value = v;
		e->next = p->entries;
		p->entries = e;
		snprintf(out, len, "ok\n");
	} else if (sscanf(req, "get %d", &k) == 1) {
		struct entry *e = p->entries;
		while (e && e->key != k)
			e = e->next;
		if (e)
			snprintf(out, len, "%ld\n", (long)e->value);
		else
			snprintf(out, len, "none\n");
	} else if (strncmp(req, "served", 6) == 0) {
		snprintf(out, len, "%ld %ld %ld\n", p->served[0], p->served[1], p->served[2]);
	} else if (strncmp(req, "version", 7) == 0) {
		snprintf(out, len, "%d\n", VERSION);
	} else {
		snprintf(out, len, "error\n");
	}
}

/* Each worker waits its own way.  The waits are in the worker's own
 * function: only the locals of the function holding a wait point (or an
 * update point) are transferred, not those of its callers. */
static void *worker(void *arg)
{
	struct pool *p = the_pool;
	long id = *(long *)arg;
	long served = 0;
	struct timespec until;

	for (;;) {
		char req[128], out[128];
		pthread_mutex_lock(&p->lock);
		while (!p->head) {
			switch (id) {
			case 0:
				pthread_cond_wait(&p->ready, &p->lock);
				break;
			case 1:
				clock_gettime(CLOCK_REALTIME, &until);
				until.tv_sec += 3600;
				pthread_cond_timedwait(&p->ready, &p->lock, &until);
				break;
			default:
				clock_gettime(CLOCK_MONOTONIC, &until);
				until.tv_sec += 3600;
				pthread_cond_clockwait(&p->ready, &p->lock, CLOCK_MONOTONIC, &until);
				break;
			}
		}
		struct job *j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = &p->head;
		pthread_mutex_unlock(&p->lock);

		ssize_t n = read(j->fd, req, sizeof req - 1);
		req[n > 0 ? n : 0] = '\0';
		pthread_mutex_lock(&p->lock);
		p->served[id] = ++served;
		serve(p, req, out, sizeof out);
		pthread_mutex_unlock(&p->lock);
		if (write(j->fd, out, strlen(out)) < 0)
			perror("pool: write");
		close(j->fd);
		free(j);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t threads[NWORKERS];
	int lfd = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: pool SOCKET\n");
		return 2;
	}
	the_pool = pool_new();
	if (!stf_is_updating())
		lfd = listen_at("pool", argv[1], SOCK_STREAM, 64);
	/* The new version starts its workers too; they go straight to their
	 * wait point, where the old workers' locals reach them. */
	for (long i = 0; i < NWORKERS; i++) {
		worker_ids[i] = i;
		pthread_create(&threads[i], NULL, worker, &worker_ids[i]);
	}
	for (;;) {
		stf_update_point();
		int c = accept_next("pool", lfd);
		if (c < 0)
			continue;
		struct job *j = malloc(sizeof *j);
		j->fd = c;
		j->next = NULL;
		struct pool *p = the_pool;
		pthread_mutex_lock(&p->lock);
		*p->tail = j;
		p->tail = &j->next;
		pthread_cond_signal(&p->ready);
		pthread_mutex_unlock(&p->lock);
	}
}
