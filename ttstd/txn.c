/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * txn.c - the update transaction (see ttstd(8) and DESIGN.md): quiesce P,
 * start F, forward transfer, start R, backward transfer, differencing,
 * commit (and the watch after it) or rollback.  Runs as one blocking
 * function that keeps pumping ttstd's event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "binary.h"
#include "ttstd.h"

const char *const phase_name[NPHASES] = {
	"quiescence", "start of the future version", "forward transfer",
	"start of the reversed version", "backward transfer", "state differencing",
	"commit", "rollback",
};
const char *const phase_key[NPHASES] = {
	"t_quiesce", "t_start_future", "t_forward", "t_start_reversed",
	"t_backward", "t_diff", "t_commit", "t_rollback",
};

/* How much longer than its timeout a transaction may take per object of
 * the past version's state: every phase after quiescence (starting F and
 * R, forward and backward transfer, differencing) is linear in the state,
 * and a large state must never roll back for being large.  Some 6 us per
 * object on an idle 2-core machine, 17 us on a loaded one: 40 us. */
#define LIMIT_S_PER_OBJECT 40e-6
/* And per byte of its heap: a few large blocks of untyped memory (a
 * cache's slab pages) are classified word by word, some 60 ns per byte on
 * a loaded 2-core machine (memcached, 60 MB: 4.5-8.3 s): 250 ns. */
#define LIMIT_S_PER_HEAP_BYTE 250e-9

/* The calls of calls.c to F or R, named by their role. */
static void describe_failure(enum role r, enum phase ph, char *buf, size_t len)
{
	char who[64];

	snprintf(who, sizeof who, "%s version", role_name[r]);
	describe_failure_p(&ttstd.proc[r], who, ph, buf, len);
}

static int await(struct txn *t, enum role r, enum phase ph, int want_ready)
{
	char who[64];

	snprintf(who, sizeof who, "%s version", role_name[r]);
	return await_p(t, &ttstd.proc[r], who, ph, want_ready);
}

static int call(struct txn *t, enum role r, enum phase ph, struct ttst_msgbuf *cmd,
		int pass_fd, const char *prefix)
{
	char who[64];

	snprintf(who, sizeof who, "%s version", role_name[r]);
	return call_p(t, &ttstd.proc[r], who, ph, cmd, pass_fd, prefix);
}

/* call(), recording the phase's duration in the report. */
static int timed_call(struct txn *t, enum role r, enum phase ph, struct ttst_msgbuf *cmd,
		      int pass_fd, const char *prefix)
{
	double t1 = now();
	int rc = call(t, r, ph, cmd, pass_fd, prefix);

	ttst_msg_addf(&t->rep, phase_key[ph], "%.6f", now() - t1);
	return rc;
}

static void kill_and_reap(enum role r)
{
	struct proc *p = &ttstd.proc[r];
	double until = now() + EXIT_GRACE_MS / 1e3;

	if (p->pid <= 0)
		return;
	if (!p->exited)
		kill(p->pid, SIGKILL);
	while (!p->exited && now() < until)
		pump(20);
	proc_reset(p);
}

/*
 * The control connection of a new F or R: a socketpair whose other end P
 * passes on to it, rather than a connection to our program socket.  A
 * program that dropped privileges (setuid to nobody) or entered a chroot
 * after it started spawns F and R that could not reach the socket.  -1
 * (and the connection by path instead) if there is no room.
 */
