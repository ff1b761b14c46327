/* SPDX-License-Identifier: GPL-3.0-or-later */
/* memcached's way onto ttst, small: a main thread and three workers,
 * each with its own libevent base on which stf_update_fd() is registered
 * with a callback that only calls stf_update_point() (ignoring its
 * arguments), and an update point at the top of every loop too (memcached
 * with its 8 lines; with -DEXIT_TEST_AFTER_POINT the workers test for
 * the loop's exit after the point, its 11 lines).  Every version's
 * startup makes the bases and the workers' array; the running version
 * adds a pending event to each worker's base and leaves state in each
 * worker's thread-local variable, its thread-specific logger and its
 * struct.  The running version parks in the callback (libevent calls it
 * when the descriptor becomes readable), the new and the reversed version
 * at the tops of their loops: paired by the function they parked in, the
 * old workers had no counterpart and the new version started them again
 * from worker_main with a zeroed argument (SIGSEGV in
 * event_base_got_exit; with the exit test after the point, a rollback
 * naming the 4 callback frames the reversed version lacks).  Paired as
 * the same threads (transfer/thread-pairs.c), each worker of version 2
 * must find its own old logger, thread-local count and struct, and run
 * the base holding the old version's event (the workers' array goes into
 * the startup's own, inplace.c, where its locals point).  Version 2 adds a
 * member in front of struct worker's. */
#include <pthread.h>
#include <event2/event.h>
#include "xt.h"

#define NWORKERS 3

struct worker {
	int id;
#ifdef V2
	unsigned long handed;  /* new in version 2 */
#endif
	struct event_base *base;
	struct event *client;  /* the running version's pending event */
	unsigned long served;
	pthread_t thread;
};

struct logger {
	int owner;
	unsigned long written;
};

static struct worker *workers;
static pthread_key_t logger_key;
__thread unsigned long requests;  /* not static: kept at -O2 */
static int started, checked;

static void on_update(evutil_socket_t fd, short which, void *arg)
{
	stf_update_point();
}

static void on_client(evutil_socket_t fd, short which, void *arg)
{
	(void)fd, (void)which, (void)arg;
}

/* The running version's state of worker w, made by its own thread. */
static void serve(struct worker *w)
{
	struct logger *l = pthread_getspecific(logger_key);
	static const struct timeval hour = { 3600, 0 };

	w->client = event_new(w->base, -1, EV_PERSIST, on_client, w);
	event_add(w->client, &hour);
	w->served = 10 + w->id;
	l->written = 100 + w->id;
	requests = 1000 + w->id;
}

#ifdef V2
/* After the commit, in each worker: what its old thread left. */
static void check_worker(struct worker *me)
{
	struct logger *l = pthread_getspecific(logger_key);

	CHECK(me == &workers[me->id]);
	CHECK(l && l->owner == me->id && l->written == 100ul + me->id);
	CHECK(requests == 1000ul + me->id);
	CHECK(me->served == 10ul + me->id);
	CHECK(me->client && event_get_base(me->client) == me->base);
	CHECK(me->client && event_get_callback_arg(me->client) == me);
	CHECK(me->client && event_pending(me->client, EV_TIMEOUT, NULL));
	__atomic_add_fetch(&checked, 1, __ATOMIC_SEQ_CST);
}
#endif

static void *worker_main(void *arg)
{
	struct worker *me = arg;
	struct logger *l = calloc(1, sizeof(*l));

	l->owner = me->id;
	pthread_setspecific(logger_key, l);
	if (!stf_is_updating())
		serve(me);
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
#ifdef EXIT_TEST_AFTER_POINT
	for (;;) {
		stf_update_point();
		if (event_base_got_exit(me->base))
			break;
#else
	while (!event_base_got_exit(me->base)) {
		stf_update_point();
#endif
#ifdef V2
		static __thread int done;
		if (!done++)
			check_worker(me);
#endif
		event_base_loop(me->base, EVLOOP_ONCE);
	}
	return NULL;
}

int main(void)
{
	struct event_base *base = event_base_new();

	pthread_key_create(&logger_key, NULL);
	event_add(event_new(base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL), NULL);
	workers = calloc(NWORKERS, sizeof(*workers));
	for (int i = 0; i < NWORKERS; i++) {
		struct worker *w = &workers[i];
		w->id = i;
		w->base = event_base_new();
		event_add(event_new(w->base, stf_update_fd(), EV_READ | EV_PERSIST, on_update,
				    NULL), NULL);
		if (pthread_create(&w->thread, NULL, worker_main, w))
			abort();
	}
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < NWORKERS)
		usleep(1000);
	while (!event_base_got_exit(base)) {
		stf_update_point();
#ifdef V2
		for (int i = 0; i < 5000 && __atomic_load_n(&checked, __ATOMIC_SEQ_CST) < NWORKERS; i++)
			usleep(2000);
		CHECK(checked == NWORKERS);
		XT_V2_RESULT();
#endif
		event_base_loop(base, EVLOOP_ONCE);
	}
	return 0;
}
