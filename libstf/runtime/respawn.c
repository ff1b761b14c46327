/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * respawn.c - threads started on demand, started again in F and R (see
 * respawn.h).
 *
 * A thread per connection exists in the running version P only: the new
 * version's startup runs up to its update point in main, before any client
 * connects.  Its frame (the locals of the function holding its update
 * point) then has no counterpart in F and R, and the update rolls back.
 * Knowing the start routine of each parked thread, F and R start those
 * threads again before the transfer; the transfer then moves their locals
 * (socket descriptor, buffers, the relocated per-connection pointer) as for
 * any thread, the diff compares them, and after the commit they continue
 * from their update point.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "callbacks.h"
#include "interpose.h"
#include "lib-threads.h"
#include "remote.h"
#include "respawn.h"
#include "thread-records.h"

#define EXPORT __attribute__((visibility("default")))

typedef void *start_fn(void *);
typedef int create_fn(pthread_t *, const pthread_attr_t *, start_fn *, void *);


/* Initial-exec: libstf is loaded with the program, and a lazily allocated
 * TLS block would be allocated on the first access, in stf__park. */
static __thread uint64_t thread_start __attribute__((tls_model("initial-exec")));

uint64_t stf__thread_start(void)
{
	return thread_start;
}

/* The start routine and its argument stay in this frame's memory, not in
 * registers, while the record is freed and the thread's start noted
 * (lib-threads.c, which reads them here), and are cleared before the
 * call: held in registers, stf__raw_free's frame would save copies of
 * them below this frame, where the routine's frame then lies and keeps
 * them in its unwritten slots (padding) for the thread's life.  There the
 * startup sweep (transfer/startup.c) found a dead copy of the argument of
 * a worker (memcached's `threads` array) after the update had replaced
 * it, and kept everything it reaches. */
static void *trampoline(void *p)
{
	volatile struct stf_thread_start s;
	s.fn = ((struct stf_thread_start *)p)->fn;
	s.arg = ((struct stf_thread_start *)p)->arg;
	struct stf_thread_rec *rec = (struct stf_thread_rec *)((struct stf_thread_start *)p)->rec;
	stf__raw_free(p);
	if (rec) {
		stf__thread_rec_started(rec, pthread_self());
		stf__thread_rec_set_own(rec);
	}
	stf__thread_began(&s, (uintptr_t)__builtin_frame_address(0));
	start_fn *fn = (start_fn *)s.fn;
	void *arg = (void *)s.arg;
	s.fn = 0;
	s.arg = 0;
	thread_start = (uintptr_t)fn;
	void *ret = fn(arg); /* neither is live after the call: no copy is kept */
	stf__thread_rec_own_ended(ret);
	stf__thread_ended();
	return ret;
}

/* Every thread starts through the trampoline, which records its start
 * routine for stf__park.  The record is libstf's raw memory: not state. */
EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, start_fn *fn, void *arg)
{
	create_fn *create = STF_NEXT_FN(create_fn *, "pthread_create");
	struct stf_thread_start *s;
	int rc;

	if (!create)
		return EAGAIN;
	s = stf__raw_malloc(sizeof *s);
	if (!s)
		return EAGAIN;
	struct stf_thread_rec *rec = stf__thread_rec_new(attr);
	uint32_t serial = rec ? rec->serial : 0;
	s->fn = (uintptr_t)fn;
	s->arg = (uintptr_t)arg;
	s->rec = (uintptr_t)rec;
	rc = create(th, attr, trampoline, s);
	if (rc) {
		stf__raw_free(s);
		if (rec)
			stf__thread_rec_drop(rec);
	} else if (rec) {
		stf__thread_rec_created(rec, serial, *th);
	}
	return rc;
}