static int handed_connection(enum role r, int *theirs)
{
	int sv[2], i;

	for (i = MAX_PENDING; i < MAX_PENDING + MAX_HANDED && ttstd.pending[i].fd >= 0; i++)
		;
	if (i == MAX_PENDING + MAX_HANDED ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	ttstd.pending[i] = (struct pending){ .fd = sv[0], .role = r, .since = now(), .handed = 1,
					 .stderr_fd = -1 };
	*theirs = sv[1];
	return i;
}

/* Ask P to spawn F or R (its startup runs from here on: spawn_ready
 * waits for its update point). */
static int spawn_start(struct txn *t, enum role r, const char *path, char *const *argv,
		       const char *fault, uint64_t id_base)
{
	struct ttst_msgbuf cmd;
	enum phase ph = r == FUTURE ? PH_START_FUTURE : PH_START_REVERSED;
	int theirs = -1, handed = handed_connection(r, &theirs);
	int rc;

	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "spawn");
	ttst_msg_add(&cmd, "role", role_name[r]);
	if (path)
		ttst_msg_add(&cmd, "path", path);
	for (int i = 0; argv[i]; i++)
		ttst_msg_add(&cmd, "arg", argv[i]);
	if (fault)
		ttst_msg_add(&cmd, "fault", fault);
	if (id_base)
		ttst_msg_addf(&cmd, "id_base", "%llu", (unsigned long long)id_base);
	rc = call(t, PAST, ph, &cmd, theirs, NULL);
	if (theirs >= 0)
		close(theirs);
	if (rc < 0) {
		if (handed >= 0)
			close_pending(&ttstd.pending[handed]);
		return -1;
	}
	proc_set_pid(r, (pid_t)ttst_msg_u64(&ttstd.proc[PAST].reply, "pid", 0));
	if (handed >= 0)  /* now we know who holds the other end */
		ttstd.pending[handed].pid = ttstd.proc[r].pid;
	if (ttstd.proc[r].pid <= 0) {
		snprintf(t->reason, sizeof t->reason, "past version reported no pid for the %s version",
			 role_name[r]);
		return -1;
	}
	match_pending();
	ttst_msg_addf(&t->rep, role_name[r], "%d", (int)ttstd.proc[r].pid);
	return 0;
}

/* Wait for the F or R spawned to reach its update point; the phase's
 * time in the report is counted from since. */
static int spawn_ready(struct txn *t, enum role r, double since)
{
	enum phase ph = r == FUTURE ? PH_START_FUTURE : PH_START_REVERSED;

	if (await(t, r, ph, 1) < 0 || tree_await(t, r, ph) < 0)
		return -1;
	ttst_msg_addf(&t->rep, phase_key[ph], "%.6f", now() - since);
	return 0;
}

static int spawn(struct txn *t, enum role r, const char *path, char *const *argv,
		 const char *fault, uint64_t id_base)
{
	double t1 = now();

	return spawn_start(t, r, path, argv, fault, id_base) < 0 ? -1 : spawn_ready(t, r, t1);
}

/*
 * Whether R may start while F still reads P (the forward transfer): only
 * one process may read P under Yama's ptrace_scope 1 (P declares the one
 * it spawned last), and a process tree pairs its workers as they connect,
 * one version at a time.
 */
static int reversed_overlaps_forward(void)
{
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int scope = 0;

	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = 1;
		fclose(f);
	}
	return scope == 0 && !tree_count(PAST) && !tree_sessions();
}

/*
 * Forward, start R, backward, diff.  0 when every check passed.  R's
 * startup (exec, its program's startup, up to its update point) runs
 * while F transfers, on another core, when it may (see
 * reversed_overlaps_forward): the report's start of the reversed version
 * is then only what the pause waited for it after the forward transfer.
 */
