/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * thread-records.c - the program's threads, joinable or detached, ended or
 * not, published for the new version (see thread-records.h).
 *
 * A pthread_t kept in the program's state (tinyproxy's `child->thread`,
 * joined once `child->done` is set) is the address of the old process's
 * thread: joined or signalled in the new version it names nothing, and
 * pthread_join crashed.  The new version renames each one to its
 * counterpart's (transfer/pthreads.c), which it finds in these records: a
 * joinable thread started again joinable (respawn.c), one that ended
 * unjoined replaced by a stand-in that has ended too, with its value.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "interpose.h"
#include "pthreads.h"
#include "remote.h"
#include "respawn.h"
#include "thread-records.h"

#define EXPORT __attribute__((visibility("default")))

/* A record is linked from its creation; this lock guards the list. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct stf_thread_rec *head;
static uint32_t serial;
static __thread struct stf_thread_rec *own __attribute__((tls_model("initial-exec")));

static void link_locked(struct stf_thread_rec *r)
{
	r->next = (uintptr_t)head;
	head = r;
	stf__root.threads = (uintptr_t)head;
}

static void unlink_locked(struct stf_thread_rec *r)
{
	for (struct stf_thread_rec **at = &head; *at;
	     at = (struct stf_thread_rec **)(uintptr_t)&(*at)->next) {
		if (*at == r) {
			*at = (struct stf_thread_rec *)(uintptr_t)r->next;
			break;
		}
	}
	stf__root.threads = (uintptr_t)head;
	stf__raw_free(r);
}

struct stf_thread_rec *stf__thread_rec_new(const pthread_attr_t *attr)
{
	struct stf_thread_rec *r = stf__raw_malloc(sizeof *r);
	int state = PTHREAD_CREATE_JOINABLE;

	if (!r)
		return NULL;
	if (attr)
		pthread_attr_getdetachstate(attr, &state);
	*r = (struct stf_thread_rec){
		.flags = state == PTHREAD_CREATE_DETACHED ? STF_THREAD_DETACHED : 0 };
	pthread_mutex_lock(&lock);
	r->serial = ++serial;
	link_locked(r);
	pthread_mutex_unlock(&lock);
	return r;
}

void stf__thread_rec_drop(struct stf_thread_rec *r)
{
	pthread_mutex_lock(&lock);
	unlink_locked(r);
	pthread_mutex_unlock(&lock);
}

void stf__thread_rec_started(struct stf_thread_rec *r, pthread_t th)
{
	pthread_mutex_lock(&lock);
	r->handle = (uint64_t)th;
	pthread_mutex_unlock(&lock);
}

void stf__thread_rec_created(struct stf_thread_rec *r, uint32_t rec_serial, pthread_t th)
{
	pthread_mutex_lock(&lock);
	for (struct stf_thread_rec *at = head; at; at = (struct stf_thread_rec *)(uintptr_t)at->next) {
		if (at == r && at->serial == rec_serial) {
			r->handle = (uint64_t)th;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

void stf__thread_rec_set_own(struct stf_thread_rec *r)
{
	own = r;
}

static void ended(struct stf_thread_rec *r, void *ret)
{
	pthread_mutex_lock(&lock);
	if (r->flags & STF_THREAD_DETACHED) {
		unlink_locked(r);
	} else {
		r->ret = (uintptr_t)ret;
		r->flags |= STF_THREAD_ENDED;
	}
	pthread_mutex_unlock(&lock);
}

void stf__thread_rec_own_ended(void *ret)
{
	struct stf_thread_rec *r = own;

	own = NULL;
	if (r)
		ended(r, ret);
}

/* th was joined or detached: drop its record, an ended one first (its
 * struct pthread may already be another new thread's). */
static void forget(pthread_t th, int detach)
{
	struct stf_thread_rec *found = NULL;

	pthread_mutex_lock(&lock);
	for (struct stf_thread_rec *r = head; r; r = (struct stf_thread_rec *)(uintptr_t)r->next) {
		if (r->handle != (uint64_t)th)
			continue;
		if (!found || (r->flags & STF_THREAD_ENDED))
			found = r;
	}
	if (found && detach && !(found->flags & STF_THREAD_ENDED))
		found->flags |= STF_THREAD_DETACHED;  /* dropped when it ends */
	else if (found)
		unlink_locked(found);
	pthread_mutex_unlock(&lock);
}

/* A child of fork() has only the thread that forked: the others' records
 * would have the new version start stand-ins for them or rename values
 * the child never joins.  (Their few bytes are left: the raw allocator's
 * state is as the fork found it.) */
static void forked_child(void)
{
	pthread_mutex_init(&lock, NULL);
	head = own;
	if (head)
		head->next = 0;
	stf__root.threads = (uintptr_t)head;
}

__attribute__((constructor)) static void at_fork(void)
{
	pthread_atfork(NULL, NULL, forked_child);
}

typedef int join_fn(pthread_t, void **);
typedef int tryjoin_fn(pthread_t, void **);
typedef int timedjoin_fn(pthread_t, void **, const struct timespec *);
typedef int clockjoin_fn(pthread_t, void **, clockid_t, const struct timespec *);
typedef int detach_fn(pthread_t);
typedef void exit_fn(void *);

