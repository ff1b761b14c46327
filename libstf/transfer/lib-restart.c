/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib-restart.c - the old version's library threads started again in the
 * new version at its commit (see lib-restart.h).
 *
 * The old version's quiescence counted a thread a library started that
 * runs no program code as parked while it was blocked in the library
 * (runtime/lib-threads.c: GLib's gmain, in poll).  The library's state,
 * its writable data and heap blocks, is carried at its addresses like the
 * rest: the worker context gmain iterates, the GThread GLib made for it
 * and handed to its start routine.  The new version has no such thread
 * (its startup, in update mode, did not make what starts it), so it
 * starts it again, at the commit, from the same start routine (the same
 * place of the same library) with the argument relocated, with the
 * signals it blocked blocked and its name.  That is right for a thread
 * that loops around a wait for events whose state is all in memory (an
 * event loop's poll): restarted, it polls again what the state says.
 * GLib's worker then finds the context acquired by itself (the GThread is
 * the same), which GLib allows, and holds it once more, for good: nothing
 * but gmain iterates GLib's worker context.
 *
 * The old version's thread is still there after the commit, until the
 * old process exits (for the whole watch, with ttst-ctl update --watch),
 * blocked in its poll on descriptors both processes share: a wakeup that
 * the new version writes to GLib's worker context's eventfd could wake
 * the old thread, which would take it (t/xfer/gmain19 lost a SIGUSR1
 * that way: the old gmain woke instead of the new one).  So each eventfd the thread polls is made
 * this process's own at the commit, before the thread starts again: a
 * new eventfd at the same number, with the same flags, holding one
 * wakeup (a poll that finds nothing to do is harmless; a lost wakeup is
 * not).  The old process keeps the old one.
 *
 * Refused, naming the thread:
 *  - one that ran after the quiescence counted it (its context switches
 *    changed), checked after F read the process and again when F is told
 *    to commit: it may have changed what the transfer read, or done work
 *    (a GLib timeout's) the new version would do again.  A thread that
 *    wakes after that last check, before the old process is told to exit
 *    (a few system calls later), acts only on the old process's memory
 *    and on the eventfds the new version no longer shares;
 *  - one blocked in epoll or select, or polling a descriptor other than
 *    an eventfd (it would stay shared with the old thread);
 *  - one blocked in a futex wait or a sleep: a worker of a library's queue
 *    or pool (GThreadPool's) counts itself into the library's state
 *    before it waits, and one started again would be counted twice;
 *  - one whose start routine or argument has no counterpart here (the
 *    argument is a block nothing carried reaches);
 *  - one the new version's own startup started: it runs on the library
 *    state the transfer replaces with the old version's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine.h"
#include "fault.h"
#include "lib-restart.h"
#include "lib-threads.h"
#include "parked.h"
#include "remote.h"

#define MAX_RESTARTED 64

static struct restart {
	uint64_t start, arg, sigblk;
	uint64_t tid, switches; /* in the old version, when it was counted */
	char name[16];
} planned[MAX_RESTARTED];
static size_t nplanned;
static pid_t past_pid;

/* The eventfds the planned threads poll, made this process's own. */
#define MAX_RENEWED 64
static int renewed[MAX_RENEWED];
static size_t nrenewed;

/* System call nr by its name for a reason, "system call NR" when libstf
 * has none for it. */
static const char *syscall_label(uint64_t nr, char *buf, size_t len)
{
	const char *name = stf__syscall_name((long)nr);
	if (name)
		return name;
	snprintf(buf, len, "system call %" PRIu64, nr);
	return buf;
}

/* Its context switches now (in process pid), or UINT64_MAX if gone. */
static uint64_t switches_now(pid_t pid, uint64_t tid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/task/%" PRIu64 "/status", (int)pid, tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return UINT64_MAX;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	const char *vol, *invol;
	if (len <= 0)
		return UINT64_MAX;
	buf[len] = 0;
	vol = strstr(buf, "\nvoluntary_ctxt_switches:");
	invol = strstr(buf, "\nnonvoluntary_ctxt_switches:");
	if (!vol || !invol)
		return UINT64_MAX;
	return strtoull(vol + strlen("\nvoluntary_ctxt_switches:"), NULL, 10) +
	       strtoull(invol + strlen("\nnonvoluntary_ctxt_switches:"), NULL, 10);
}

/* "by g_thread_proxy in libglib-2.0.so.0", "in libglib-2.0.so.0" (no
 * symbol), or "at 0x..." */
static void started_by(struct stf_xfer *x, uint64_t start, char *buf, size_t len)
{
	const char *lib, *sym;
	uint64_t off;
	if (stf__peer_lib_symbol(x->src, start, &lib, &sym, &off) == 0)
		snprintf(buf, len, "%s%s%sin %s", sym ? "by " : "", sym ? sym : "", sym ? " " : "",
			 lib);
	else
		snprintf(buf, len, "at 0x%" PRIx64, start);
}

/* Plan to renew the eventfds t polls (read from the old version); 0, or
 * -1 with the problem reported. */
static int plan_renewals(struct stf_xfer *x, const struct stf_library_thread *t, const char *by)
{
	struct pollfd fds[MAX_RENEWED];
	char path[64], what[128];

	if (t->nr != SYS_poll && t->nr != SYS_ppoll) {
		stf__xfail(x, "the old version's thread %" PRIu64 " (%s, started %s) polls through "
			   "epoll or select, whose descriptors would stay shared with it until the "
			   "old version exits; ttst starts again only threads in poll", t->tid,
			   t->name, by);
		return -1;
	}
	if (t->nfds > MAX_RENEWED || (t->nfds && stf__peer_read(x->src, t->fds, fds,
							       t->nfds * sizeof(*fds)) < 0)) {
		stf__xfail(x, "cannot read the %" PRIu64 " descriptors the old version's thread %"
			   PRIu64 " (%s) polls", t->nfds, t->tid, t->name);
		return -1;
	}
	for (uint64_t k = 0; k < t->nfds; k++) {
		if (fds[k].fd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[k].fd);
		ssize_t len = readlink(path, what, sizeof(what) - 1);
		what[len > 0 ? len : 0] = 0;
		if (strcmp(what, "anon_inode:[eventfd]")) {
			stf__xfail(x, "the old version's thread %" PRIu64 " (%s, started %s) polls "
				   "descriptor %d (%s), which is no eventfd: it would stay shared with "
				   "that thread until the old version exits, and either could take "
				   "what comes on it", t->tid, t->name, by, fds[k].fd,
				   len > 0 ? what : "closed here");
			return -1;
		}
		if (nrenewed == MAX_RENEWED) {
			stf__xfail(x, "more than %d eventfds polled by the old version's library "
				   "threads", MAX_RENEWED);
			return -1;
		}
		renewed[nrenewed++] = fds[k].fd;
	}
	return 0;
}

/* fd: a new eventfd of the same flags holding one wakeup. */
static void renew_eventfd(int fd)
{
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
	int nfd = eventfd(1, (fl >= 0 && (fl & O_NONBLOCK) ? EFD_NONBLOCK : 0) | EFD_CLOEXEC);
	if (nfd < 0 || dup3(nfd, fd, fdfl >= 0 && (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
		fprintf(stderr, "libstf: eventfd %d stays shared with the old version after the "
			"commit: %s\n", fd, strerror(errno));
	if (nfd >= 0)
		close(nfd);
}

static void refuse_own(struct stf_xfer *x)
{
	size_t n;
	const struct stf_library_thread *own = stf__lib_threads_own(&n);
	for (size_t i = 0; i < n; i++)
		stf__xfail(x, "thread %" PRIu64 " (%s) of the new version runs only library code, "
			   "blocked in system call %" PRIu64 ": its startup started it (in update "
			   "mode), and it would run on on the library's own state, which the "
			   "transfer replaces with the old version's; make what starts it (GIO's "
			   "GSocketService, GTask) only when !stf_is_updating(): the old "
			   "version's is started again", own[i].tid, own[i].name, own[i].nr);
}

int stf__lib_threads_plan(struct stf_xfer *x)
{
	struct stf_library_thread past[MAX_RESTARTED];
	uint64_t n = x->src->root.nlibrary_threads;
	uint32_t problems = x->problems;
	char label[64], by[256], call[32];

	nplanned = 0;
	nrenewed = 0;
	if (x->dir != STF_FORWARD || !x->dst->self)
		return 0;
	past_pid = x->src->pid;
	stf__path_cut(x, 0);
	x->obj = NULL;
	x->elem = UINT64_MAX;
	x->obj_label = "library threads";
	refuse_own(x);
	if (n > MAX_RESTARTED) {
		stf__xfail(x, "the old version has %" PRIu64 " threads of libraries blocked in them, "
			   "more than the %d ttst starts again", n, MAX_RESTARTED);
		n = 0;
	} else if (n && stf__peer_read(x->src, x->src->root.library_threads, past,
				       n * sizeof(*past)) < 0) {
		stf__xfail(x, "cannot read the old version's library threads");
		n = 0;
	}
	for (uint64_t i = 0; i < n; i++) {
		const struct stf_library_thread *t = &past[i];
		struct restart *r = &planned[nplanned];
		snprintf(label, sizeof(label), "thread %" PRIu64 " (%s)", t->tid, t->name);
		x->obj_label = label;
		x->failed = 0;
		started_by(x, t->start, by, sizeof(by));
		if (switches_now(x->src->pid, t->tid) != t->switches) {
			stf__xfail(x, "the old version's thread %" PRIu64 " (%s, started %s) ran "
				   "while the transfer read the process (it was blocked in %s when "
				   "the quiescence counted it): what the library keeps may have "
				   "changed meanwhile; try again", t->tid, t->name, by,
				   syscall_label(t->nr, call, sizeof(call)));
		} else if (!stf__lib_thread_polls(t->nr)) {
			stf__xfail(x, "the old version's thread %" PRIu64 " (%s, started %s) runs "
				   "only library code, blocked in %s, not "
				   "in an event loop's poll: a worker of a library's queue or pool "
				   "(GThreadPool) counts itself into the library's state before it "
				   "waits, and started again here it would be counted twice; ttst "
				   "cannot start it again", t->tid, t->name, by,
				   syscall_label(t->nr, call, sizeof(call)));
		} else if (plan_renewals(x, t, by) == 0 &&
			   stf__xfer_relocate(x, t->start, &r->start) == 0 && r->start &&
			   stf__xfer_relocate(x, t->arg, &r->arg) == 0) {
			r->sigblk = t->sigblk;
			r->tid = t->tid;
			r->switches = t->switches;
			memcpy(r->name, t->name, sizeof(r->name));
			nplanned++;
		}
	}
	x->obj_label = NULL;
	x->failed = 0;
	if (x->problems > problems) {
		nplanned = 0;
		nrenewed = 0;
		return -1;
	}
	return 0;
}

bool stf__lib_threads_planned(void)
{
	return nplanned != 0;
}

/* STF_FAULT=wake-library: what a GLib timeout or a wakeup from another
 * process would do, on the first planned thread's first eventfd (still
 * the old version's here); waits until the thread has run. */
static void wake_library_thread(void)
{
	uint64_t one = 1;

	if (!nplanned || !nrenewed || write(renewed[0], &one, sizeof(one)) != sizeof(one)) {
		fprintf(stderr, "libstf: STF_FAULT: no library thread to wake: no fault injected\n");
		return;
	}
	for (int ms = 0; ms < 2000 && switches_now(past_pid, planned[0].tid) ==
				      planned[0].switches; ms += 10)
		usleep(10000);
}

int stf__lib_threads_recheck(char *why, size_t len)
{
	size_t at = 0;

	if (stf__fault_wake_library())
		wake_library_thread();
	for (size_t i = 0; i < nplanned; i++) {
		const struct restart *r = &planned[i];
		if (switches_now(past_pid, r->tid) == r->switches || at >= len)
			continue;
		at += (size_t)snprintf(why + at, len - at, "%sthe old version's thread %" PRIu64
				       " (%s) ran after the transfer read the process: what its "
				       "library did meanwhile would be lost to the new version or "
				       "done twice; try again", at ? "; " : "", r->tid, r->name);
	}
	return at ? -1 : 0;
}

typedef void *start_fn(void *);

void stf__lib_threads_start(void)
{
	pthread_attr_t attr;
	sigset_t mask, program;

	for (size_t i = 0; i < nrenewed; i++)
		renew_eventfd(renewed[i]);
	nrenewed = 0;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (size_t i = 0; i < nplanned; i++) {
		const struct restart *r = &planned[i];
		pthread_t th;
		sigemptyset(&mask);
		for (int sig = 1; sig <= 64; sig++)
			if (r->sigblk >> (sig - 1) & 1)
				sigaddset(&mask, sig); /* glibc's own two are refused */
		pthread_sigmask(SIG_SETMASK, &mask, &program);
		int e = pthread_create(&th, &attr, (start_fn *)(uintptr_t)r->start,
				       (void *)(uintptr_t)r->arg);
		pthread_sigmask(SIG_SETMASK, &program, NULL);
		if (e)
			fprintf(stderr, "libstf: the old version's thread %s could not be started "
				"again after the commit: %s; its library's work stops\n", r->name,
				strerror(e));
		else if (r->name[0])
			pthread_setname_np(th, r->name);
	}
	pthread_attr_destroy(&attr);
	nplanned = 0;
}