static int transfer_and_validate(struct txn *t, const char *new_path, char *const *new_argv,
				 const char *fault, uint64_t id_base)
{
	struct proc *P = &ttstd.proc[PAST], *F = &ttstd.proc[FUTURE], *R = &ttstd.proc[REVERSED];
	struct ttst_msgbuf cmd;
	double tb;
	int sv[2], overlap = reversed_overlaps_forward();

	tb = now();
	if (overlap) {
		/* whether F's startup forked processes P's tree lacks is
		 * checked after the forward transfer (tree_await) */
		if (spawn_start(t, FUTURE, new_path, new_argv, fault, id_base) < 0 ||
		    await(t, FUTURE, PH_START_FUTURE, 1) < 0)
			return -1;
		ttst_msg_addf(&t->rep, phase_key[PH_START_FUTURE], "%.6f", now() - tb);
	} else if (spawn(t, FUTURE, new_path, new_argv, fault, id_base) < 0) {
		return -1;
	}
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "forward");
	if (t->strict)
		ttst_msg_add(&cmd, "strict", "1");
	ttst_msg_addf(&cmd, "past_pid", "%d", (int)P->pid);
	ttst_msg_addf(&cmd, "past_root", "0x%llx", (unsigned long long)P->root);
	tree_pids(&cmd, FUTURE); /* a single process: its own pid */
	tb = now();
	if (overlap) {
		/* P's spawn first: F checks P's descriptors, which the spawn
		 * uses for a moment */
		if (spawn_start(t, REVERSED, NULL, ttstd.argv, fault, id_base) < 0 ||
		    send_p(t, F, "future version", PH_FORWARD, &cmd, -1) < 0 ||
		    reply_p(t, F, "future version", PH_FORWARD, "fwd_") < 0)
			return -1;
		ttst_msg_addf(&t->rep, phase_key[PH_FORWARD], "%.6f", now() - tb);
		if (tree_await(t, FUTURE, PH_START_FUTURE) < 0 || spawn_ready(t, REVERSED, now()) < 0)
			return -1;
	} else {
		if (call(t, FUTURE, PH_FORWARD, &cmd, -1, "fwd_") < 0 || tree_forward(t) < 0)
			return -1;
		ttst_msg_addf(&t->rep, phase_key[PH_FORWARD], "%.6f", now() - tb);
		if (spawn(t, REVERSED, NULL, ttstd.argv, fault, id_base) < 0)
			return -1;
	}
	/* F and R talk over a socket pair of their own. */
	tb = now();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(t->reason, sizeof t->reason, "socketpair: %s", strerror(errno));
		return -1;
	}
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "serve");
	ttst_msg_addf(&cmd, "future_pid", "%d", (int)F->pid);
	tree_pids(&cmd, FUTURE);
	R->has_reply = 0;
	if (R->fd < 0 || ttst_msg_send(R->fd, &cmd, sv[1]) < 0) {
		close(sv[0]);
		close(sv[1]);
		describe_failure(REVERSED, PH_BACKWARD, t->reason, sizeof t->reason);
		return -1;
	}
	close(sv[1]);
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "backward");
	ttst_msg_addf(&cmd, "rev_pid", "%d", (int)R->pid);
	ttst_msg_addf(&cmd, "rev_root", "0x%llx", (unsigned long long)R->root);
	if (call(t, FUTURE, PH_BACKWARD, &cmd, sv[0], "bwd_") < 0) {
		double until = now() + 0.2;

		close(sv[0]);
		/* F's error is likely a consequence of R dying: name the cause. */
		while (!R->exited && now() < until)
			pump(20);
		if (R->exited)
			describe_failure(REVERSED, PH_BACKWARD, t->reason, sizeof t->reason);
		return -1;
	}
	close(sv[0]);
	/* R's reply to serve: it knows whether it received everything. */
	if (await(t, REVERSED, PH_BACKWARD, 0) < 0)
		return -1;
	R->has_reply = 0;
	if (ttst_msg_u64(&R->reply, "ok", 0) != 1) {
		const char *err = ttst_msg_get(&R->reply, "error");
		snprintf(t->reason, sizeof t->reason, "backward transfer failed in the reversed version: %s",
			 err ? err : "(no reason given)");
		return -1;
	}
	ttst_msg_addf(&t->rep, phase_key[PH_BACKWARD], "%.6f", now() - tb);
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "diff");
	ttst_msg_addf(&cmd, "past_pid", "%d", (int)P->pid);
	ttst_msg_addf(&cmd, "past_root", "0x%llx", (unsigned long long)P->root);
	if (timed_call(t, REVERSED, PH_DIFF, &cmd, -1, "diff_") < 0)
		return -1;
	/* the rest of the trees, pair by pair */
	tb = now();
	if (tree_backward_and_diff(t) < 0)
		return -1;
	if (tree_count(PAST))
		ttst_msg_addf(&t->rep, "t_tree_validate", "%.6f", now() - tb);
	return 0;
}

