/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wait.c - condition-variable waits as update points, and which threads
 * loop to update points (see wait.h).
 *
 * A thread-pool worker idle in pthread_cond_wait blocks in a futex wait
 * that no signal ends: glibc restarts it.  So each thread records, in a
 * record of its own, the condition variable it is about to wait on, and
 * quiescence broadcasts that condition variable to wake it.  POSIX lets a
 * wait return spuriously, so the program (which re-checks its predicate
 * in a loop) sees nothing unusual.  The per-thread lock makes the waker
 * and the waiter agree on the record: the waker never broadcasts a
 * condition variable the thread has stopped waiting on (and may have
 * destroyed since).
 *
 * The same record says whether the thread loops to update points: the
 * plugin makes every function holding one call stf__looping_thread() on
 * entry.  Quiescence interrupts the blocking calls of those threads only.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "parked.h"
#include "update.h"
#include "wait.h"

#define EXPORT __attribute__((visibility("default")))

struct waiter {
	pid_t tid;
	_Atomic bool loops;    /* has entered a function holding an update point */
	pthread_mutex_t lock;
	pthread_cond_t *cond;  /* under lock: the wait in progress, or NULL */
	struct waiter *next;   /* under waiters_lock */
};

static pthread_mutex_t waiters_lock = PTHREAD_MUTEX_INITIALIZER;
static struct waiter *waiters;
static pthread_key_t waiter_key;
static bool have_key;
static __thread struct waiter *self;

/* Thread exit: forget the thread's record. */
static void waiter_gone(void *arg)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&waiters_lock);
	for (struct waiter **pp = &waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	pthread_mutex_unlock(&waiters_lock);
	stf__raw_free(w);
}

/* The calling thread's record, created on its first wait; NULL when out of
 * memory (the thread then waits as without libstf, and a quiescence that
 * needs it times out: nothing changes). */
static struct waiter *self_waiter(void)
{
	if (self || !have_key)
		return self;
	struct waiter *w = stf__raw_malloc(sizeof *w);
	if (!w)
		return NULL;
	w->tid = (pid_t)syscall(SYS_gettid);
	w->loops = false;
	pthread_mutex_init(&w->lock, NULL);
	w->cond = NULL;
	if (pthread_setspecific(waiter_key, w) != 0) {
		stf__raw_free(w);
		return NULL;
	}
	pthread_mutex_lock(&waiters_lock);
	w->next = waiters;
	waiters = w;
	pthread_mutex_unlock(&waiters_lock);
	return self = w;
}

static void waiting_on(struct waiter *w, pthread_cond_t *cond)
{
	pthread_mutex_lock(&w->lock);
	w->cond = cond;
	pthread_mutex_unlock(&w->lock);
}

EXPORT void stf__looping_thread(void)
{
	if (__builtin_expect(self && self->loops, 1))
		return;
	struct waiter *w = self_waiter();
	if (w)
		w->loops = true;
}

/* The record of thread tid (waiters_lock held), NULL if it has none. */
static struct waiter *find_locked(pid_t tid)
{
	for (struct waiter *w = waiters; w; w = w->next)
		if (w->tid == tid)
			return w;
	return NULL;
}

int stf__thread_loops(pid_t tid)
{
	pthread_mutex_lock(&waiters_lock);
	struct waiter *w = find_locked(tid);
	int loops = w && w->loops;
	pthread_mutex_unlock(&waiters_lock);
	return loops;
}

EXPORT int stf__wait_wake(pid_t tid)
{
	int woken = 0;

	pthread_mutex_lock(&waiters_lock);
	struct waiter *w = find_locked(tid);
	if (w) {
		pthread_mutex_lock(&w->lock);
		if (w->cond) {
			pthread_cond_broadcast(w->cond);
			woken = 1;
		}
		pthread_mutex_unlock(&w->lock);
	}
	pthread_mutex_unlock(&waiters_lock);
	return woken;
}

static int wait_as_asked(pthread_cond_t *cond, pthread_mutex_t *mutex, int clock,
			 const struct timespec *abstime)
{
	if (clock == STF_WAIT_UNTIMED)
		return pthread_cond_wait(cond, mutex);
	if (clock == STF_WAIT_TIMED)
		return pthread_cond_timedwait(cond, mutex, abstime);
	return pthread_cond_clockwait(cond, mutex, (clockid_t)clock, abstime);
}

/* Threads of F or R blocked in a wait point before the quiescence. */
static _Atomic unsigned startup_waiting;

/* The main thread of F or R in an untimed wait before the quiescence:
 * waits of at most 10 ms (a timeout is a spurious wakeup). */