int stf__own_thread(pthread_t *th, void *(*fn)(void *), void *arg)
{
	create_fn *create = STF_NEXT_FN(create_fn *, "pthread_create");
	pthread_attr_t attr;
	int rc;

	if (!create)
		return EAGAIN;
	/* glibc carves the static TLS blocks (libstf's allocation cache is
	 * half a MiB) out of the stack and says EINVAL if they do not fit:
	 * double until they do. */
	rc = EINVAL;
	for (size_t size = STF_OWN_STACK; rc == EINVAL && size <= 16 * STF_OWN_STACK; size *= 2) {
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, size);
		rc = create(th, &attr, fn, arg);
		pthread_attr_destroy(&attr);
	}
	return rc;
}

static void fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* The calling process's address of P's function object o, 0 if none. */
static uint64_t own_function(struct stf_peer *self, const struct stf_strmap *funcs,
			     const struct stf_obj *o, int forward)
{
	const char *id = forward ? stf__rename(STF_RENAME_OBJECT, o->id, STF_FORWARD) : o->id;
	const char *name = strrchr(id, ':');
	uint64_t j;

	if (!stf__strmap_get(funcs, id, &j))
		return self->objs[j].addr;
	/* not address-taken here: by symbol name, as the transfer does for
	 * function pointers */
	return stf__peer_symbol_addr(self, NULL, name ? name + 1 : id);
}

/* The argument of the threads started again.  Theirs is gone with P: what
 * they kept of it, they kept in locals, which the transfer brings.  Code
 * that reads it before the update point (`int fd = *(int *)arg;
 * free(arg);`, `struct conn *c = arg; c->fd`) reads zeros instead of
 * dereferencing NULL, and free() leaves it alone (alloc.c). */
char stf__respawn_arg[STF_RESPAWN_ARG_SIZE] __attribute__((aligned(64)));

/* Start the planned threads in P's order: the n-th thread started here
 * pairs with the n-th one of P parked in the same function.  Detached
 * unless P's was joinable (joinable[i]): the program joins it by the
 * pthread_t the renaming gives it (pthreads.h). */
static int start_threads(const uint64_t *plan, const uint8_t *joinable, size_t n, char *err,
			 size_t errlen)
{
	pthread_attr_t attr;
	pthread_t th;
	int e = 0;
	size_t i;

	for (i = 0; i < n && !e; i++) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, joinable[i] ? PTHREAD_CREATE_JOINABLE :
					    PTHREAD_CREATE_DETACHED);
		e = pthread_create(&th, &attr, (start_fn *)(uintptr_t)plan[i], stf__respawn_arg);
		pthread_attr_destroy(&attr);
	}
	if (e) {
		fail(err, errlen, "cannot start thread %zu of %zu again: %s", i, n, strerror(e));
		return -1;
	}
	return (int)n;
}

/* Has P (quiesced) a parked thread that pthread_create started?  If not,
 * there is nothing to start again, and loading P's metadata - as long as
 * the forward transfer's own - is saved: single-threaded programs. */
static int past_has_started_threads(pid_t past_pid, uint64_t past_root)
{
	struct stf_peer q = { .pid = past_pid };
	struct stf_root root;
	struct stf_parked_frame f;

	if (stf__peer_read(&q, past_root, &root, sizeof root) < 0 || root.magic != STF_ROOT_MAGIC ||
	    root.version != STF_ROOT_VERSION)
		return 1;  /* let stf__peer_open say what is wrong */
	for (uint64_t i = 0; i < root.nframes; i++)
		if (stf__peer_read(&q, root.frames + i * sizeof f, &f, sizeof f) < 0 || f.start)
			return 1;
	return 0;
}