static void free_argv(char **argv)
{
	for (int i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static void send_simple(enum role r, const char *cmdname)
{
	struct ttst_msgbuf cmd;

	if (ttstd.proc[r].fd < 0)
		return;
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", cmdname);
	(void)ttst_msg_send(ttstd.proc[r].fd, &cmd, -1);
}

/* With a watch (`watch` > 0), P is kept frozen as WATCHED, with its argv. */
static int commit(struct txn *t, const char *new_path, char **new_argv, unsigned watch)
{
	struct ttst_msgbuf cmd;
	pid_t old = ttstd.proc[PAST].pid;
	double t1 = now();

	/* F first: until it confirms, P can still be resumed. */
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "resume");
	t->deadline = now() + 5;
	if (call(t, FUTURE, PH_COMMIT, &cmd, -1, NULL) < 0)
		return -1;
	tree_commit(t, new_path);
	t->thawed = now();
	send_simple(REVERSED, "exit");
	proc_reset(&ttstd.proc[REVERSED]);
	if (watch) {
		ttstd.proc[WATCHED] = ttstd.proc[PAST];
		ttstd.watched_argv = ttstd.argv;
		ttstd.argv = NULL;
		memcpy(ttstd.watched_binary, ttstd.binary, sizeof ttstd.binary);
		ttstd.watched_started = ttstd.version_started;
	} else {
		send_simple(PAST, "exit");
		proc_reset(&ttstd.proc[PAST]);
	}
	ttstd.proc[PAST] = ttstd.proc[FUTURE];
	ttstd.proc[PAST].ready = 0;
	if (ttstd.proc[PAST].stderr_fd >= 0)
		close(ttstd.proc[PAST].stderr_fd); /* F released it to its stderr */
	ttstd.proc[PAST].stderr_fd = -1;
	memset(&ttstd.proc[FUTURE], 0, sizeof ttstd.proc[FUTURE]);
	ttstd.proc[FUTURE].fd = ttstd.proc[FUTURE].stderr_fd = -1;
	free_argv(ttstd.argv);
	ttstd.argv = new_argv;
	snprintf(ttstd.binary, sizeof ttstd.binary, "%s", new_path);
	ttstd.version_started = time(NULL);
	logmsg("program is now pid %d (was %d): %s", (int)ttstd.proc[PAST].pid, (int)old, ttstd.binary);
	ttst_msg_addf(&t->rep, "t_commit", "%.6f", now() - t1);
	return 0;
}

/*
 * After a commit with a watch: P stays frozen while F serves.  If F dies
 * within `seconds`, P serves again (what F did meanwhile is lost: see
 * ttst-ctl(1)) and the transaction is "reverted": -1 with the reason.
 * Otherwise P exits: 0.
 */
static int watch(struct txn *t, unsigned seconds)
{
	struct proc *F = &ttstd.proc[PAST], *P = &ttstd.proc[WATCHED];
	double start = now(), until = start + seconds;
	struct ttst_msgbuf cmd;
	char how[128], saved[sizeof t->reason];
	pid_t fpid = F->pid;

	ttstd.watching = 1;
	logmsg("watching pid %d for %u s; pid %d stays frozen meanwhile", (int)F->pid, seconds,
	       (int)P->pid);
	while (now() < until && !F->exited && !P->exited && !ttstd.term_signal)
		pump(until - now() > 0.2 ? 200 : (int)((until - now()) * 1000) + 1);
	ttstd.watching = 0;
	ttst_msg_addf(&t->rep, "t_watch", "%.6f", now() - start);
	if (!F->exited || P->exited) {
		if (P->exited)
			logmsg("WARNING: the watched past version pid %d died during the watch",
			       (int)P->pid);
		send_simple(WATCHED, "exit");
		for (double gone = now() + EXIT_GRACE_MS / 1e3; !P->exited && now() < gone;)
			pump(20);
		kill_and_reap(WATCHED);
		free_argv(ttstd.watched_argv);
		ttstd.watched_argv = NULL;
		return 0;
	}
	describe_status(F->status, how, sizeof how);
	snprintf(t->reason, sizeof t->reason, "the new version (pid %d) %s %.1f s after the "
		 "commit, within the %u s watch: the past version pid %d serves again (what the "
		 "new version did meanwhile is lost)", (int)fpid, how, now() - start, seconds,
		 (int)P->pid);
	memcpy(saved, t->reason, sizeof saved);
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "resume");
	t->deadline = now() + 5;
	if (call(t, WATCHED, PH_ROLLBACK, &cmd, -1, NULL) < 0)
		logmsg("WARNING: the past version did not confirm it resumed: %s", t->reason);
	memcpy(t->reason, saved, sizeof saved);
	proc_reset(F);
	ttstd.proc[PAST] = *P;
	memset(P, 0, sizeof *P);
	P->fd = P->stderr_fd = -1;
	free_argv(ttstd.argv);
	ttstd.argv = ttstd.watched_argv;
	ttstd.watched_argv = NULL;
	memcpy(ttstd.binary, ttstd.watched_binary, sizeof ttstd.binary);
	ttstd.version_started = ttstd.watched_started;
	logmsg("program is pid %d again (pid %d died during the watch): %s", (int)ttstd.proc[PAST].pid,
	       (int)fpid, ttstd.binary);
	return -1;
}

