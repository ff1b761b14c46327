/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A GThreadPool's idle worker: a thread GLib started (exclusive pool of
 * one) that ran the program's job once and now waits in GLib for the
 * next one, on a futex.  Before waiting it counted itself into the
 * pool's queue; started again in the new version it would count twice,
 * so the update rolls back naming it (it no longer waits the quiescence
 * out: that timed out after its one-second limit for futex waits).
 */
#include <glib.h>
#include "xt.h"

struct job {
	int id;
	int done;
};

static GThreadPool *pool;
static struct job *first;

static void run_job(gpointer data, gpointer user)
{
	(void)user;
	g_atomic_int_set(&((struct job *)data)->done, 1);
}

static void init(void)
{
	first = calloc(1, sizeof(*first));
	first->id = 1;
	pool = g_thread_pool_new(run_job, NULL, 1, TRUE, NULL);
	g_thread_pool_push(pool, first, NULL);
	for (int i = 0; i < 500 && !g_atomic_int_get(&first->done); i++)
		usleep(10000);
	usleep(100000); /* the worker back in its wait */
}

#ifdef V2
int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(first && first->done == 1);
	XT_V2_RESULT();
}
#else
int main(void)
{
	init();
	XT_V1_LOOP();
}
#endif
