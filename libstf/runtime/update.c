/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * update.c - update points and roles.
 *
 * stf_update_point() costs one load of stf__update_pending.  When it is
 * set the thread enters here and either parks (the running version is
 * being quiesced, see quiesce.c) or hands over to the control code (the
 * process is the future or reversed version of an update).  The parked
 * threads' frames, shared with quiesce.c, are declared in parked.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <unwind.h>

#include "alloc.h"
#include "evloop.h"
#include "fds.h"
#include "respawn.h"
#include "stf-format.h"
#include "tree.h"
#include "parked.h"
#include "update.h"
#include "wait.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT volatile int stf__update_pending;

static _Atomic int role = STF_ROLE_NORMAL;

pthread_mutex_t stf__q_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t stf__q_cond = PTHREAD_COND_INITIALIZER;   /* parked threads wait */
pthread_cond_t stf__q_arrive = PTHREAD_COND_INITIALIZER; /* quiescer waits */
bool stf__quiescing;        /* under stf__q_lock */
static uint64_t generation;   /* bumped by every release */
static bool handing_over;     /* F/R: a thread is in the control code */
/* F/R: where the program's part of the stack of the thread that handed
 * over begins (STF_PROGRAM_FRAMES_FROM) */
static uintptr_t handover_from;
unsigned stf__startup_early;  /* under stf__q_lock, see stf__park */

/* Frames of the parked threads, published through stf__root. */
struct stf_parked_frame *stf__frames;
size_t stf__nframes;
static size_t cap_frames;
/* Where the program's part of each parked thread's stack begins (this
 * process only, for the startup sweep: stf__parked_frame_at), in the
 * order they parked; as many as stf__nframes. */
static struct frame_at {
	uint64_t tid;
	struct stf_program_frames frames;
} *frames_at;

pid_t stf__excluded[MAX_EXCLUDED];
size_t stf__nexcluded;

/* stf_update_fd(): an eventfd readable while an update is pending, for
 * programs whose loop is run by a library (libevent, libev) to register;
 * -1 until the program asks for it.  F and R inherit P's (STF_UPDATE_FD),
 * which the transferred state of such a loop holds. */
static int update_fd = -1;
static pthread_mutex_t update_fd_lock = PTHREAD_MUTEX_INITIALIZER;

EXPORT int stf_update_fd(void)
{
	pthread_mutex_lock(&update_fd_lock);
	if (update_fd < 0) {
		int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fd >= 0)
			update_fd = stf__fd_high(fd);
	}
	pthread_mutex_unlock(&update_fd_lock);
	return update_fd;
}

void stf__update_fd_note(const char *value)
{
	char *end;
	long fd = value ? strtol(value, &end, 10) : -1;
	if (!value)
		return;
	if (*end || fd < 0 || fcntl((int)fd, F_GETFD) < 0) {
		fprintf(stderr, "libstf: STF_UPDATE_FD=%s is no open descriptor; ignored\n", value);
		return;
	}
	update_fd = (int)fd;
}

int stf__update_fd_get(void)
{
	return update_fd;
}

/* Readable (an update is pending) or not.  Nothing allocates. */
void stf__update_fd_signal(bool pending)
{
	uint64_t one = 1, drain;
	if (update_fd < 0)
		return;
	if (pending) {
		if (write(update_fd, &one, sizeof one) < 0 && errno != EAGAIN)
			fprintf(stderr, "libstf: cannot signal the update descriptor: %s\n",
				strerror(errno));
	} else if (read(update_fd, &drain, sizeof drain) < 0 && errno != EAGAIN) {
		fprintf(stderr, "libstf: cannot clear the update descriptor: %s\n",
			strerror(errno));
	}
}

/* ------------------------------------------------------------------ */
/* Roles.                                                                */