/* Does process pid hold an epoll instance?  Its descriptor in `fd` if so.
 * F re-points the registrations of the instances it shares with P at the
 * commit: P could not serve again after a watch. */
static int holds_epoll(pid_t pid, int *fd)
{
	char path[64], target[64];

	for (int i = 0; i < 4096; i++) {
		snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, i);
		ssize_t n = readlink(path, target, sizeof target - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "anon_inode:[eventpoll]") == 0) {
			*fd = i;
			return 1;
		}
	}
	return 0;
}

/*
 * What F or R wrote to its stderr (its capture, see libstf/fds.h) after a
 * rollback: P appends it to its own stderr, where it would have gone had
 * it not been captured (after a commit F puts it there itself); into our
 * log if P cannot.  Takes the capture descriptor.
 */
static void hand_captured_stderr(struct txn *t, enum role r, pid_t pid, int cap)
{
	struct ttst_msgbuf cmd;
	char buf[4096], saved[sizeof t->reason];
	struct stat st;
	off_t off = 0;
	ssize_t n;

	if (cap <= 0)
		return;
	if (fstat(cap, &st) == 0 && st.st_size > 0) {
		ttst_msg_init(&cmd);
		ttst_msg_add(&cmd, "cmd", "stderr");
		t->deadline = now() + 2;
		memcpy(saved, t->reason, sizeof saved);
		if (call(t, PAST, PH_ROLLBACK, &cmd, cap, NULL) < 0) {
			logmsg("the %s version (pid %d) wrote to its stderr:", role_name[r], (int)pid);
			while ((n = pread(cap, buf, sizeof buf, off)) > 0) {
				fwrite(buf, 1, (size_t)n, ttstd.log);
				off += n;
			}
			fflush(ttstd.log);
		}
		memcpy(t->reason, saved, sizeof saved);
	}
	close(cap);
}

/* P first (F and R never serve before a commit, so they can be killed
 * after P serves again), then F and R. */
static void rollback(struct txn *t, int quiesced)
{
	struct ttst_msgbuf cmd;
	char saved[sizeof t->reason];
	double t1 = now();

	if (quiesced) {
		ttst_msg_init(&cmd);
		ttst_msg_add(&cmd, "cmd", "resume");
		t->deadline = now() + 5;
		memcpy(saved, t->reason, sizeof saved);
		if (call(t, PAST, PH_ROLLBACK, &cmd, -1, NULL) < 0)
			logmsg("WARNING: the past version did not confirm it resumed: %s", t->reason);
		memcpy(t->reason, saved, sizeof saved);
		t->thawed = now();
	}
	tree_rollback(t);
	for (enum role r = FUTURE; r <= REVERSED; r++) {
		struct proc *p = &ttstd.proc[r];
		pid_t pid = p->pid;
		int cap = p->stderr_fd;

		p->stderr_fd = -1;
		kill_and_reap(r);  /* first: no more writes to the capture */
		if (quiesced)
			hand_captured_stderr(t, r, pid, cap);
		else if (cap > 0)
			close(cap);
	}
	ttst_msg_addf(&t->rep, "t_rollback", "%.6f", now() - t1);
}

static char **copy_argv(const char *argv0, const struct ttst_msg *req, char *const *def)
{
	int n = 1, i;
	char **v;

	for (i = 0; i < req->nfields; i++)
		n += strcmp(req->key[i], "arg") == 0;
	if (n == 1 && !ttst_msg_get(req, "no_args"))
		for (i = 1; def[i]; i++)
			n++;
	v = calloc((size_t)n + 1, sizeof *v);
	if (!v)
		return NULL;
	v[0] = strdup(argv0);
	n = 1;
	for (i = 0; i < req->nfields; i++)
		if (strcmp(req->key[i], "arg") == 0)
			v[n++] = strdup(req->val[i]);
	if (n == 1 && !ttst_msg_get(req, "no_args"))
		for (i = 1; def[i]; i++)
			v[n++] = strdup(def[i]);
	for (i = 0; i < n; i++)
		if (!v[i])
			return NULL; /* out of memory: ttstd exits soon anyway */
	return v;
}

