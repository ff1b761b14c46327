/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctl.c - libstf's control thread: executes ttstd's update transaction
 * inside the processes taking part in it (see ctl.h for the environment and
 * commands, DESIGN.md "The update transaction" for the whole).
 *
 * In the past version P the thread only quiesces, spawns F and R with
 * fork+exec (so they inherit P's descriptors), and resumes or exits: no
 * transfer code ever runs in P.  In F and R the work happens once the
 * program's first update point hands over (stf__ctl_update_point_reached):
 * the update point blocks until ttstd commits (F returns from it and serves)
 * or rolls back (ttstd kills F and R).
 *
 * The thread allocates nothing on the heap (static buffers only) so that P's
 * tracked state, which F and R compare against, is not changed by it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "commit.h"
#include "lib-restart.h"
#include "ctl.h"
#include "epoll.h"
#include "fds.h"
#include "own-fds.h"
#include "rebind.h"
#include "launch.h"
#include "respawn.h"
#include "scratch.h"
#include "signals.h"
#include "spans.h"
#include "pids.h"
#include "pthreads.h"
#include "tree.h"
#include "root.h"
#include "update.h"
#include "warm.h"
#include "xfer.h"
#include "../ttstd/proto.h"

#define EXPORT __attribute__((visibility("default")))

#define EXIT_ORPHANED 70 /* F or R lost ttstd: nobody can commit */
#define SELF_QUIESCE_MS 2000 /* F, R: for the threads other than the first */
#define WARM_MAX_MS 3000     /* P: making F's and R's memory ready (warm.c) */

static struct {
	int fd;                  /* connection to ttstd, -1 when unsupervised */
	enum stf_role role;
	pid_t past_pid;          /* F, R: the running version */
	uint64_t past_root;
	int strict;              /* F: the update is --strict */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char quiesce_error[2560];  /* F, R: why not every thread parked */
	int at_point;            /* F, R: the update point was reached */
	int released;            /* F: committed, the update point returns */
	int made_dumpable;       /* P: made dumpable for F and R to read it */
	dev_t fd_dev;            /* identity of the socket behind fd */
	ino_t fd_ino;
	char sock[sizeof(struct sockaddr_un)];  /* ttstd's program socket */
	struct step *step;       /* F, R: for the thread at the update point */
} ctl = {
	.fd = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/*
 * A transfer step (forward, backward, serve, diff).  It runs on the
 * program's thread that handed over at the update point, not on the
 * control thread: the transfer allocates the program's objects, and the
 * first malloc of a thread makes glibc reserve a new 64 MiB arena for it,
 * which breaks programs living under an address-space limit (vsftpd sets
 * RLIMIT_AS) and puts the program's heap in a foreign arena.
 */
enum step_kind { STEP_FORWARD = 1, STEP_BACKWARD, STEP_SERVE, STEP_DIFF, STEP_DIFF_PREPARE,
		 STEP_RESPAWN, STEP_ON_COMMIT };

struct step {
	enum step_kind kind;
	int conn;                    /* BACKWARD, SERVE: connection to the peer */
	pid_t peer;                  /* BACKWARD: the reversed version */
	uint64_t peer_root;
	struct stf_xfer_report *rep;
	int rc;
	int done;
};

static int step_run(const struct step *st)
{
	switch (st->kind) {
	case STEP_FORWARD:
		if (stf__xfer_forward(ctl.past_pid, ctl.past_root, st->rep) < 0)
			return -1;
		return stf__pids_apply(0, ctl.strict, st->rep);
	case STEP_BACKWARD:
		/* R's copy keeps P's pthread_t values: renamed after it */
		if (stf__xfer_backward(st->conn, st->peer, st->peer_root, st->rep) < 0)
			return -1;
		return stf__pthreads_apply(ctl.past_pid, ctl.past_root, st->rep);
	case STEP_SERVE:
		if (stf__xfer_serve(st->conn, st->rep) < 0)
			return -1;
		return stf__pids_apply(1, 0, st->rep);
	case STEP_DIFF:
		return stf__diff(ctl.past_pid, ctl.past_root, st->rep);
	case STEP_DIFF_PREPARE:
		return stf__diff_prepare(ctl.past_pid, ctl.past_root);
	case STEP_ON_COMMIT:
		/* the old version's library threads first: a hook may use
		 * the library (lib-restart.c) */
		stf__lib_threads_start();
		stf__commit_run_hooks();
		return 0;
	case STEP_RESPAWN:
		/* here too: the new threads inherit the program's signal mask
		 * (this thread blocks every signal), and glibc allocates for
		 * them */
		return stf__respawn(ctl.past_pid, ctl.past_root, ctl.role == STF_ROLE_FUTURE,
				    st->rep->error, sizeof st->rep->error);
	}
	return -1;
}

/* Control thread: have the thread at the update point run a step. */
static int step_delegate(struct step *st)
{
	pthread_mutex_lock(&ctl.lock);
	st->done = 0;
	ctl.step = st;
	pthread_cond_broadcast(&ctl.cond);
	while (!st->done)
		pthread_cond_wait(&ctl.cond, &ctl.lock);
	pthread_mutex_unlock(&ctl.lock);
	return st->rc;
}

/* Used by the control thread only. */
static struct ttst_msg in;
static struct ttst_msgbuf out;

void stf__ctl_warn(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n = snprintf(buf, sizeof buf, "libstf[%d]: ", (int)getpid());

	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
	va_end(ap);
	/* write(2), not stdio: stdio buffers are the program's state */
	if (write(2, buf, strlen(buf)) < 0 || write(2, "\n", 1) < 0)
		return;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *role_word(enum stf_role r)
{
	return r == STF_ROLE_FUTURE ? "future" : r == STF_ROLE_REVERSED ? "reversed" : "past";
}

static void reply_begin(int ok)
{
	ttst_msg_init(&out);
	ttst_msg_add(&out, "ok", ok ? "1" : "0");
}

/*
 * Is ctl.fd still our connection?  A daemon that closes every descriptor
 * at start through the C library leaves it open (own-fds.c), but one
 * that closes it with a raw system call or dup2s onto it does not, and
 * the number may then be one of its own files or sockets: we must
 * neither read from it, nor write to it, nor close it.
 */
static bool still_ours(void)
{
	struct stat st;

	return ctl.fd >= 0 && fstat(ctl.fd, &st) == 0 && st.st_dev == ctl.fd_dev &&
	       st.st_ino == ctl.fd_ino;
}

static void reply_send(void)
{
	if (!still_ours())
		stf__ctl_warn("not replying to ttstd: the program closed the control connection");
	else if (ttst_msg_send(ctl.fd, &out, -1) < 0)
		stf__ctl_warn("cannot reply to ttstd: %s", strerror(errno));
}

static void reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply_error(const char *fmt, ...)
{
	char why[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	reply_begin(0);
	ttst_msg_add(&out, "error", why);
	reply_send();
}

/* The engine's report as reply fields; ok unless rc < 0. */
static void reply_report(int rc, const struct stf_xfer_report *rep, int is_diff)
{
	const char *p = rep->problems;

	reply_begin(rc == 0);
	if (rc < 0)
		ttst_msg_add(&out, "error", rep->error[0] ? rep->error : "failed (no reason given)");
	/* every problem, whole (the message has room for the whole list:
	 * STF_PROBLEMS_BYTES encoded is well below TTST_MSG_MAX) */
	for (uint32_t k = 0; k < rep->nproblems; k++, p += strlen(p) + 1)
		ttst_msg_add(&out, "problem", p);
	if (rep->problems_omitted)
		ttst_msg_addf(&out, "problems_omitted", "%u", rep->problems_omitted);
	if (is_diff) {
		ttst_msg_addf(&out, "differences", "%llu", (unsigned long long)rep->differences);
		if (rep->first_diff[0])
			ttst_msg_add(&out, "first_diff", rep->first_diff);
		ttst_msg_addf(&out, "seconds_metadata", "%.6f", rep->seconds_metadata);
		ttst_msg_addf(&out, "seconds_transfer", "%.6f", rep->seconds_transfer);
		reply_send();
		return;
	}
	ttst_msg_addf(&out, "static_objects", "%llu", (unsigned long long)rep->static_objects);
	ttst_msg_addf(&out, "dynamic_objects", "%llu", (unsigned long long)rep->dynamic_objects);
	ttst_msg_addf(&out, "locals", "%llu", (unsigned long long)rep->locals);
	ttst_msg_addf(&out, "bytes", "%llu", (unsigned long long)rep->bytes);
	ttst_msg_addf(&out, "pointers", "%llu", (unsigned long long)rep->pointers);
	ttst_msg_addf(&out, "type_transforms", "%llu", (unsigned long long)rep->type_transforms);
	ttst_msg_addf(&out, "integers", "%llu", (unsigned long long)rep->integers);
	ttst_msg_addf(&out, "nowhere", "%llu", (unsigned long long)rep->nowhere);
	ttst_msg_addf(&out, "member_moved", "%llu", (unsigned long long)rep->member_moved);
	ttst_msg_addf(&out, "bytes_words", "%llu", (unsigned long long)rep->bytes_words);
	ttst_msg_addf(&out, "new_values", "%llu", (unsigned long long)rep->new_values);
	ttst_msg_addf(&out, "startup_freed", "%llu", (unsigned long long)rep->startup_freed);
	ttst_msg_addf(&out, "startup_kept", "%llu", (unsigned long long)rep->startup_kept);
	ttst_msg_addf(&out, "unreached", "%llu", (unsigned long long)rep->unreached);
	ttst_msg_addf(&out, "inplace", "%llu", (unsigned long long)rep->inplace);
	ttst_msg_addf(&out, "pinned", "%llu", (unsigned long long)rep->pinned);
	ttst_msg_addf(&out, "pinned_keys", "%llu", (unsigned long long)rep->pinned_keys);
	ttst_msg_addf(&out, "pinned_grown", "%llu", (unsigned long long)rep->pinned_grown);
	ttst_msg_addf(&out, "int_addrs", "%llu", (unsigned long long)rep->int_addrs);
	ttst_msg_addf(&out, "epoll", "%llu", (unsigned long long)rep->epoll);
	ttst_msg_addf(&out, "dropped", "%llu", (unsigned long long)rep->dropped);
	ttst_msg_addf(&out, "added", "%llu", (unsigned long long)rep->added);
	ttst_msg_addf(&out, "seconds_metadata", "%.6f", rep->seconds_metadata);
	ttst_msg_addf(&out, "seconds_transfer", "%.6f", rep->seconds_transfer);
	reply_send();
}

/* ---- P: spawning F and R ------------------------------------------------- */

/* P: F and R, which run with P's credentials, read P's memory, and the
 * quiescence reads P's /proc/self/task files.  A process that changed its
 * credentials (dropped privileges) is not dumpable, and neither is
 * possible then: make it dumpable for the update, and no longer if it
 * rolls back. */
static void allow_reading(void)
{
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0)
		ctl.made_dumpable = 1;
}

static void disallow_reading(void)
{
	if (ctl.made_dumpable)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	ctl.made_dumpable = 0;
}

static void cmd_spawn(int *passed)
{
	static char *argv[TTST_MSG_FIELDS + 1];
	struct stf_spawn sp = {
		.role = ttst_msg_get(&in, "role"),
		.path = ttst_msg_get(&in, "path"),
		.argv = argv,
		.id_base = ttst_msg_u64(&in, "id_base", 0),
		.fault = ttst_msg_get(&in, "fault"),
		.ctl_sock = ctl.sock,
		.ctl_fd = ctl.fd,
		.passed_fd = *passed,
	};
	int argc = 0;
	char err[512];

	if (!stf__root.quiesced) {
		reply_error("spawn needs the program quiesced first");
		return;
	}
	for (int i = 0; i < in.nfields; i++)
		if (strcmp(in.key[i], "arg") == 0)
			argv[argc++] = (char *)in.val[i];
	argv[argc] = NULL;
	pid_t pid = stf__spawn_version(&sp, err, sizeof err);
	*passed = -1;  /* closed by stf__spawn_version, whatever happened */
	if (pid < 0) {
		stf__warm_release();
		reply_error("%s", err);
		return;
	}
	stf__warm_hand_over(pid);
	/* Under Yama ptrace_scope=1 only a declared process may read us: the
	 * latest spawned one (F during the forward transfer, R for the diff).
	 * EINVAL means Yama is absent, which is fine. */
	if (prctl(PR_SET_PTRACER, (unsigned long)pid, 0, 0, 0) < 0 && errno != EINVAL)
		stf__ctl_warn("PR_SET_PTRACER %d: %s", (int)pid, strerror(errno));
	reply_begin(1);
	ttst_msg_addf(&out, "pid", "%d", (int)pid);
	reply_send();
}

/* ---- commands by role --------------------------------------------------- */

static void cmd_quiesce(void)
{
	unsigned ms = (unsigned)ttst_msg_u64(&in, "timeout_ms", 5000);
	double t0 = now();

	if (stf__root.quiesced) {
		reply_error("already quiesced");
		return;
	}
	/* the memory F and R will take, made ready while the program serves
	 * (warm.c): a quarter of the time allowed at most, on top of it (the
	 * threads keep all of it to reach their update points; ttstd waits
	 * for our reply until the update's own time limit, twice as long) */
	uint64_t warmed = stf__warm_before_quiesce(ms / 4 < WARM_MAX_MS ? ms / 4 : WARM_MAX_MS);
	double warm_s = now() - t0;
	allow_reading();
	if (stf__quiesce(ms) < 0) {
		const char *who = stf__quiesce_stragglers();
		stf__warm_release();
		disallow_reading();
		char when[96];
		if (stf__quiesce_gave_up())
			snprintf(when, sizeof when, "(gave up after %.0f ms of the %u ms allowed: the "
				 "threads missing cannot be interrupted)", (now() - t0 - warm_s) * 1000, ms);
		else
			snprintf(when, sizeof when, "within %u ms", ms);
		reply_error("not every thread reached an update point %s; nothing changed "
			    "(does each long-running thread call stf_update_point()?%s%s%s)", when,
			    *who ? " not parked: " : "", who,
			    strstr(who, "futex") ? "; such a wait is not interrupted: use a condition "
			    "variable in instrumented code, or give the wait a timeout and loop to "
			    "an update point" : "");
		return;
	}
	/* F and R get every descriptor through their exec */
	stf__fds_open_for_exec(ctl.fd);
	reply_begin(1);
	ttst_msg_addf(&out, "root", "0x%llx", (unsigned long long)(uintptr_t)&stf__root);
	ttst_msg_addf(&out, "next_id", "%llu", (unsigned long long)stf__root.next_id);
	ttst_msg_addf(&out, "threads", "%llu", (unsigned long long)stf__root.nframes);
	ttst_msg_addf(&out, "seconds", "%.6f", now() - t0);
	/* for ttstd: the pause begins when the last thread parked (until
	 * then a thread still served); the time limits of the transaction
	 * grow with the state (tracked objects, slots ever used: an upper
	 * bound known at once; and the heap's bytes, for few large blocks
	 * whose untyped words are classified one by one) */
	uint64_t heap_start, heap_end;
	stf__spans_extent(&heap_start, &heap_end);
	ttst_msg_addf(&out, "parked_at", "%.6f", stf__quiesce_parked_at());
	ttst_msg_addf(&out, "objects", "%llu", (unsigned long long)stf__objects_bound());
	ttst_msg_addf(&out, "heap_bytes", "%llu", (unsigned long long)(heap_end - heap_start));
	ttst_msg_addf(&out, "warmed_bytes", "%llu", (unsigned long long)warmed);
	ttst_msg_addf(&out, "warm_seconds", "%.6f", warm_s);
	reply_send();
}

static pid_t msg_pid(const char *key)
{
	uint64_t v = ttst_msg_u64(&in, key, 0);

	return v > 0 && v < (1u << 22) ? (pid_t)v : 0;
}

/* F, R: the counterpart named by the command (a worker of the tree learns
 * it only when ttstd has paired it). */
static void set_past(void)
{
	pid_t pid = msg_pid("past_pid");
	uint64_t root = ttst_msg_u64(&in, "past_root", 0);

	stf__pids_clear();
	for (int i = 0; i < in.nfields; i++)
		if (strcmp(in.key[i], "pid") == 0)
			stf__pids_note(in.val[i]);

	if (pid && root) {
		ctl.past_pid = pid;
		ctl.past_root = root;
	}
}

/* F: commit.  The update point returns in the program's thread(s). */
static void cmd_commit(void)
{
	char why[1024];

	if (stf__lib_threads_recheck(why, sizeof why) < 0) {
		reply_error("%s", why);
		return;
	}
	stf__commit_apply();
	stf__set_role(STF_ROLE_NORMAL);
	/* the after-commit hooks, on the program's thread, the others still
	 * parked: the program sees its derived state rebuilt when it runs;
	 * before them, the old version's library threads start again */
	if (stf__commit_have_hooks() || stf__lib_threads_planned()) {
		struct step st = { .kind = STEP_ON_COMMIT };
		step_delegate(&st);
	}
	stf__resume(); /* the threads parked besides the one handing over */
	pthread_mutex_lock(&ctl.lock);
	ctl.role = STF_ROLE_NORMAL;
	ctl.released = 1;
	pthread_cond_broadcast(&ctl.cond);
	pthread_mutex_unlock(&ctl.lock);
	reply_begin(1);
	reply_send();
}

/* passed: a descriptor that came with the command (-1: none), closed
 * by the caller unless a command took it (set to -1). */
static void dispatch(int *passed)
{
	int passed_fd = *passed;
	const char *cmd = ttst_msg_get(&in, "cmd");
	struct stf_xfer_report rep;
	int rc;

	memset(&rep, 0, sizeof rep);
	if (!cmd)
		cmd = "";
	/* what the quiescence made ready goes to F and R as they are spawned
	 * and grow; any other command ends that */
	if (strcmp(cmd, "quiesce") && strcmp(cmd, "spawn"))
		stf__warm_release();
	if (strcmp(cmd, "exit") == 0 && ctl.role != STF_ROLE_FUTURE)
		_exit(0); /* no atexit handlers, no stdio flush: F owns the state */
	if (strcmp(cmd, "retire") == 0 && ctl.role == STF_ROLE_NORMAL && stf__root.quiesced) {
		/* Replaced, kept parked for its sessions: the program never
		 * runs again, so its children are reaped here (no reply). */
		signal(SIGCHLD, SIG_IGN);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		return;
	}

	if (ctl.role == STF_ROLE_NORMAL && strcmp(cmd, "quiesce") == 0) {
		cmd_quiesce();
	} else if (ctl.role == STF_ROLE_NORMAL && strcmp(cmd, "spawn") == 0) {
		cmd_spawn(passed);
	} else if (ctl.role == STF_ROLE_NORMAL && strcmp(cmd, "stderr") == 0) {
		/* what a rolled back F or R wrote to its stderr, which it
		 * captured (fds.h), goes where it would have gone */
		char buf[4096];
		ssize_t n;
		off_t off = 0;

		while (passed_fd >= 0 && (n = pread(passed_fd, buf, sizeof buf, off)) > 0 &&
		       write(2, buf, (size_t)n) == n)
			off += n;
		reply_begin(1);
		reply_send();
	} else if (ctl.role == STF_ROLE_NORMAL && strcmp(cmd, "allow") == 0) {
		/* a worker of the tree: its counterpart in F or R reads it
		 * (Yama ptrace_scope=1; EINVAL = no Yama) */
		pid_t reader = msg_pid("reader");
		if (reader && prctl(PR_SET_PTRACER, (unsigned long)reader, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			stf__ctl_warn("PR_SET_PTRACER %d: %s", (int)reader, strerror(errno));
		reply_begin(1);
		reply_send();
	} else if (ctl.role == STF_ROLE_NORMAL && strcmp(cmd, "resume") == 0) {
		disallow_reading();
		stf__fds_restore();
		if (stf__root.quiesced)
			stf__resume();
		reply_begin(1);
		reply_send();
	} else if (((ctl.role == STF_ROLE_FUTURE && strcmp(cmd, "forward") == 0) ||
		   (ctl.role == STF_ROLE_REVERSED && strcmp(cmd, "serve") == 0)) &&
		   ctl.quiesce_error[0]) {
		snprintf(rep.error, sizeof rep.error, "%s", ctl.quiesce_error);
		reply_report(-1, &rep, 0);
	} else if (ctl.role == STF_ROLE_FUTURE && strcmp(cmd, "forward") == 0) {
		struct step st = { .kind = STEP_FORWARD, .rep = &rep };
		set_past();
		ctl.strict = ttst_msg_u64(&in, "strict", 0) == 1;
		stf__xfer_set_strict(ctl.strict);
		/* a worker's descriptors are its master's, checked there; the
		 * shared memory it mapped after its fork is mapped here */
		rc = stf__tree_parent() ?
		     stf__tree_shared_adopt(ctl.past_pid, rep.error, sizeof rep.error) :
		     stf__fds_check_past(ctl.past_pid, rep.error, sizeof rep.error);
		if (rc == 0)
			rc = step_delegate(&st);
		reply_report(rc, &rep, 0);
	} else if (ctl.role == STF_ROLE_FUTURE && strcmp(cmd, "backward") == 0) {
		pid_t rev = msg_pid("rev_pid");
		if (passed_fd < 0 || !rev) {
			reply_error("backward needs a connection (fd) and rev_pid=");
			return;
		}
		struct step st = { .kind = STEP_BACKWARD, .conn = passed_fd, .peer = rev,
				   .peer_root = ttst_msg_u64(&in, "rev_root", 0), .rep = &rep };
		rc = step_delegate(&st);
		reply_report(rc, &rep, 0);
	} else if (ctl.role == STF_ROLE_FUTURE && strcmp(cmd, "resume") == 0) {
		cmd_commit();
	} else if (ctl.role == STF_ROLE_REVERSED && strcmp(cmd, "serve") == 0) {
		pid_t fut = msg_pid("future_pid");
		if (passed_fd < 0 || !fut) {
			reply_error("serve needs a connection (fd) and future_pid=");
			return;
		}
		/* F writes into us (Yama ptrace_scope=1; EINVAL = no Yama) */
		if (prctl(PR_SET_PTRACER, (unsigned long)fut, 0, 0, 0) < 0 && errno != EINVAL)
			stf__ctl_warn("PR_SET_PTRACER %d: %s", (int)fut, strerror(errno));
		struct step st = { .kind = STEP_SERVE, .conn = passed_fd, .rep = &rep };
		set_past();  /* (its pid map) */
		rc = step_delegate(&st);
		reply_report(rc, &rep, 0);
	} else if (ctl.role == STF_ROLE_REVERSED && strcmp(cmd, "diff") == 0) {
		struct step st = { .kind = STEP_DIFF, .rep = &rep };
		set_past();
		rc = step_delegate(&st);
		reply_report(rc, &rep, 1);
	} else {
		reply_error("command '%s' is unknown or not valid in the %s version", cmd,
			    role_word(ctl.role));
	}
}

/* ---- the thread -------------------------------------------------------------- */

/* F, R, quiesced: start again the threads P started on demand (respawn.h)
 * and wait for them to park too, so that their frames are transferred.
 * Until that wait publishes the frames again, stf__root's are stale; no
 * one reads them meanwhile, and if it fails the transfer is refused. */
static void respawn(void)
{
	struct stf_xfer_report rep;
	struct step st = { .kind = STEP_RESPAWN, .rep = &rep };
	int n;

	memset(&rep, 0, sizeof rep);
	n = step_delegate(&st);
	if (n < 0)
		/* a respawn reason is one sentence: well below the bound */
		snprintf(ctl.quiesce_error, sizeof ctl.quiesce_error, "%s version: %.2500s",
			 role_word(ctl.role), rep.error);
	else if (n > 0 && stf__quiesce_wait(SELF_QUIESCE_MS) < 0)
		snprintf(ctl.quiesce_error, sizeof ctl.quiesce_error,
			 "%s version: not every thread started again for the running version's "
			 "threads (%d) reached an update point within %u ms", role_word(ctl.role),
			 n, SELF_QUIESCE_MS);
}

/* F, R: wait for the program to reach its update point; exit if ttstd goes. */
static void await_update_point(void)
{
	pthread_mutex_lock(&ctl.lock);
	while (!ctl.at_point) {
		struct timespec ts;
		struct pollfd p = { .fd = ctl.fd, .events = POLLRDHUP };

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ctl.cond, &ctl.lock, &ts);
		if (!ctl.at_point && poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			stf__ctl_warn("ttstd went away before the update point: exiting");
			_exit(EXIT_ORPHANED);
		}
	}
	pthread_mutex_unlock(&ctl.lock);
}

static void *ctl_thread(void *arg)
{
	char err[256];
	int passed;

	(void)arg;
	stf__quiesce_exclude_self();
	/* Created with every signal blocked (the program's signals are not
	 * ours), but a fault in this thread - real, or injected with raise() -
	 * must kill the process, not stay pending. */
	sigset_t faults;
	sigemptyset(&faults);
	sigaddset(&faults, SIGSEGV);
	sigaddset(&faults, SIGBUS);
	sigaddset(&faults, SIGILL);
	sigaddset(&faults, SIGFPE);
	sigaddset(&faults, SIGABRT);
	sigaddset(&faults, SIGTRAP);
	sigaddset(&faults, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &faults, NULL);
	if (ctl.role != STF_ROLE_NORMAL) {
		await_update_point();
		/* Every thread's frame is transferred, not only the first
		 * one's: wait for the others to park as well. */
		if (stf__quiesce_wait(SELF_QUIESCE_MS) < 0)
			snprintf(ctl.quiesce_error, sizeof ctl.quiesce_error,
				 "%s version: not every thread reached an update point "
				 "within %u ms", role_word(ctl.role), SELF_QUIESCE_MS);
		else if (!stf__tree_parent()) /* a worker's counterpart is known later */
			respawn();
		stf__xfer_set_frame(NULL);
		ttst_msg_init(&out);
		ttst_msg_add(&out, "event", "ready");
		ttst_msg_addf(&out, "root", "0x%llx", (unsigned long long)(uintptr_t)&stf__root);
		ttst_msg_addf(&out, "next_id", "%llu", (unsigned long long)stf__root.next_id);
		reply_send();
		/* R: the differencing's past side while F transfers forward
		 * (commands wait meanwhile; if it fails, the diff does it) */
		if (ctl.role == STF_ROLE_REVERSED && !ctl.quiesce_error[0] && !stf__tree_parent() &&
		    ctl.past_pid) {
			struct stf_xfer_report rep;
			struct step st = { .kind = STEP_DIFF_PREPARE, .rep = &rep };
			(void)step_delegate(&st);
		}
	}
	for (;;) {
		passed = -1;
		/* P: the memory made ready goes to F and R as they grow (warm.c) */
		for (int ms; (ms = stf__warm_next_ms()) >= 0;) {
			struct pollfd p = { .fd = ctl.fd, .events = POLLIN };
			if (poll(&p, 1, ms) != 0)
				break;
			stf__warm_step();
		}
		int r = still_ours() ? ttst_msg_recv(ctl.fd, &in, &passed, err, sizeof err) : -1;

		if (!still_ours()) {
			/* The program closed our descriptor (daemons closing every
			 * fd do) while we were reading the socket; what we read is
			 * not acted upon (a quiescence nobody could end), and the
			 * number may be the program's now: keep off it. */
			stf__ctl_warn("the program closed the control connection to ttstd: no longer updatable");
			if (passed >= 0)
				close(passed);
			ctl.fd = -1;
			break;
		}
		if (r < 0 && errno == EBADMSG) {
			reply_error("bad command: %s", err);
			continue;
		}
		if (r <= 0)
			break;
		if (ttst_msg_get(&in, "error") && !ttst_msg_get(&in, "cmd")) {
			/* ttstd refused us (e.g. it did not start this pid) */
			stf__ctl_warn("ttstd: %s", ttst_msg_get(&in, "error"));
			continue;
		}
		passed = stf__fd_high(passed);
		dispatch(&passed);
		if (passed >= 0)
			close(passed);
	}
	/* ttstd is gone. */
	if (ctl.role != STF_ROLE_NORMAL) {
		stf__ctl_warn("lost ttstd during an update: exiting");
		_exit(EXIT_ORPHANED);
	}
	stf__warm_release();
	if (stf__root.quiesced) {
		stf__ctl_warn("lost ttstd during an update: resuming the program");
		disallow_reading();
		stf__fds_restore();
		stf__resume();
	}
	if (ctl.fd >= 0)
		stf__own_fd_close(ctl.fd);
	ctl.fd = -1;
	return NULL;
}

/* ---- entry points ---------------------------------------------------------- */

EXPORT void stf__ctl_update_point_reached(const struct stf_parked_frame *frame)
{
	pthread_mutex_lock(&ctl.lock);
	if (ctl.fd < 0 || ctl.role == STF_ROLE_NORMAL) {
		pthread_mutex_unlock(&ctl.lock);
		return;
	}
	(void)frame; /* published by update.c with every other thread's */
	ctl.at_point = 1;
	pthread_cond_broadcast(&ctl.cond);
	while (!ctl.released) {
		struct step *st = ctl.step;
		if (!st) {
			pthread_cond_wait(&ctl.cond, &ctl.lock);
			continue;
		}
		ctl.step = NULL;
		pthread_mutex_unlock(&ctl.lock);
		int rc = step_run(st);
		stf__scratch_release(); /* the program's thread keeps no buffers */
		pthread_mutex_lock(&ctl.lock);
		st->rc = rc;
		st->done = 1;
		pthread_cond_broadcast(&ctl.cond);
	}
	pthread_mutex_unlock(&ctl.lock);
}

void stf__ctl_tree_joined(void)
{
	static const char worker[] = "event=worker";

	/* one datagram, whole: the control thread's replies do not mix in */
	if (ctl.fd >= 0 && send(ctl.fd, worker, sizeof worker - 1, MSG_NOSIGNAL) < 0)
		stf__ctl_warn("cannot tell ttstd this process is a worker now: %s", strerror(errno));
}

static void ctl_atfork_prepare(void)
{
	stf__tree_fork_prepare();
}

/*
 * A child forked by the program (a worker) is a process of its tree
 * (tree.h): it connects to ttstd on its own (the inherited connection is
 * its parent's) with its own control thread, naming its parent and
 * creation order.  In F and R it runs in update mode like its parent.
 */
static void ctl_atfork_child(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ttst_msgbuf hello;
	sigset_t all, old;
	struct stat st;
	pthread_t th;
	int fd, rc;

	if (ctl.fd >= 0)
		stf__own_fd_close(ctl.fd);
	ctl.fd = -1;
	stf__tree_fork_child();
	if (stf__tree_is_internal_fork() || !ctl.sock[0])
		return;
	pthread_mutex_init(&ctl.lock, NULL);
	pthread_cond_init(&ctl.cond, NULL);
	ctl.at_point = 0;
	ctl.step = NULL;
	ctl.quiesce_error[0] = '\0';
	ctl.made_dumpable = 0;
	strcpy(sa.sun_path, ctl.sock);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		goto fail;
	fd = stf__fd_high(fd);
	if (fstat(fd, &st) == 0) {
		ctl.fd_dev = st.st_dev;
		ctl.fd_ino = st.st_ino;
	}
	ttst_msg_init(&hello);
	ttst_msg_add(&hello, "hello", "1");
	ttst_msg_add(&hello, "role", role_word(ctl.role));
	ttst_msg_addf(&hello, "pid", "%d", (int)stf__tree_pid());
	ttst_msg_addf(&hello, "parent", "%d", (int)stf__tree_parent());
	ttst_msg_addf(&hello, "order", "%u", stf__tree_order());
	if (stf__tree_is_session())
		ttst_msg_add(&hello, "session", "1");
	if (ttst_msg_send(fd, &hello, -1) < 0)
		goto fail;
	ctl.fd = fd;
	stf__own_fd_keep(fd);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = stf__own_thread(&th, ctl_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		return;
	ctl.fd = -1;
	errno = rc;
fail:
	stf__ctl_warn("forked child (order %u of pid %d) cannot join ttstd's tree: %s%s",
	     stf__tree_order(), (int)stf__tree_parent(), strerror(errno),
	     ctl.role != STF_ROLE_NORMAL ? "" : "; it is not updated with the program");
	if (fd >= 0)
		stf__own_fd_close(fd);
	if (ctl.role != STF_ROLE_NORMAL)
		_exit(EXIT_ORPHANED);
}

/* F, R: the connection ttstd made for us (STF_CTL_FD), -1 if unusable. */
static int handed_connection(const char *value)
{
	char *end;
	long fd = strtol(value, &end, 10);
	struct stat st;

	if (*end || fd < 0 || fd > INT_MAX || fstat((int)fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		stf__ctl_warn("%s=%s is no socket descriptor: connecting by path", STF_ENV_CTL_FD, value);
		return -1;
	}
	return stf__fd_high((int)fd);  /* ours, not the program's, nor its children's */
}

__attribute__((constructor)) static void ctl_init(void)
{
	const char *sock = getenv(STF_ENV_CTL), *role = getenv(STF_ENV_ROLE);
	const char *past = getenv(STF_ENV_PAST), *handed = getenv(STF_ENV_CTL_FD);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ttst_msgbuf hello;
	sigset_t all, old;
	pthread_t th;
	enum stf_role r = STF_ROLE_NORMAL;
	static char shared_buf[4096];
	const char *shared;
	char err[512];
	int fd;

	if (!sock) {
		if (role)
			stf__ctl_warn("%s is set without %s: not supervised, running normally",
			     STF_ENV_ROLE, STF_ENV_CTL);
		return;
	}
	if (role && strcmp(role, "future") == 0)
		r = STF_ROLE_FUTURE;
	else if (role && strcmp(role, "reversed") == 0)
		r = STF_ROLE_REVERSED;
	else if (role) {
		stf__ctl_warn("unknown %s=%s (expected future or reversed)", STF_ENV_ROLE, role);
		_exit(EXIT_ORPHANED);
	}
	if (r != STF_ROLE_NORMAL) {
		unsigned long long root = 0;
		int pid = 0, used = 0;

		if (!past || sscanf(past, "%d:%llx%n", &pid, &root, &used) != 2 ||
		    past[used] || pid <= 0 || !root) {
			stf__ctl_warn("%s=%s is not <pid>:<root address>", STF_ENV_PAST, past ? past : "");
			_exit(EXIT_ORPHANED);
		}
		ctl.past_pid = pid;
		ctl.past_root = root;
	}
	if (strlen(sock) >= sizeof sa.sun_path) {
		stf__ctl_warn("%s=%s: path too long", STF_ENV_CTL, sock);
		if (r != STF_ROLE_NORMAL)
			_exit(EXIT_ORPHANED);
		return;
	}
	strcpy(sa.sun_path, sock);
	strcpy(ctl.sock, sock);
	if (r == STF_ROLE_FUTURE)
		stf__signals_note(getenv(STF_ENV_SIGNALS));
	fd = r != STF_ROLE_NORMAL && handed ? handed_connection(handed) : -1;
	if (r != STF_ROLE_NORMAL) {
		stf__fds_note(getenv(STF_ENV_FDS), handed ? atoi(handed) : -1);
		stf__own_fds_note_inherited();
		stf__rebind_note();
		stf__update_fd_note(getenv(STF_ENV_UPDATE_FD));
	}
	unsetenv(STF_ENV_UPDATE_FD);
	if (r != STF_ROLE_NORMAL && getenv(STF_ENV_SHARED))
		snprintf(shared_buf, sizeof shared_buf, "%s", getenv(STF_ENV_SHARED));
	shared = shared_buf[0] ? shared_buf : NULL;
	unsetenv(STF_ENV_SHARED);
	unsetenv(STF_ENV_FDS);
	unsetenv(STF_ENV_SIGNALS);
	unsetenv(STF_ENV_CTL);
	unsetenv(STF_ENV_CTL_FD);
	unsetenv(STF_ENV_ROLE);
	unsetenv(STF_ENV_PAST);
	/* read from the initial environment (alloc.c, placement.c) before
	 * this: the program's own environment is then the past version's,
	 * byte for byte (a copy it made is transferred in place, inplace.c) */
	unsetenv(STF_ENV_ID_BASE);
	unsetenv(STF_ENV_AVOID);
	stf__spawn_save_env();

	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	else
		sa.sun_family = AF_UNSPEC;  /* connected already */
	if (fd < 0 || (sa.sun_family == AF_UNIX && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)) {
		stf__ctl_warn("cannot connect to ttstd at %s: %s%s", sa.sun_path, strerror(errno),
		     r == STF_ROLE_NORMAL ? "; running unsupervised" : "");
		if (r != STF_ROLE_NORMAL)
			_exit(EXIT_ORPHANED);
		if (fd >= 0)
			close(fd);
		return;
	}
	fd = stf__fd_high(fd);  /* never 0-2, nor where programs dup2 */
	struct stat st;
	if (fstat(fd, &st) == 0) {
		ctl.fd_dev = st.st_dev;
		ctl.fd_ino = st.st_ino;
	}
	ttst_msg_init(&hello);
	ttst_msg_add(&hello, "hello", "1");
	ttst_msg_add(&hello, "role", role_word(r));
	ttst_msg_addf(&hello, "pid", "%d", (int)getpid());
	int captured = r != STF_ROLE_NORMAL ? stf__stderr_capture() : -1;
	int sent = ttst_msg_send(fd, &hello, captured);
	if (captured >= 0)
		close(captured);  /* ttstd's now; descriptor 2 writes into it */
	if (sent < 0) {
		stf__ctl_warn("cannot greet ttstd: %s", strerror(errno));
		if (r != STF_ROLE_NORMAL)
			_exit(EXIT_ORPHANED);
		close(fd);
		return;
	}
	ctl.fd = fd;
	stf__own_fd_keep(fd);
	ctl.role = r;
	if (shared && stf__tree_shared_map(shared, err, sizeof err) < 0) {
		stf__ctl_warn("%s", err);  /* into the capture: ttstd's reason quotes it */
		_exit(EXIT_ORPHANED);
	}
	if (r != STF_ROLE_NORMAL)
		stf__set_role(r);
	stf__tree_start();
	pthread_atfork(ctl_atfork_prepare, NULL, ctl_atfork_child);
	/* The thread takes no signals: they are the program's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc_thread = stf__own_thread(&th, ctl_thread, NULL);
	if (rc_thread != 0) {
		stf__ctl_warn("cannot start the control thread: %s", strerror(rc_thread));
		if (r != STF_ROLE_NORMAL)
			_exit(EXIT_ORPHANED);
		stf__own_fd_close(fd);
		ctl.fd = -1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