EXPORT void stf__set_role(enum stf_role r)
{
	pthread_mutex_lock(&stf__q_lock);
	/* F at commit: the update inherited from P is over */
	if (r == STF_ROLE_NORMAL && atomic_load(&role) != STF_ROLE_NORMAL)
		stf__update_fd_signal(false);
	atomic_store(&role, r);
	/* F and R run their startup up to the first update point, which
	 * must then call into the control code. */
	stf__update_pending = r != STF_ROLE_NORMAL || stf__quiescing;
	pthread_cond_broadcast(&stf__q_cond);
	pthread_mutex_unlock(&stf__q_lock);
}

EXPORT enum stf_role stf_role(void)
{
	return (enum stf_role)atomic_load(&role);
}

EXPORT int stf_is_updating(void)
{
	return atomic_load(&role) != STF_ROLE_NORMAL;
}

/* ctl.c provides the real one; without it update points of F/R return. */
EXPORT __attribute__((weak)) void stf__ctl_update_point_reached(const struct stf_parked_frame *frame)
{
	(void)frame;
}

/* ------------------------------------------------------------------ */
/* Update points.                                                        */

pid_t stf__gettid_raw(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Release the parked threads (stf__q_lock held). */
void stf__release_locked(void)
{
	stf__quiescing = false;
	stf__root.quiesced = 0;
	stf__root.frames = 0;
	stf__root.nframes = 0;
	stf__root.library_threads = 0;
	stf__root.nlibrary_threads = 0;
	stf__nframes = 0;
	generation++;
	stf__update_pending = atomic_load(&role) != STF_ROLE_NORMAL;
	if (atomic_load(&role) == STF_ROLE_NORMAL)
		stf__update_fd_signal(false);
	pthread_cond_broadcast(&stf__q_cond);
}

double stf__now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void stf__deadline_in_ms(struct timespec *ts, clockid_t clock, long ms)
{
	clock_gettime(clock, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += ms % 1000 * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* When the last thread parked (stf__q_lock), see stf__quiesce_parked_at. */
double stf__last_parked;

/* Record the frame of a thread stopping at an update point (stf__q_lock held). */
static int publish_locked(const struct stf_parked_frame *f, const struct stf_program_frames *pf)
{
	if (stf__nframes == cap_frames) {
		size_t ncap = cap_frames ? 2 * cap_frames : 16;
		struct stf_parked_frame *nf = stf__raw_realloc(stf__frames, ncap * sizeof *nf);
		if (nf)
			stf__frames = nf;
		struct frame_at *na = stf__raw_realloc(frames_at, ncap * sizeof *na);
		if (na)
			frames_at = na;
		if (!nf || !na)
			return -1;
		cap_frames = ncap;
	}
	frames_at[stf__nframes] = (struct frame_at){ f->tid, *pf };
	stf__frames[stf__nframes++] = *f;
	stf__last_parked = stf__now_s();
	pthread_cond_broadcast(&stf__q_arrive);
	return 0;
}

/* The unwinder's register numbers of the registers the point saves. */
static const int saved_regs[STF_SAVED_REGS] = { 3, 6, 12, 13, 14, 15 }; /* rbx rbp r12-r15 */

struct unwind_walk {
	uintptr_t point_cfa;  /* the point function's CFA */
	unsigned after;       /* frames walked from its caller's */
	uintptr_t func;
	uint64_t regs[2][STF_SAVED_REGS]; /* in the function, in its caller */
};

static _Unwind_Reason_Code unwind_step(struct _Unwind_Context *ctx, void *arg)
{
	struct unwind_walk *w = arg;
	/* a frame's context gives the CFA of the frame it called: its stack
	 * pointer at the call */
	if (!w->after && _Unwind_GetCFA(ctx) != w->point_cfa)
		return _URC_NO_REASON;
	for (unsigned r = 0; r < STF_SAVED_REGS; r++)
		w->regs[w->after][r] = _Unwind_GetGR(ctx, saved_regs[r]);
	if (!w->after)
		w->func = _Unwind_GetRegionStart(ctx);
	return ++w->after == 2 ? _URC_END_OF_STACK : _URC_NO_REASON;
}

/*
 * F/R: which of the registers the point saved hold the values of the
 * function that called it, not its caller's.  That function holds an
 * update point, so the plugin made every parameter and local in scope
 * there addressable: across the call they live in memory, which the call
 * may change, and its registers hold no value it uses after the call but
 * those computed from no memory (addresses of statics, constants).  Its
 * callers' values are in the registers it did not change, or above in its
 * frame, where it saved them.  (If that function was inlined into its
 * caller, the caller's locals may be among its registers: the sweep
 * checks that the function found here is the point's, see startup.c.)
 */
static void program_registers(struct stf_program_frames *pf)
{
	/* the point function's frame pointer is above its saved registers,
	 * its CFA above its saved %rbp and return address */
	struct unwind_walk w = {
		.point_cfa = pf->from + STF_CALLEE_SAVED * sizeof(void *) + 2 * sizeof(void *),
	};
	_Unwind_Backtrace(unwind_step, &w);
	if (w.after < 2)
		return; /* no caller of the function: not known */
	pf->func = w.func;
	for (unsigned r = 0; r < STF_SAVED_REGS; r++)
		if (w.regs[0][r] != w.regs[1][r])
			pf->dead[pf->ndead++] = w.regs[0][r];
}

/* A thread parked as the new version resumes after its commit (the new
 * version is killed otherwise): the old version's thread reached its
 * update point inside an event loop's dispatch, which this one, called
 * from its start, must end (evloop.h). */
static void resume_program(enum stf_role parked_as)
{
	if (parked_as == STF_ROLE_FUTURE && atomic_load(&role) == STF_ROLE_NORMAL)
		stf__evloop_resumed();
}

void stf__park(struct stf_parked_frame *f, uintptr_t program_from)
{
	enum stf_role parked_as = (enum stf_role)atomic_load(&role);
	struct stf_program_frames pf = { .from = program_from };
	if (atomic_load(&role) != STF_ROLE_NORMAL)
		program_registers(&pf);
	f->tid = (uint64_t)stf__gettid_raw();
	f->start = stf__thread_start();
	f->tp = (uintptr_t)__builtin_thread_pointer();
	stf__tree_point_reached();
	pthread_mutex_lock(&stf__q_lock);
	/* F and R: a thread other than the main one at an update point
	 * before the main thread waits for it, unpublished: the startup is
	 * not over, and the main thread may be waiting for this one (workers
	 * that register before their loop, memcached's).  The main thread
	 * starts the quiescence (this thread does if it has exited). */
	if (atomic_load(&role) != STF_ROLE_NORMAL && !stf__quiescing && !handing_over &&
	    f->tid != (uint64_t)getpid()) {
		stf__startup_early++;
		while (atomic_load(&role) != STF_ROLE_NORMAL && !stf__quiescing &&
		       !handing_over && !stf__thread_gone(getpid())) {
			struct timespec ts;
			stf__deadline_in_ms(&ts, CLOCK_REALTIME, 50);
			pthread_cond_timedwait(&stf__q_cond, &stf__q_lock, &ts);
		}
		stf__startup_early--;
	}
	if (atomic_load(&role) != STF_ROLE_NORMAL && !stf__quiescing && !handing_over) {
		/* The first thread of F or R at an update point: the process
		 * quiesces itself, so that every thread's frame - not only
		 * this one's - is published and transferred.  Threads arriving
		 * from now on park below; stf__quiesce_wait() collects the
		 * others. */
		handing_over = true;
		handover_from = program_from;
		stf__quiescing = true;
		stf__nframes = 0;
		pthread_cond_broadcast(&stf__q_cond);  /* the threads that came early */
		uint64_t own = generation;
		/* Unpublished (out of memory), this thread counts as never
		 * parked: stf__quiesce_wait() times out and the update fails. */
		publish_locked(f, &pf);
		pthread_mutex_unlock(&stf__q_lock);
		stf__ctl_update_point_reached(f);
		pthread_mutex_lock(&stf__q_lock);
		handing_over = false;
		handover_from = 0;
		/* The control code declined: nobody else releases.  After a
		 * commit the quiescence was released already, and one that is
		 * under way now is the next update's: not ours to end. */
		if (stf__quiescing && generation == own)
			stf__release_locked();
		pthread_cond_broadcast(&stf__q_cond);
		pthread_mutex_unlock(&stf__q_lock);
		resume_program(parked_as);
		return;
	}
	if (!stf__quiescing) {
		/* (set until the first update point: stf__tree_start) */
		stf__update_pending = atomic_load(&role) != STF_ROLE_NORMAL;
		pthread_mutex_unlock(&stf__q_lock);
		return;
	}
	if (publish_locked(f, &pf) < 0) {
		/* Cannot publish this thread: it keeps running, so the
		 * quiescence times out instead of missing a frame. */
		pthread_mutex_unlock(&stf__q_lock);
		return;
	}
	uint64_t gen = generation;
	while (generation == gen)
		pthread_cond_wait(&stf__q_cond, &stf__q_lock);
	pthread_mutex_unlock(&stf__q_lock);
	resume_program(parked_as);
}

uintptr_t stf__handover_frame(void)
{
	return handover_from;
}

bool stf__parked_program_frames(uint64_t tid, struct stf_program_frames *out)
{
	bool found = false;
	pthread_mutex_lock(&stf__q_lock);
	for (size_t i = 0; i < stf__nframes && !found; i++)
		if (frames_at[i].tid == tid) {
			*out = frames_at[i].frames;
			found = true;
		}
	pthread_mutex_unlock(&stf__q_lock);
	return found;
}

bool stf__in_startup(void)
{
	pthread_mutex_lock(&stf__q_lock);
	bool startup = atomic_load(&role) != STF_ROLE_NORMAL && !stf__quiescing && !handing_over;
	pthread_mutex_unlock(&stf__q_lock);
	return startup;
}

EXPORT void stf__update_point(void)
{
	/* the caller's callee-saved registers saved here: the stack from
	 * them up holds every value of the program's frames */
	__builtin_unwind_init();
	struct stf_parked_frame f = { 0 };
	stf__park(&f, STF_PROGRAM_FRAMES_FROM());
}

uint32_t stf__frame_nlocals(const struct stf_unit *u, unsigned frame)
{
	if (!u || u->magic != STF_UNIT_MAGIC)
		return 0;
	const struct stf_blob_hdr *b = stf_unit_blob(u);  /* frames are stored as they are */
	if (b->magic != STF_BLOB_MAGIC || frame >= b->frames.count ||
	    b->frames.off + (uint64_t)b->frames.count * sizeof(struct stf_frame_rec) > b->stored)
		return 0;
	const struct stf_frame_rec *fr = (const struct stf_frame_rec *)((const char *)b + b->frames.off);
	return fr[frame].nlocals;
}

#define MAX_FRAME_LOCALS 1024u

EXPORT void stf__update_point_frame(const void *unit, unsigned frame, ...)
{
	__builtin_unwind_init();  /* as in stf__update_point */
	uint32_t n = stf__frame_nlocals(unit, frame);
	if (n > MAX_FRAME_LOCALS)
		n = 0;  /* a damaged record: publish no locals rather than guess */
	uint64_t locals[n ? n : 1];
	va_list ap;
	va_start(ap, frame);
	for (uint32_t i = 0; i < n; i++)
		locals[i] = (uintptr_t)va_arg(ap, void *);
	va_end(ap);
	struct stf_parked_frame f = {
		.unit = (uintptr_t)unit,
		.frame = frame,
		.nlocals = n,
		.locals = n ? (uintptr_t)locals : 0,
	};
	stf__park(&f, STF_PROGRAM_FRAMES_FROM());
}

/* A fork by the program must not leave stf__q_lock held in the child. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&stf__q_lock);
}

static void fork_release(void)
{
	pthread_mutex_unlock(&stf__q_lock);
}

__attribute__((constructor)) static void update_init(void)
{
	/* prepare handlers run last registered first: stf__q_lock, then the
	 * waiters' lock, the order of the quiescence's sweep */
	stf__wait_atfork();
	pthread_atfork(fork_prepare, fork_release, fork_release);
}
