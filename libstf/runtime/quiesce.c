/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * quiesce.c - quiescence: the first phase of an update, in the past
 * version (and in F and R for their own threads).
 *
 * Quiescence waits for every thread of the process but the control
 * thread(s) to park at an update point (update.c).  Threads blocked in an
 * event-loop system call are interrupted with a real-time signal whose
 * handler does nothing and is installed without SA_RESTART, so the call
 * fails with EINTR and the loop comes round to its update point: waits for
 * events, connections, time, signals (sigsuspend, pause, sigwaitinfo) and
 * children (waitpid).  Only threads whose current system call (from
 * /proc/self/task/TID/syscall) is such a call are kicked, and the kick
 * repeats every few milliseconds to catch a thread that checked the flag
 * just before blocking.  A thread waiting on a condition variable in a wait
 * point (wait.c) is woken by a broadcast instead, as often.  A thread a
 * library started that runs no program code (GLib's gmain) is quiescent
 * while blocked in the library (lib-threads.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "collapse.h"
#include "lib-threads.h"
#include "parked.h"
#include "subobjects.h"
#include "update.h"
#include "wait.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT void stf__quiesce_exclude_self(void)
{
	pid_t t = stf__gettid_raw();
	pthread_mutex_lock(&stf__q_lock);
	bool known = false;
	for (size_t i = 0; i < stf__nexcluded; i++)
		known |= stf__excluded[i] == t;
	if (!known && stf__nexcluded < MAX_EXCLUDED)
		stf__excluded[stf__nexcluded++] = t;
	pthread_mutex_unlock(&stf__q_lock);
}

static void kick_handler(int sig)
{
	(void)sig;
}

static int kick_signal(void)
{
	return SIGRTMAX - 2;
}

static int install_kick_handler(void)
{
	struct sigaction sa, old;
	if (sigaction(kick_signal(), NULL, &old) < 0)
		return -1;
	if (old.sa_handler == kick_handler)
		return 0;
	if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) {
		fprintf(stderr, "libstf: signal %d (SIGRTMAX-2) has a handler of the program; "
			"quiescence cannot interrupt blocking calls\n", kick_signal());
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = kick_handler;  /* no SA_RESTART: the call fails with EINTR */
	sigemptyset(&sa.sa_mask);
	return sigaction(kick_signal(), &sa, NULL);
}

static bool is_socket(long fd)
{
	struct stat st;
	return fd >= 0 && fd <= 0x7fffffff && fstat((int)fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The threads that did not park in the last failed quiescence, for its
 * error message (static: the control thread allocates nothing). */
static char stragglers[2048];
static size_t stragglers_len;

/* The name of a system call a thread is blocked in (the ones a server
 * waits in; others by number). */
const char *stf__syscall_name(long nr)
{
#define NAMED(call) { SYS_##call, #call }
	static const struct { long nr; const char *name; } names[] = {
		NAMED(read), NAMED(write), NAMED(readv), NAMED(writev), NAMED(pread64),
		NAMED(pwrite64), NAMED(open), NAMED(openat), NAMED(close), NAMED(ioctl),
		NAMED(fcntl), NAMED(flock), NAMED(fsync), NAMED(fdatasync), NAMED(sendfile),
		NAMED(splice), NAMED(tee), NAMED(poll), NAMED(ppoll), NAMED(select),
		NAMED(pselect6), NAMED(epoll_wait), NAMED(epoll_pwait), NAMED(accept),
		NAMED(accept4), NAMED(connect), NAMED(recvfrom), NAMED(recvmsg),
		NAMED(recvmmsg), NAMED(sendto), NAMED(sendmsg), NAMED(sendmmsg),
		NAMED(nanosleep), NAMED(clock_nanosleep), NAMED(pause), NAMED(rt_sigsuspend),
		NAMED(rt_sigtimedwait), NAMED(waitid), NAMED(msgrcv), NAMED(msgsnd),
		NAMED(semop), NAMED(semtimedop), NAMED(mq_timedreceive), NAMED(mq_timedsend),
		NAMED(io_getevents), NAMED(getrandom), NAMED(sched_yield), NAMED(mmap),
		NAMED(munmap), NAMED(madvise), NAMED(clone), NAMED(execve), NAMED(exit_group),
	};
#undef NAMED
	switch (nr) {
	case SYS_futex: return "futex wait: a semaphore, a lock, or a condition variable waited on by uninstrumented code";
	case SYS_read: return "read";
	case SYS_write: return "write";
	case SYS_wait4: return "wait4";
	case SYS_waitid: return "waitid";
	case SYS_rt_sigsuspend: return "sigsuspend";
	case SYS_pause: return "pause";
	case SYS_rt_sigtimedwait: return "sigwaitinfo";
	case -1: return "running";
	}
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (names[i].nr == nr)
			return names[i].name;
	return NULL;
}

ssize_t stf__task_file(pid_t tid, const char *what, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)tid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return n;
}

/* Is thread tid blocked in a call that the kick may interrupt?  -1 if the
 * thread is gone.  *nrp: the call it is in (-1 running). */
static int in_event_call_nr(pid_t tid, long *nrp)
{
	char buf[256];
	if (stf__task_file(tid, "syscall", buf, sizeof buf) < 0)
		return -1;
	char *p = buf;
	long nr = strtol(p, &p, 10);
	long arg0 = (long)strtoul(p, &p, 16);
	*nrp = p == buf ? -1 : nr;  /* "running" parses as no number */
	switch (nr) {
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
#endif
	case SYS_poll:
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_accept:
	case SYS_accept4:
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	/* A loop that waits for signals or children (a master process in
	 * sigsuspend, a signal thread in sigwaitinfo): the kick is a signal
	 * the wait does not ask for, so it ends with EINTR. */
	case SYS_rt_sigsuspend:
	case SYS_pause:
	case SYS_rt_sigtimedwait:
	case SYS_wait4:
	case SYS_waitid:
		return 1;
	case SYS_read:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_recvmmsg:
		return is_socket(arg0);
	default:
		return 0;  /* "running", or a call we must not disturb */
	}
}

/* Remember a thread that has not parked (sweep with record set): grouped
 * by what it is doing, "N thread(s) in WHAT (tids A, B, ...)". */
#define MAX_STRAGGLERS 64
static struct { pid_t tid; int ev; long nr; } straggler[MAX_STRAGGLERS];
static size_t nstragglers;

static void note_straggler(pid_t tid, int ev, long nr)
{
	if (nstragglers < MAX_STRAGGLERS) {
		straggler[nstragglers].tid = tid;
		straggler[nstragglers].ev = ev;
		straggler[nstragglers].nr = nr;
	}
	nstragglers++;
}

static void format_stragglers(void)
{
	size_t n = nstragglers < MAX_STRAGGLERS ? nstragglers : MAX_STRAGGLERS;
	stragglers_len = 0;
	stragglers[0] = 0;
	for (size_t i = 0; i < n; i++) {
		bool first = true;
		size_t count = 0;
		for (size_t k = 0; k < i && first; k++)
			first = straggler[k].ev != straggler[i].ev || straggler[k].nr != straggler[i].nr;
		if (!first)
			continue;
		for (size_t k = i; k < n; k++)
			count += straggler[k].ev == straggler[i].ev && straggler[k].nr == straggler[i].nr;
		const char *what = straggler[i].ev > 0 ? "an interrupted call, not back at an update point"
			: stf__syscall_name(straggler[i].nr);
		char one[256];
		int len;
		if (what)
			len = snprintf(one, sizeof one, "%s%zu thread%s in %s (tid %d%s)",
				       stragglers_len ? "; " : "", count, count == 1 ? "" : "s", what,
				       (int)straggler[i].tid, count > 1 ? ", ..." : "");
		else
			len = snprintf(one, sizeof one, "%s%zu thread%s in system call %ld (tid %d%s)",
				       stragglers_len ? "; " : "", count, count == 1 ? "" : "s",
				       straggler[i].nr, (int)straggler[i].tid, count > 1 ? ", ..." : "");
		if (len > 0 && stragglers_len + (size_t)len < sizeof stragglers) {
			memcpy(stragglers + stragglers_len, one, (size_t)len + 1);
			stragglers_len += (size_t)len;
		}
	}
}

const char *stf__quiesce_stragglers(void)
{
	return stragglers;
}

static bool is_parked_locked(pid_t tid)
{
	for (size_t i = 0; i < stf__nframes; i++)
		if (stf__frames[i].tid == (uint64_t)tid)
			return true;
	return false;
}

static bool is_excluded_locked(pid_t tid)
{
	if (tid == stf__collapser_tid())
		return true;
	for (size_t i = 0; i < stf__nexcluded; i++)
		if (stf__excluded[i] == tid)
			return true;
	return false;
}

/* A zombie thread (an exited main thread) never parks and needs not. */
static bool is_zombie(pid_t tid)
{
	char buf[512];
	if (stf__task_file(tid, "stat", buf, sizeof buf) < 0)
		return true;  /* gone */
	const char *rp = strrchr(buf, ')');
	return rp && (rp[2] == 'Z' || rp[2] == 'X');
}

bool stf__thread_gone(pid_t tid)
{
	return is_zombie(tid);
}

/* Call visit(tid, ctx) for every thread of this process but self, as
 * /proc/self/task lists them; -1 if it cannot be read.  Raw getdents:
 * no allocation while threads are being parked. */
static int each_other_thread(pid_t self, void (*visit)(pid_t tid, void *ctx), void *ctx)
{
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[4096];
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			pid_t tid = (pid_t)atoi(d->d_name);
			if (tid != self)
				visit(tid, ctx);
		}
	}
	close(fd);
	return 0;
}

static void count_other(pid_t tid, void *count)
{
	if (!is_excluded_locked(tid) && !is_zombie(tid))
		++*(int *)count;
}

bool stf__startup_others_idle_locked(pid_t self, unsigned waiting)
{
	/* the threads but self, libstf's and the exited ones */
	int others = 0;
	return each_other_thread(self, count_other, &others) == 0 &&
	       (unsigned)others <= stf__startup_early + waiting;
}

struct sweep {
	pid_t pid;
	bool kick, record;
	int missing;  /* threads still to park */
	int stuck;    /* of them, in a futex wait nothing of ours can end */
};

static void sweep_thread(pid_t tid, void *arg)
{
	struct sweep *sw = arg;
	if (is_excluded_locked(tid) || is_parked_locked(tid))
		return;
	long nr = -1;
	int ev = in_event_call_nr(tid, &nr);
	if (ev < 0 && is_zombie(tid))
		return;
	if (!stf__thread_loops(tid) && stf__lib_thread_quiet_locked(tid))
		return;
	sw->missing++;
	if (sw->record)
		note_straggler(tid, ev, nr);
	if (sw->kick && ev > 0 && stf__thread_loops(tid))
		syscall(SYS_tgkill, sw->pid, tid, kick_signal());
	else if (sw->kick && !stf__wait_wake(tid) && nr == SYS_futex)
		sw->stuck++;
}

/* One pass over the threads (stf__q_lock held): kick the blocked ones.
 * Returns the number of threads still to park, -1 on error; *stuck: how
 * many of them sit in a futex wait that nothing of ours can end (not a
 * wait point: a semaphore, a lock, a condition variable of uninstrumented
 * code). */
static int sweep_locked(pid_t self, pid_t pid, bool kick, bool record, int *stuck)
{
	struct sweep sw = { .pid = pid, .kick = kick, .record = record };
	stf__lib_threads_sweep_begin();
	if (each_other_thread(self, sweep_thread, &sw) < 0)
		return -1;
	*stuck = sw.stuck;
	return sw.missing;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#define KICK_INTERVAL_MS 2
/* How long every thread still missing may sit in a futex wait we cannot
 * end before quiescence gives up early: the parked threads serve nobody
 * meanwhile, and such a wait ends only through a thread that is parked
 * (a deadlock) or an event that would come as well without us. */
#define STUCK_MS 1000

static bool gave_up_stuck;  /* the last failed quiescence ended early */

bool stf__quiesce_gave_up(void)
{
	return gave_up_stuck;
}

/*
 * Publish the stf__frames ordered by thread ID: threads are numbered in the
 * order they were created, so the n-th thread running a function in the
 * past version pairs with the n-th one in the future version.
 */
static void publish_frames_locked(void)
{
	for (size_t i = 1; i < stf__nframes; i++) {
		struct stf_parked_frame f = stf__frames[i];
		size_t j = i;
		for (; j > 0 && stf__frames[j - 1].tid > f.tid; j--)
			stf__frames[j] = stf__frames[j - 1];
		stf__frames[j] = f;
	}
	stf__root.frames = (uintptr_t)stf__frames;
	stf__root.nframes = stf__nframes;
	stf__lib_threads_publish_locked();
	stf__root.quiesced = 1;
}

/* Kick and wait until every thread but the stf__excluded ones is parked
 * (stf__q_lock held, stf__quiescing set).  0 when all are, -1 on timeout. */
static int wait_parked_locked(pid_t self, pid_t pid, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms, stuck_since = 0;
	int ret = -1, stuck;
	gave_up_stuck = false;
	for (;;) {
		if (!stf__quiescing)
			break;  /* released under us: nothing to wait for */
		int missing = sweep_locked(self, pid, true, false, &stuck);
		if (missing == 0) {
			/* the objects the threads' pools handed out since the
			 * registry was last read: the transfer reads it */
			stf__sub_flush_stopped();
			publish_frames_locked();
			ret = 0;
			break;
		}
		uint64_t now = now_ms();
		if (missing > 0 && stuck == missing) {
			if (!stuck_since)
				stuck_since = now;
			gave_up_stuck = now - stuck_since >= STUCK_MS;
		} else {
			stuck_since = 0;
		}
		if (missing < 0 || now >= deadline || gave_up_stuck) {
			nstragglers = 0;
			if (missing > 0)
				sweep_locked(self, pid, false, true, &stuck);
			format_stragglers();
			break;
		}
		uint64_t wait = deadline - now < KICK_INTERVAL_MS ? deadline - now : KICK_INTERVAL_MS;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)wait * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&stf__q_arrive, &stf__q_lock, &ts);
	}
	return ret;
}