EXPORT int pthread_join(pthread_t th, void **ret)
{
	join_fn *join = STF_NEXT_FN(join_fn *, "pthread_join");
	int rc = join ? join(th, ret) : ENOSYS;
	if (rc == 0)
		forget(th, 0);
	return rc;
}

EXPORT int pthread_tryjoin_np(pthread_t th, void **ret)
{
	tryjoin_fn *join = STF_NEXT_FN(tryjoin_fn *, "pthread_tryjoin_np");
	int rc = join ? join(th, ret) : ENOSYS;
	if (rc == 0)
		forget(th, 0);
	return rc;
}

EXPORT int pthread_timedjoin_np(pthread_t th, void **ret, const struct timespec *abstime)
{
	timedjoin_fn *join = STF_NEXT_FN(timedjoin_fn *, "pthread_timedjoin_np");
	int rc = join ? join(th, ret, abstime) : ENOSYS;
	if (rc == 0)
		forget(th, 0);
	return rc;
}

EXPORT int pthread_clockjoin_np(pthread_t th, void **ret, clockid_t clock,
				const struct timespec *abstime)
{
	clockjoin_fn *join = STF_NEXT_FN(clockjoin_fn *, "pthread_clockjoin_np");
	int rc = join ? join(th, ret, clock, abstime) : ENOSYS;
	if (rc == 0)
		forget(th, 0);
	return rc;
}

EXPORT int pthread_detach(pthread_t th)
{
	detach_fn *detach = STF_NEXT_FN(detach_fn *, "pthread_detach");
	int rc = detach ? detach(th) : ENOSYS;
	if (rc == 0)
		forget(th, 1);
	return rc;
}

EXPORT void pthread_exit(void *ret)
{
	exit_fn *real = STF_NEXT_FN(exit_fn *, "pthread_exit");
	stf__thread_rec_own_ended(ret);
	real(ret);
	__builtin_unreachable();
}

int stf__thread_recs_read(pid_t pid, uint64_t root_addr, struct stf_thread_rec **out, size_t *n)
{
	struct stf_peer q = { .pid = pid };
	struct stf_root root;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (stf__peer_read(&q, root_addr, &root, sizeof root) < 0)
		return -1;
	for (uint64_t at = root.threads; at; at = (*out)[*n - 1].next) {
		if (*n == cap) {
			struct stf_thread_rec *more = stf__raw_realloc(*out, (cap ? 2 * cap : 16) *
								       sizeof *more);
			if (!more || cap >= (1u << 20))
				goto fail;
			*out = more;
			cap = cap ? 2 * cap : 16;
		}
		if (stf__peer_read(&q, at, &(*out)[*n], sizeof **out) < 0)
			goto fail;
		++*n;
	}
	return 0;
fail:
	stf__raw_free(*out);
	*out = NULL;
	*n = 0;
	return -1;
}

const struct stf_thread_rec *stf__thread_rec_find(const struct stf_thread_rec *recs, size_t n,
						  uint64_t th)
{
	for (size_t i = 0; i < n; i++)
		if (recs[i].handle == th)
			return &recs[i];
	return NULL;
}

/* A stand-in's start routine: it has ended already, with its value. */
static void *returns_at_once(void *ret)
{
	return ret;
}

/* Values a thread may return that are no address: NULL, small numbers,
 * PTHREAD_CANCELED. */
static int plain_value(uint64_t v)
{
	return v < 65536 || v == (uint64_t)(uintptr_t)PTHREAD_CANCELED;
}

int stf__thread_standins(pid_t past_pid, uint64_t past_root, char *err, size_t errlen)
{
	struct stf_thread_rec *recs;
	size_t n;
	int rc = 0;

	if (stf__thread_recs_read(past_pid, past_root, &recs, &n) < 0) {
		snprintf(err, errlen, "cannot read the running version's thread records");
		return -1;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		const struct stf_thread_rec *old = &recs[i];
		struct stf_thread_rec *r;
		pthread_t th;

		if ((old->flags & (STF_THREAD_ENDED | STF_THREAD_DETACHED)) != STF_THREAD_ENDED)
			continue;
		if (!plain_value(old->ret)) {
			/* refused if the state holds it (pthreads.c) */
			if (stf__pthreads_note_gone(old->handle, old->ret) < 0) {
				snprintf(err, errlen, "out of memory noting the threads of "
					 "the running version");
				rc = -1;
			}
		} else if ((rc = stf__own_thread(&th, returns_at_once,
						 (void *)(uintptr_t)old->ret)) != 0) {
			snprintf(err, errlen, "cannot start a stand-in for thread 0x%" PRIx64
				 " (ended, not joined) of the running version: %s", old->handle,
				 strerror(rc));
			rc = -1;
		} else if (!(r = stf__thread_rec_new(NULL)) ||
			   stf__pthreads_note(old->handle, (uint64_t)th) < 0) {
			snprintf(err, errlen, "out of memory noting the threads of the running "
				 "version");
			rc = -1;
		} else {
			/* ended already as far as the program can tell */
			stf__thread_rec_started(r, th);
			ended(r, (void *)(uintptr_t)old->ret);
		}
	}
	stf__raw_free(recs);
	return rc;
}