/*
 * P is quiesced: the pause begins when its last thread parked (P says
 * when, on the same monotonic clock), not when we asked - a thread that
 * served on until its update point was not paused meanwhile.  The time
 * limit grows with P's state (its reply counts the tracked objects).  A
 * client that asked for progress learns the new limit, so it waits as
 * long as we may take.
 */
static void quiesced_limits(struct txn *t, int cfd, int progress)
{
	const struct ttst_msg *r = &ttstd.proc[PAST].reply;
	const char *at = ttst_msg_get(r, "parked_at");
	uint64_t objects = ttst_msg_u64(r, "objects", 0);
	uint64_t heap_bytes = ttst_msg_u64(r, "heap_bytes", 0);
	double parked = at ? strtod(at, NULL) : 0, settle = 0;

	if (parked >= t->frozen && parked <= now()) {
		settle = parked - t->frozen;
		t->frozen = parked;
	}
	ttst_msg_addf(&t->rep, "t_settle", "%.6f", settle);
	/* of which P made F's and R's memory ready (warm.c), still serving */
	ttst_msg_add(&t->rep, "t_warm", ttst_msg_get(r, "warm_seconds") ?
		     ttst_msg_get(r, "warm_seconds") : "0");
	ttst_msg_addf(&t->rep, "state_warmed_bytes", "%llu",
		      (unsigned long long)ttst_msg_u64(r, "warmed_bytes", 0));
	ttst_msg_addf(&t->rep, "state_objects", "%llu", (unsigned long long)objects);
	ttst_msg_addf(&t->rep, "state_heap_bytes", "%llu", (unsigned long long)heap_bytes);
	/* at most ~40 min more each, whatever P says */
	if (objects > 100000000)
		objects = 100000000;
	if (heap_bytes > (uint64_t)10 << 30)
		heap_bytes = (uint64_t)10 << 30;
	t->deadline += (double)objects * LIMIT_S_PER_OBJECT +
		       (double)heap_bytes * LIMIT_S_PER_HEAP_BYTE;
	ttst_msg_addf(&t->rep, "limit", "%.1f", t->deadline - t->t0);
	if (progress && !ttstd.txn_client_gone) {
		struct ttst_msgbuf m;

		ttst_msg_init(&m);
		ttst_msg_add(&m, "ok", "1");
		ttst_msg_add(&m, "progress", "quiesced");
		ttst_msg_addf(&m, "limit_left", "%llu",
			      (unsigned long long)(t->deadline - now()) + 1);
		(void)ttst_msg_send(cfd, &m, -1);
	}
}