EXPORT int stf__quiesce(unsigned timeout_ms)
{
	pid_t self = stf__gettid_raw(), pid = getpid();
	if (install_kick_handler() < 0)
		return -1;
	stf__lib_threads_prepare();
	pthread_mutex_lock(&stf__q_lock);
	if (stf__quiescing) {
		pthread_mutex_unlock(&stf__q_lock);
		errno = EBUSY;
		return -1;
	}
	stf__quiescing = true;
	stf__nframes = 0;
	stf__last_parked = stf__now_s();  /* no thread to wait for: paused from now */
	stf__update_pending = 1;
	stf__update_fd_signal(true);
	int ret = wait_parked_locked(self, pid, timeout_ms);
	if (ret < 0) {
		stf__release_locked();
		errno = ETIMEDOUT;
	}
	pthread_mutex_unlock(&stf__q_lock);
	return ret;
}

EXPORT int stf__quiesce_wait(unsigned timeout_ms)
{
	pid_t self = stf__gettid_raw(), pid = getpid();
	if (install_kick_handler() < 0)
		return -1;
	stf__lib_threads_prepare();
	pthread_mutex_lock(&stf__q_lock);
	int ret = stf__quiescing ? wait_parked_locked(self, pid, timeout_ms) : -1;
	pthread_mutex_unlock(&stf__q_lock);
	if (ret < 0)
		errno = ETIMEDOUT;
	return ret;
}

double stf__quiesce_parked_at(void)
{
	pthread_mutex_lock(&stf__q_lock);
	double t = stf__last_parked;
	pthread_mutex_unlock(&stf__q_lock);
	return t;
}

EXPORT void stf__resume(void)
{
	pthread_mutex_lock(&stf__q_lock);
	if (stf__quiescing)
		stf__release_locked();
	pthread_mutex_unlock(&stf__q_lock);
}