int stf__respawn(pid_t past_pid, uint64_t past_root, int forward, char *err, size_t errlen)
{
	struct stf_peer p, self;
	struct stf_strmap own = { 0 }, funcs = { 0 };
	uint64_t *plan = NULL, v;
	int64_t *partner = NULL;
	uint8_t *joinable = NULL;
	struct stf_thread_rec *recs = NULL;
	size_t n = 0, nrecs = 0;
	int rc = -1;

	/* the new version's: the old one's ended threads, to be joined */
	if (forward && stf__thread_standins(past_pid, past_root, err, errlen) < 0)
		return -1;
	if (!past_has_started_threads(past_pid, past_root))
		return 0;
	if (stf__thread_recs_read(past_pid, past_root, &recs, &nrecs) < 0) {
		fail(err, errlen, "cannot read the running version's thread records");
		return -1;
	}
	if (stf__peer_open(&p, past_pid, past_root, STF_PEER_STATICS | STF_PEER_FRAMES, NULL,
			   err, errlen) < 0) {
		stf__peer_close(&p);
		return -1;
	}
	if (stf__peer_open(&self, getpid(), 0, STF_PEER_STATICS | STF_PEER_FRAMES, NULL,
			   err, errlen) < 0)
		goto out;
	plan = stf__raw_malloc((p.nthreads ? p.nthreads : 1) * sizeof *plan);
	partner = stf__raw_malloc((p.nthreads ? p.nthreads : 1) * sizeof *partner);
	joinable = stf__raw_malloc(p.nthreads ? p.nthreads : 1);
	if (!plan || !partner || !joinable ||
	    stf__threads_partners(&self, &p, forward ? STF_FORWARD : STF_BACKWARD, partner) < 0)
		goto oom;
	for (size_t i = 0; i < self.nthreads; i++)
		if (stf__strmap_put(&own, self.threads[i].func, 1) < 0)
			goto oom;
	for (size_t i = 0; i < self.nobjs; i++)
		if (self.objs[i].kind == STF_OBJ_FUNC && stf__strmap_put(&funcs, self.objs[i].id, i) < 0)
			goto oom;
	for (size_t i = 0; i < p.nthreads; i++) {
		const struct stf_peer_thread *t = &p.threads[i];
		const struct stf_obj *o;
		char renamed[256];
		/* Threads of a function the startup runs pair in creation
		 * order as ever, also when there are fewer of them here (a
		 * new version with a smaller pool). */
		if (!stf__strmap_get(&own, forward ? stf__rename_frame(t->func, renamed,
				     sizeof renamed) : t->func, &v))
			continue;
		/* The same thread parked elsewhere here: a worker of a
		 * libevent server parked in the callback of stf_update_fd()
		 * there, at the top of its loop here (thread-pairs.c). */
		if (partner[i] >= 0)
			continue;
		/* The main thread (its update point moved to another
		 * function), or a thread started behind our back: paired as
		 * ever, by the renames of its locals, or the diff finds its
		 * locals missing. */
		if (!t->start)
			continue;
		o = stf__peer_find(&p, t->start);
		if (!o || o->kind != STF_OBJ_FUNC || o->addr != t->start) {
			fail(err, errlen, "thread %" PRIu64 " parked in %s in the running version "
			     "has no counterpart here and cannot be started again: its start "
			     "routine (0x%" PRIx64 ") is not a function of the instrumented "
			     "program", t->tid, t->func, t->start);
			goto out;
		}
		const struct stf_thread_rec *r = stf__thread_rec_find(recs, nrecs, t->tp);
		joinable[n] = r && !(r->flags & STF_THREAD_DETACHED);
		plan[n] = own_function(&self, &funcs, o, forward);
		if (!plan[n]) {
			fail(err, errlen, "thread %" PRIu64 " parked in %s in the running version "
			     "has no counterpart here and cannot be started again: its start "
			     "routine %s no longer exists", t->tid, t->func, o->id);
			goto out;
		}
		n++;
	}
	rc = 0;
	goto out;
oom:
	fail(err, errlen, "out of memory planning the threads to start again");
out:
	stf__strmap_free(&own);
	stf__strmap_free(&funcs);
	stf__peer_close(&self);
	stf__peer_close(&p);
	/* Unmap our copies of the ELF files: in R they would show in
	 * /proc/PID/maps when F reads it for the backward transfer, as
	 * mappings of the libraries that F cannot tell from the real ones. */
	stf__peer_forget_files();
	if (rc == 0)
		rc = start_threads(plan, joinable, n, err, errlen);
	stf__raw_free(plan);
	stf__raw_free(partner);
	stf__raw_free(joinable);
	stf__raw_free(recs);
	return rc;
}
