/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thread-local caches of pointers into the heap, in the main thread and a
 * worker: the last connection served (a struct that grows in version 2),
 * a pointer to a member of it (&conn->fd, which moves inside the grown
 * struct), a cursor into the middle of a read buffer, and a pointer to a
 * slot of a heap array of connections.  Each thread's caches must reach
 * the paired thread of version 2, following their objects (the member
 * pointer to the member's new offset). */
#include <pthread.h>
#include "xt.h"

struct conn {
#ifdef V2
	long flags; /* new in 2 */
#endif
	long served;
	int fd;
};

static __thread struct conn *last;
static __thread int *last_fd;
static __thread char *cursor;
static __thread struct conn **slot;
static struct conn **table;
static volatile int worker_ready, worker_checked;

static __attribute__((noinline)) void init_thread(int n)
{
	char *buf = malloc(64);
	snprintf(buf, 64, "GET /thread%d HTTP/1.0", n);
	cursor = buf + 4;
	slot = &table[n];
	last = table[n];
	last_fd = &last->fd;
}

static int thread_ok(int n)
{
	char want[32];
	snprintf(want, sizeof(want), "/thread%d HTTP/1.0", n);
	return !strcmp(cursor, want) && !strncmp(cursor - 4, "GET ", 4) &&
	       slot == &table[n] && *slot == last && last->served == 10 * n &&
	       last_fd == &last->fd && *last_fd == 3 + n;
}

static void *worker(void *arg)
{
	(void)arg;
	if (!stf_is_updating())
		init_thread(2);
	worker_ready = 1;
	stf_update_point();
#ifdef V2
	if (!worker_checked) {
		CHECK(thread_ok(2));
		worker_checked = 1;
	}
#endif
	for (;;) {
		stf_update_point();
		usleep(2000);
		if (!thread_ok(2))
			abort();
	}
}

static __attribute__((noinline)) void init(void)
{
	pthread_t th;
	table = calloc(4, sizeof(*table));
	for (int i = 0; i < 4; i++) {
		table[i] = malloc(sizeof(struct conn));
		table[i]->served = 10 * i;
		table[i]->fd = 3 + i;
	}
	init_thread(1);
	pthread_create(&th, NULL, worker, NULL);
	while (!worker_ready)
		usleep(1000);
}

int main(void)
{
#ifdef V2
	XT_V2_RECEIVE(init);
	while (!worker_checked)
		usleep(1000);
	CHECK(thread_ok(1));
	XT_V2_RESULT();
#else
	init();
	for (;;) {
		stf_update_point();
		usleep(2000);
		if (!thread_ok(1))
			abort();
	}
#endif
}