void run_update(int cfd, const struct ttst_msg *req)
{
	struct txn t = { 0 };
	const char *new_path = ttst_msg_get(req, "new");
	const char *fault = ttst_msg_get(req, "fault");
	unsigned timeout = (unsigned)ttst_msg_u64(req, "timeout", ttstd.timeout_s);
	unsigned watch_s = (unsigned)ttst_msg_u64(req, "watch", 0);
	int epfd, reverted = 0;
	char **new_argv;
	struct ttst_msgbuf cmd;
	int ok, quiesced = 0, committed = 0;
	unsigned id;
	char why[512];
	char when[32];
	time_t wall = time(NULL);
	struct tm tm;

	if (!new_path || new_path[0] != '/') {
		reply_error(cfd, "update needs new=<absolute path of the new binary>");
		return;
	}
	if (access(new_path, X_OK) < 0) {
		reply_error(cfd, "cannot execute %s: %s", new_path, strerror(errno));
		return;
	}
	if (fault && !ttst_fault_ok(fault)) {
		reply_error(cfd, "unknown fault '%s': use %s", fault, TTST_FAULT_HELP);
		return;
	}
	if (timeout == 0 || timeout > 3600 ||
	    (ttst_msg_get(req, "timeout") && !ttst_msg_u64(req, "timeout", 0))) {
		reply_error(cfd, "timeout must be 1..3600 seconds");
		return;
	}
	/* A garbled dry_run or strict must not turn into another update. */
	if (ttst_msg_get(req, "strict") && strcmp(ttst_msg_get(req, "strict"), "0") &&
	    strcmp(ttst_msg_get(req, "strict"), "1")) {
		reply_error(cfd, "strict must be 0 or 1");
		return;
	}
	if (ttst_msg_get(req, "dry_run") && strcmp(ttst_msg_get(req, "dry_run"), "0") &&
	    strcmp(ttst_msg_get(req, "dry_run"), "1")) {
		reply_error(cfd, "dry_run must be 0 or 1");
		return;
	}
	if ((ttst_msg_get(req, "watch") && !ttst_msg_u64(req, "watch", 0)) || watch_s > 3600) {
		reply_error(cfd, "watch must be 1..3600 seconds");
		return;
	}
	if (watch_s && ttst_msg_u64(req, "dry_run", 0) == 1) {
		reply_error(cfd, "a dry run commits nothing to watch: use either watch or dry_run");
		return;
	}
	if (watch_s && (tree_count(PAST) || tree_sessions())) {
		reply_error(cfd, "cannot watch a process tree (pid %d has %d child processes under "
			    "ttstd): update without a watch", (int)ttstd.proc[PAST].pid,
			    tree_count(PAST) + tree_sessions());
		return;
	}
	if (watch_s && holds_epoll(ttstd.proc[PAST].pid, &epfd)) {
		reply_error(cfd, "cannot watch pid %d: it holds an epoll instance (descriptor %d), "
			    "whose registrations the new version re-points at the commit, so it "
			    "could not serve again; update without a watch", (int)ttstd.proc[PAST].pid, epfd);
		return;
	}
	if (ttstd.proc[PAST].fd < 0) {
		if (ttstd.proc[PAST].hung_up)
			reply_error(cfd, "program pid %d closed its control connection to ttstd "
				    "(does it close every descriptor at start?): it cannot be updated",
				    (int)ttstd.proc[PAST].pid);
		else if (ttstd_check_binary(ttstd.binary, why, sizeof why) == 0)
			reply_error(cfd, "program pid %d has not connected to ttstd yet (it is "
				    "starting): retry in a moment", (int)ttstd.proc[PAST].pid);
		else
			reply_error(cfd, "program pid %d is not connected to ttstd: %s",
				    (int)ttstd.proc[PAST].pid, why);
		return;
	}
	if (ttstd_check_binary(new_path, why, sizeof why) < 0) {
		reply_error(cfd, "%s", why);
		return;
	}
	new_argv = copy_argv(new_path, req, ttstd.argv);
	if (!new_argv) {
		reply_error(cfd, "out of memory");
		return;
	}
	ttstd.in_txn = 1;
	ttstd.txn_client = cfd;
	ttstd.txn_client_gone = 0;
	id = ttstd.ntxn + 1; /* recorded when over: history shows finished ones */
	t.dry_run = ttst_msg_u64(req, "dry_run", 0) == 1;
	t.strict = ttst_msg_u64(req, "strict", 0) == 1;
	t.t0 = now();
	t.deadline = t.t0 + timeout;
	ttst_msg_init(&t.rep);
	ttst_msg_add(&t.rep, "ok", "1");
	ttst_msg_addf(&t.rep, "id", "%u", id);
	gmtime_r(&wall, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	ttst_msg_add(&t.rep, "when", when);
	ttst_msg_add(&t.rep, "old", ttstd.binary);
	ttst_msg_add(&t.rep, "new", new_path);
	ttst_msg_addf(&t.rep, "past", "%d", (int)ttstd.proc[PAST].pid);
	if (t.dry_run)
		ttst_msg_add(&t.rep, "dry_run", "1");
	if (t.strict)
		ttst_msg_add(&t.rep, "strict", "1");
	if (fault)
		ttst_msg_add(&t.rep, "fault", fault);
	logmsg("update #%u: %s -> %s%s%s%s", id, ttstd.binary, new_path, t.dry_run ? " (dry run)" : "",
	       fault ? " fault=" : "", fault ? fault : "");

	/* 1. quiesce P, bounded by the remaining time */
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "quiesce");
	ttst_msg_addf(&cmd, "timeout_ms", "%u", timeout * 1000 / 2);
	t.frozen = now();
	ok = timed_call(&t, PAST, PH_QUIESCE, &cmd, -1, NULL) == 0;
	if (ok) {
		uint64_t id_base = 0;

		quiesced = 1;
		ttstd.proc[PAST].root = ttst_msg_u64(&ttstd.proc[PAST].reply, "root", 0);
		quiesced_limits(&t, cfd, ttst_msg_u64(req, "progress", 0) == 1);
		ok = tree_quiesce(&t, timeout * 1000 / 2, &id_base) == 0 &&
		     transfer_and_validate(&t, new_path, new_argv, fault, id_base) == 0;
		t.validated = now();
	}
	if (ok && t.dry_run) {
		/* what a real update would cost: the commit itself is a message
		 * and a few system calls in F */
		ttst_msg_addf(&t.rep, "t_pause_estimate", "%.6f", t.validated - t.frozen);
		snprintf(t.reason, sizeof t.reason, "dry run: every check passed, nothing changed");
	} else if (ok) {
		ok = commit(&t, new_path, new_argv, watch_s) == 0;
		committed = ok;
		if (ok && watch_s) {
			ttst_msg_addf(&t.rep, "watch", "%u", watch_s);
			reverted = watch(&t, watch_s) < 0;
		}
	}
	if (!committed)
		rollback(&t, quiesced);
	else
		new_argv = NULL; /* now ttstd.argv */
	if (new_argv) {
		for (int i = 0; new_argv[i]; i++)
			free(new_argv[i]);
		free(new_argv);
	}
	/* stale pending connections from F or R, and those made for an F or
	 * R that died before its hello (they would hold F's and R's slots) */
	for (int i = 0; i < MAX_PENDING + MAX_HANDED; i++)
		if (ttstd.pending[i].fd >= 0 && (ttstd.pending[i].said_hello || ttstd.pending[i].handed))
			close_pending(&ttstd.pending[i]);

	if (fault && !ok) {
		/* the fault injected on request is the cause, whatever it broke */
		char cause[sizeof t.reason];

		snprintf(cause, sizeof cause, "injected fault %.40s: %.8100s", fault, t.reason);
		memcpy(t.reason, cause, sizeof t.reason);
	}
	ttst_msg_add(&t.rep, "outcome", reverted ? "reverted" : committed ? "committed" :
		     ok ? "validated" : "rolled-back");
	if (!committed || reverted)
		ttst_msg_add(&t.rep, "reason", t.reason);
	if (quiesced && t.thawed > 0)
		ttst_msg_addf(&t.rep, "t_downtime", "%.6f", t.thawed - t.frozen);
	ttst_msg_addf(&t.rep, "t_total", "%.6f", now() - t.t0);
	if (t.rep.overflow) {
		ttst_msg_init(&t.rep);
		ttst_msg_add(&t.rep, "ok", "1");
		ttst_msg_addf(&t.rep, "id", "%u", id);
		ttst_msg_add(&t.rep, "outcome", reverted ? "reverted" : committed ? "committed" :
			     ok ? "validated" : "rolled-back");
		ttst_msg_add(&t.rep, "reason", "report too large to send");
	}
	logmsg("update #%u: %s in %.1f ms (program paused %.1f ms)%s%s", id,
	       reverted ? "committed, then reverted" : committed ? "committed" :
	       ok ? "validated (dry run), rolled back" : "rolled back",
	       (now() - t.t0) * 1e3, quiesced && t.thawed > 0 ? (t.thawed - t.frozen) * 1e3 : 0.0,
	       committed && !reverted ? "" : ": ", committed && !reverted ? "" : t.reason);
	ttstd.history[ttstd.ntxn % HISTORY] = t.rep;
	ttstd.ntxn++;
	if (ttstd.txn_client_gone)
		close(cfd);
	else
		(void)ttst_msg_send(cfd, &t.rep, -1);
	ttstd.in_txn = 0;
	tree_txn_over();
}