static int startup_slice(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
	struct timespec ts;
	stf__deadline_in_ms(&ts, CLOCK_MONOTONIC, 10);
	int rc = pthread_cond_clockwait(cond, mutex, CLOCK_MONOTONIC, &ts);
	return rc == ETIMEDOUT ? 0 : rc;
}

/* The main thread of F or R about to wait in its startup: it parks (and
 * so starts the quiescence) only if nothing could wake it - every other
 * thread waits for it at an update point or is blocked in a wait point -
 * since until then it waits for its own startup (for its workers to
 * register, say), and is not idle. */
static bool main_idle(void)
{
	pthread_mutex_lock(&stf__q_lock);
	bool idle = stf__startup_others_idle_locked(stf__gettid_raw(), startup_waiting);
	pthread_mutex_unlock(&stf__q_lock);
	return idle;
}

#define MAX_FRAME_LOCALS 1024u

EXPORT int stf__wait_point(const void *unit, unsigned frame, pthread_cond_t *cond,
			   pthread_mutex_t *mutex, int clock, const struct timespec *abstime, ...)
{
	int rc = 0;

	/* In F and R, a wait before the quiescence began waits for real:
	 * the startup may be waiting for its own threads; the quiescence
	 * then wakes the thread to park it here.  The main thread waits 10
	 * ms at a time, to see on its next call whether it is idle. */
	bool startup = stf__update_pending && stf__in_startup();
	bool main_thread = startup && stf__gettid_raw() == getpid();
	if (!stf__update_pending || (startup && !(main_thread && main_idle()))) {
		struct waiter *w = self_waiter();
		if (w)
			waiting_on(w, cond);
		if (startup && !main_thread)
			startup_waiting++;
		if (main_thread && clock == STF_WAIT_UNTIMED)
			rc = startup_slice(cond, mutex);
		else
			rc = wait_as_asked(cond, mutex, clock, abstime);
		if (startup && !main_thread)
			startup_waiting--;
		if (w)
			waiting_on(w, NULL);
		if (!stf__update_pending)
			return rc;
		if (stf__in_startup())
			return rc;
	}

	/* An update is pending: park here, like at an update point.  The
	 * wait's own cond and mutex are the frame's first two locals, so in
	 * the new version they are relocated with the program's. */
	uint32_t n = stf__frame_nlocals(unit, frame);
	if (n < 2 || n > MAX_FRAME_LOCALS)
		n = 0;  /* not a wait point's record: publish no locals rather than guess */
	__builtin_unwind_init();  /* as in stf__update_point (update.c) */
	uint64_t locals[n ? n : 1];
	if (n) {
		va_list ap;
		locals[0] = (uintptr_t)&cond;
		locals[1] = (uintptr_t)&mutex;
		va_start(ap, abstime);
		for (uint32_t i = 2; i < n; i++)
			locals[i] = (uintptr_t)va_arg(ap, void *);
		va_end(ap);
	}
	struct stf_parked_frame f = {
		.unit = n ? (uintptr_t)unit : 0,
		.frame = frame,
		.nlocals = n,
		.locals = n ? (uintptr_t)locals : 0,
	};
	/* Parked without the mutex, as a waiting thread is: the state
	 * transferred holds it unlocked, and other threads may still need
	 * it to reach their own update points. */
	pthread_mutex_unlock(mutex);
	stf__park(&f, STF_PROGRAM_FRAMES_FROM());
	pthread_mutex_lock(mutex);
	return rc;
}

/* The child of a fork has only the forking thread. */
static void wait_fork_prepare(void)
{
	pthread_mutex_lock(&waiters_lock);
}

static void wait_fork_parent(void)
{
	pthread_mutex_unlock(&waiters_lock);
}

static void wait_fork_child(void)
{
	struct waiter *w = waiters, *next;

	waiters = NULL;
	for (; w; w = next) {
		next = w->next;
		if (w == self) {
			w->tid = (pid_t)syscall(SYS_gettid);
			w->next = NULL;
			waiters = w;
		} else {
			stf__raw_free(w);
		}
	}
	pthread_mutex_init(&waiters_lock, NULL);
}

bool stf__own_pthread_key(unsigned key)
{
	return (have_key && waiter_key == key) || stf__alloc_own_key(key);
}

void stf__wait_atfork(void)
{
	pthread_atfork(wait_fork_prepare, wait_fork_parent, wait_fork_child);
}

__attribute__((constructor)) static void wait_init(void)
{
	have_key = pthread_key_create(&waiter_key, waiter_gone) == 0;
}
