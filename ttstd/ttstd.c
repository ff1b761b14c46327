/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ttstd - supervisor of a live-updatable program.  See ttstd(8).
 *
 * ttstd is the reliable computing base of an update: it runs no transfer
 * code and keeps no program state.  It starts the program, owns the
 * control sockets, and orchestrates each update transaction between the
 * processes taking part in it, whose libstf control threads (libstf/ctl.c)
 * do the work:
 *
 *   P  past      the running version: quiesced, spawns F and R, resumes or
 *                exits at the end
 *   F  future    fork of P + exec of the new binary: forward transfer P->F,
 *                then backward transfer F->R; becomes the program on commit
 *   R  reversed  fork of P + exec of P's binary: receives the backward
 *                transfer and compares itself with P
 *
 * Single-threaded and event-driven: one poll loop over a signalfd, the two
 * listening sockets and the connections.  A transaction runs as a blocking
 * function that keeps pumping the same loop, so status requests are served
 * and crashes noticed while it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "binary.h"
#include "journal.h"
#include "proto.h"

#define MAX_CLIENTS   16
#define MAX_PENDING   8
#define HISTORY       32
#define MAX_REAPED    16
#define HELLO_WAIT_S  10   /* an unidentified connection must say hello by then */
#define EXIT_GRACE_MS 1000 /* wait for a dying process to be reaped */

enum role { PAST, FUTURE, REVERSED, NROLES };
static const char *const role_name[NROLES] = { "past", "future", "reversed" };

/* A process taking part in the supervision: the program (PAST), and F and R
 * during a transaction. */
struct proc {
	pid_t pid;          /* 0: none */
	int fd;             /* its control connection, -1 if not connected */
	int hung_up;        /* it closed the control connection */
	int exited;         /* reaped; `status` is valid */
	int status;
	int ready;          /* F/R: reached its update point */
	uint64_t root;      /* address of its struct stf_root */
	int has_reply;
	struct ttst_msg reply;
};

/* A program connection that has not been matched to a process yet: F and R
 * may say hello before P has told us their pid. */
struct pending {
	int fd;
	pid_t pid;
	enum role role;
	int said_hello;
	double since;
	int handed;  /* our end of a socketpair handed to F or R through P */
};

static struct {
	char name[65];
	char sock[PATH_MAX];
	char prog_sock[PATH_MAX + sizeof TTST_PROG_SUFFIX];
	FILE *log;
	unsigned timeout_s;
	int client_lfd, prog_lfd, sigfd;
	struct proc proc[NROLES];
	char **argv;      /* the running version's argv (argv[0] = binary) */
	char binary[PATH_MAX];
	time_t version_started, ttstd_started;
	int clients[MAX_CLIENTS];
	struct pending pending[MAX_PENDING];
	int in_txn;
	int txn_client;      /* the client waiting for the running update */
	int txn_client_gone; /* ... has hung up; close its fd at the end */
	int term_signal;  /* termination signal to forward once idle */
	unsigned ntxn;
	struct ttst_msgbuf history[HISTORY];
	/* Exit statuses of children we did not know yet: F or R may die before
	 * P has told us their pid. */
	struct { pid_t pid; int status; } reaped[MAX_REAPED];
	unsigned nreaped;
} d;

/* ---- small helpers --------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	char when[32], msg[4096], status[4200];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(status, sizeof status, "STATUS=%s", msg);
	journal_notify(status);
	if (journal_log(d.log, d.name, msg))
		return;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(d.log, "%s ttstd[%s]: %s\n", when, d.name, msg);
	fflush(d.log);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ttstd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(125);
}

/* "exited with status 3" / "killed by SIGSEGV" */
static void describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by SIG%s%s",
			 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?",
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "ended with wait status 0x%x", status);
}

static void reply_error(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_error(int fd, const char *fmt, ...)
{
	struct ttst_msgbuf m;
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	ttst_msg_init(&m);
	ttst_msg_add(&m, "ok", "0");
	ttst_msg_add(&m, "error", why);
	(void)ttst_msg_send(fd, &m, -1);
}

/*
 * Close a connection we refuse, after its request: closing a socket with
 * unread data makes the peer's recv fail with ECONNRESET before it can read
 * our error reply.
 */
static void refuse_close(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char sink[256];

	shutdown(fd, SHUT_WR);
	if (poll(&p, 1, 200) > 0)
		while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
			;
	close(fd);
}

static void proc_reset(struct proc *p)
{
	if (p->fd >= 0)
		close(p->fd);
	memset(p, 0, sizeof *p);
	p->fd = -1;
}

/* ---- sockets ----------------------------------------------------------- */

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, probe;
	mode_t old;

	if (strlen(path) >= sizeof sa.sun_path)
		die("socket path %s is too long (at most %zu bytes): use a shorter --socket",
		    path, sizeof sa.sun_path - 1);
	strcpy(sa.sun_path, path);
	/* A socket file that still accepts connections belongs to a live ttstd. */
	probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0)
		die("%s is in use by another ttstd: choose another --name or --socket", path);
	if (probe >= 0)
		close(probe);
	if (unlink(path) < 0 && errno != ENOENT)
		die("cannot remove stale socket %s: %s", path, strerror(errno));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("cannot bind %s: %s", path, strerror(errno));
	umask(old);
	if (chmod(path, 0600) < 0 || listen(fd, 16) < 0)
		die("cannot listen on %s: %s", path, strerror(errno));
	return fd;
}

/* Create the runtime directory 0700, or check an existing one is ours and
 * private (it may be in /tmp). */
static void make_runtime_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		die("cannot create %s: %s (set XDG_RUNTIME_DIR or use --socket)",
		    dir, strerror(errno));
	if (lstat(dir, &st) < 0)
		die("cannot stat %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		die("%s must be a directory owned by uid %u with mode 0700; fix or remove it",
		    dir, (unsigned)geteuid());
}

static int peer_cred(int fd, struct ucred *uc)
{
	socklen_t len = sizeof *uc;

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, uc, &len);
}

static void close_pending(struct pending *pe)
{
	refuse_close(pe->fd);
	pe->fd = -1;
}

/* Attach pending hellos whose pid and role are now expected. */
static void match_pending(void)
{
	for (int i = 0; i < MAX_PENDING; i++) {
		struct pending *pe = &d.pending[i];
		struct proc *p;

		if (pe->fd >= 0 && !pe->said_hello && now() - pe->since > HELLO_WAIT_S) {
			reply_error(pe->fd, "no hello within %d s", HELLO_WAIT_S);
			close_pending(pe);
		}
		if (pe->fd < 0 || !pe->said_hello)
			continue;
		p = &d.proc[pe->role];
		if (p->pid == pe->pid && p->fd < 0 && !p->exited) {
			p->fd = pe->fd;
			pe->fd = -1;
			logmsg("%s version pid %d connected", role_name[pe->role], (int)p->pid);
		} else if (!d.in_txn || now() - pe->since > d.timeout_s) {
			if (pe->role == PAST && p->pid != pe->pid)
				reply_error(pe->fd, "ttstd expects no past process with pid %d: it "
					    "supervises pid %d (a wrapper must exec the program, not fork it)",
					    (int)pe->pid, (int)p->pid);
			else
				reply_error(pe->fd, "ttstd expects no %s process with pid %d",
					    role_name[pe->role], (int)pe->pid);
			logmsg("refused program connection from pid %d claiming role %s",
			       (int)pe->pid, role_name[pe->role]);
			close_pending(pe);
		}
	}
}

static void accept_program(void)
{
	int fd = accept4(d.prog_lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct ucred uc;
	int i;

	if (fd < 0)
		return;
	if (peer_cred(fd, &uc) < 0 || (uc.uid != geteuid() && uc.uid != 0)) {
		reply_error(fd, "permission denied: ttstd serves uid %u only", (unsigned)geteuid());
		refuse_close(fd);
		return;
	}
	for (i = 0; i < MAX_PENDING && d.pending[i].fd >= 0; i++)
		;
	if (i == MAX_PENDING) {
		reply_error(fd, "too many unidentified program connections");
		refuse_close(fd);
		return;
	}
	d.pending[i] = (struct pending){ .fd = fd, .pid = uc.pid, .since = now() };
}

/* The first message on a program connection: `hello role=R`. */
static void pending_readable(struct pending *pe)
{
	struct ttst_msg m;
	char err[256];
	const char *role;
	int r = ttst_msg_recv(pe->fd, &m, NULL, err, sizeof err);

	if (r <= 0) {
		if (r < 0 && errno == EBADMSG)
			reply_error(pe->fd, "%s", err);
		close_pending(pe);
		return;
	}
	role = ttst_msg_get(&m, "role");
	if (!ttst_msg_get(&m, "hello") || !role) {
		reply_error(pe->fd, "the first message must be 'hello=1 role=past|future|reversed'");
		close_pending(pe);
		return;
	}
	for (int i = 0; i < NROLES; i++)
		if (strcmp(role, role_name[i]) == 0 && (!pe->handed || pe->role == (enum role)i)) {
			pe->role = (enum role)i;
			pe->said_hello = 1;
		}
	if (!pe->said_hello && pe->handed) {
		reply_error(pe->fd, "this connection was made for the %s version, not '%s'",
			    role_name[pe->role], role);
		close_pending(pe);
		return;
	}
	if (!pe->said_hello) {
		reply_error(pe->fd, "unknown role '%s' (expected past, future or reversed)", role);
		close_pending(pe);
		return;
	}
	match_pending();
}

/* A message from a connected process: an event or the reply to a command. */
static void proc_readable(enum role r)
{
	struct proc *p = &d.proc[r];
	char err[256];
	int got = ttst_msg_recv(p->fd, &p->reply, NULL, err, sizeof err);

	if (got < 0 && errno == EBADMSG) {
		logmsg("%s version pid %d sent a bad message: %s", role_name[r], (int)p->pid, err);
		return;
	}
	if (got <= 0) {
		close(p->fd);
		p->fd = -1;
		p->hung_up = 1;
		return;
	}
	if (ttst_msg_get(&p->reply, "event")) {
		if (strcmp(ttst_msg_get(&p->reply, "event"), "ready") == 0) {
			p->ready = 1;
			p->root = ttst_msg_u64(&p->reply, "root", 0);
		}
		return;
	}
	if (!d.in_txn) {
		logmsg("ignored unsolicited message from %s version pid %d",
		       role_name[r], (int)p->pid);
		return;
	}
	p->has_reply = 1;
}

/* ---- client requests ------------------------------------------------------ */

static void run_update(int cfd, const struct ttst_msg *req);

static void send_status(int fd)
{
	struct ttst_msgbuf m;
	struct proc *p = &d.proc[PAST];

	ttst_msg_init(&m);
	ttst_msg_add(&m, "ok", "1");
	ttst_msg_add(&m, "name", d.name);
	ttst_msg_addf(&m, "pid", "%d", (int)p->pid);
	ttst_msg_add(&m, "binary", d.binary);
	for (int i = 1; d.argv[i]; i++)
		ttst_msg_add(&m, "arg", d.argv[i]);
	ttst_msg_addf(&m, "uptime", "%lld", (long long)(time(NULL) - d.version_started));
	ttst_msg_addf(&m, "ttstd_uptime", "%lld", (long long)(time(NULL) - d.ttstd_started));
	ttst_msg_add(&m, "connected", p->fd >= 0 ? "1" : "0");
	ttst_msg_add(&m, "state", d.in_txn ? "updating" : "running");
	ttst_msg_addf(&m, "transactions", "%u", d.ntxn);
	if (d.ntxn) {
		/* The last record, its fields prefixed with last_. */
		struct ttst_msg last;
		char err[64];

		memcpy(last.buf, d.history[(d.ntxn - 1) % HISTORY].buf,
		       d.history[(d.ntxn - 1) % HISTORY].len);
		if (ttst_msg_parse(&last, d.history[(d.ntxn - 1) % HISTORY].len, err, sizeof err) == 0)
			for (int i = 0; i < last.nfields; i++) {
				static const char *const keep[] = { "id", "when", "new", "outcome", "reason", "t_total" };
				for (size_t k = 0; k < sizeof keep / sizeof *keep; k++)
					if (strcmp(last.key[i], keep[k]) == 0) {
						char key[32];
						snprintf(key, sizeof key, "last_%s", keep[k]);
						ttst_msg_add(&m, key, last.val[i]);
					}
			}
	}
	(void)ttst_msg_send(fd, &m, -1);
}

/* -1 when the client does not take the records (gone, buffer full). */
static int send_history(int fd)
{
	unsigned first = d.ntxn > HISTORY ? d.ntxn - HISTORY : 0;
	struct ttst_msgbuf end;

	for (unsigned i = first; i < d.ntxn; i++)
		if (ttst_msg_send(fd, &d.history[i % HISTORY], -1) < 0)
			return -1;
	ttst_msg_init(&end);
	ttst_msg_add(&end, "ok", "1");
	ttst_msg_add(&end, "end", "1");
	ttst_msg_addf(&end, "count", "%u", d.ntxn - first);
	return ttst_msg_send(fd, &end, -1);
}

static void drop_client(int i)
{
	/* The client of the running update keeps its descriptor until the
	 * update is over, so that no new client inherits its reply. */
	if (d.in_txn && d.clients[i] == d.txn_client)
		d.txn_client_gone = 1;
	else
		close(d.clients[i]);
	d.clients[i] = -1;
}

static void client_readable(int i)
{
	struct ttst_msg req; /* on the stack: run_update keeps using it while
	                        other clients are served */
	char err[256];
	const char *cmd;
	int fd = d.clients[i];
	int r = ttst_msg_recv(fd, &req, NULL, err, sizeof err);

	if (r < 0 && errno == EBADMSG) {
		reply_error(fd, "bad request: %s", err);
		return;
	}
	if (r <= 0) {
		drop_client(i);
		return;
	}
	cmd = ttst_msg_get(&req, "cmd");
	if (!cmd) {
		reply_error(fd, "bad request: no cmd field (expected cmd=update, status or history)");
	} else if (strcmp(cmd, "status") == 0) {
		send_status(fd);
	} else if (strcmp(cmd, "history") == 0) {
		if (send_history(fd) < 0)
			drop_client(i);
	} else if (strcmp(cmd, "update") == 0) {
		if (d.in_txn)
			reply_error(fd, "an update is already running; retry when it is over");
		else
			run_update(fd, &req);
	} else {
		reply_error(fd, "unknown command '%s' (expected update, status or history)", cmd);
	}
}

static void accept_client(void)
{
	int fd = accept4(d.client_lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct ucred uc;
	int i;

	if (fd < 0)
		return;
	if (peer_cred(fd, &uc) < 0 || (uc.uid != geteuid() && uc.uid != 0)) {
		reply_error(fd, "permission denied: ttstd %s serves uid %u and root only, not uid %u",
			    d.name, (unsigned)geteuid(), (unsigned)uc.uid);
		logmsg("refused client pid %d of uid %u", (int)uc.pid, (unsigned)uc.uid);
		refuse_close(fd);
		return;
	}
	for (i = 0; i < MAX_CLIENTS && d.clients[i] >= 0; i++)
		;
	if (i == MAX_CLIENTS) {
		reply_error(fd, "too many clients connected; retry later");
		refuse_close(fd);
		return;
	}
	d.clients[i] = fd;
}

/* ---- the event loop ------------------------------------------------------- */

static void reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int known = 0;

		for (int r = 0; r < NROLES; r++)
			if (d.proc[r].pid == pid) {
				d.proc[r].exited = 1;
				d.proc[r].status = status;
				known = 1;
			}
		if (!known) {
			d.reaped[d.nreaped % MAX_REAPED].pid = pid;
			d.reaped[d.nreaped % MAX_REAPED].status = status;
			d.nreaped++;
		}
	}
}

/* Process r now has pid `pid`: it may have been reaped already. */
static void proc_set_pid(enum role r, pid_t pid)
{
	d.proc[r].pid = pid;
	for (int i = 0; i < MAX_REAPED; i++)
		if (d.reaped[i].pid == pid) {
			d.proc[r].exited = 1;
			d.proc[r].status = d.reaped[i].status;
			d.reaped[i].pid = 0;
		}
}

static void signal_readable(void)
{
	struct signalfd_siginfo si;

	while (read(d.sigfd, &si, sizeof si) == sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			reap();
		else
			d.term_signal = (int)si.ssi_signo;
	}
}

/* Wait at most timeout_ms for events and handle them. */
static void pump(int timeout_ms)
{
	struct pollfd pfd[3 + NROLES + MAX_PENDING + MAX_CLIENTS];
	int what[3 + NROLES + MAX_PENDING + MAX_CLIENTS];
	int n = 0;

	pfd[n] = (struct pollfd){ .fd = d.sigfd, .events = POLLIN };
	what[n++] = -1;
	pfd[n] = (struct pollfd){ .fd = d.client_lfd, .events = POLLIN };
	what[n++] = -2;
	pfd[n] = (struct pollfd){ .fd = d.prog_lfd, .events = POLLIN };
	what[n++] = -3;
	for (int r = 0; r < NROLES; r++)
		if (d.proc[r].fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = d.proc[r].fd, .events = POLLIN };
			what[n++] = 100 + r;
		}
	/* After its hello, a pending connection waits to be matched: its next
	 * message (F's or R's ready event) is read once it is. */
	for (int i = 0; i < MAX_PENDING; i++)
		if (d.pending[i].fd >= 0 && !d.pending[i].said_hello) {
			pfd[n] = (struct pollfd){ .fd = d.pending[i].fd, .events = POLLIN };
			what[n++] = 200 + i;
		}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (d.clients[i] >= 0) {
			pfd[n] = (struct pollfd){ .fd = d.clients[i], .events = POLLIN };
			what[n++] = 300 + i;
		}
	if (poll(pfd, (nfds_t)n, timeout_ms) <= 0)
		return;
	for (int i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (what[i] == -1)
			signal_readable();
		else if (what[i] == -2)
			accept_client();
		else if (what[i] == -3)
			accept_program();
		else if (what[i] >= 300 && d.clients[what[i] - 300] == pfd[i].fd)
			client_readable(what[i] - 300);
		else if (what[i] >= 200 && what[i] < 300 && d.pending[what[i] - 200].fd == pfd[i].fd)
			pending_readable(&d.pending[what[i] - 200]);
		else if (what[i] >= 100 && what[i] < 200 && d.proc[what[i] - 100].fd == pfd[i].fd)
			proc_readable((enum role)(what[i] - 100));
	}
}

/* ---- the update transaction -------------------------------------------- */

enum phase { PH_QUIESCE, PH_START_FUTURE, PH_FORWARD, PH_START_REVERSED,
	     PH_BACKWARD, PH_DIFF, PH_COMMIT, PH_ROLLBACK, NPHASES };
static const char *const phase_name[NPHASES] = {
	"quiescence", "start of the future version", "forward transfer",
	"start of the reversed version", "backward transfer", "state differencing",
	"commit", "rollback",
};
static const char *const phase_key[NPHASES] = {
	"t_quiesce", "t_start_future", "t_forward", "t_start_reversed",
	"t_backward", "t_diff", "t_commit", "t_rollback",
};

struct txn {
	double t0, deadline;
	double frozen, thawed; /* P stopped serving; P or F serves again */
	int dry_run;
	char reason[1200];
	struct ttst_msgbuf rep;
};

/* Why process r failed, once it died or hung up (waits briefly for the
 * exit status so the report can name the signal). */
static void describe_failure(enum role r, enum phase ph, char *buf, size_t len)
{
	struct proc *p = &d.proc[r];
	double until = now() + EXIT_GRACE_MS / 1e3;
	char how[128];

	while (!p->exited && now() < until)
		pump(20);
	if (p->exited) {
		describe_status(p->status, how, sizeof how);
		snprintf(buf, len, "%s version (pid %d) %s during %s", role_name[r],
			 (int)p->pid, how, phase_name[ph]);
	} else {
		snprintf(buf, len, "%s version (pid %d) closed its control connection during %s",
			 role_name[r], (int)p->pid, phase_name[ph]);
	}
}

/* Wait until process r is ready (F, R) or has replied (any); -1 with the
 * reason in t->reason on death, hang-up or timeout. */
static int await(struct txn *t, enum role r, enum phase ph, int want_ready)
{
	struct proc *p = &d.proc[r];

	for (;;) {
		if (want_ready ? p->ready : p->has_reply)
			return 0;
		if (p->exited || p->hung_up) {
			describe_failure(r, ph, t->reason, sizeof t->reason);
			return -1;
		}
		double left = t->deadline - now();
		if (left <= 0) {
			snprintf(t->reason, sizeof t->reason,
				 "timed out after %.0f s during %s (%s version pid %d %s)",
				 t->deadline - t->t0, phase_name[ph], role_name[r], (int)p->pid,
				 p->fd >= 0 ? "did not answer" : "never connected to ttstd");
			return -1;
		}
		pump(left > 0.5 ? 500 : (int)(left * 1000) + 1);
	}
}

/* Send a command to process r and wait for its reply, which must be `ok=1`;
 * copy the reply's other fields into the report with `prefix` (NULL: do
 * not). */
static int call(struct txn *t, enum role r, enum phase ph, struct ttst_msgbuf *cmd,
		int pass_fd, const char *prefix)
{
	struct proc *p = &d.proc[r];
	const char *err;

	p->has_reply = 0;
	if (cmd->overflow) {
		snprintf(t->reason, sizeof t->reason,
			 "the %s command does not fit in a message (arguments too long?)",
			 phase_name[ph]);
		return -1;
	}
	if (p->fd < 0 || ttst_msg_send(p->fd, cmd, pass_fd) < 0) {
		if (p->fd >= 0 || p->exited || p->hung_up)
			describe_failure(r, ph, t->reason, sizeof t->reason);
		else
			snprintf(t->reason, sizeof t->reason,
				 "%s version pid %d is not connected to ttstd (%s)",
				 role_name[r], (int)p->pid, phase_name[ph]);
		return -1;
	}
	if (await(t, r, ph, 0) < 0)
		return -1;
	p->has_reply = 0;
	if (prefix) /* the engine's report, whatever the outcome */
		for (int i = 0; i < p->reply.nfields; i++) {
			char key[64];

			if (strcmp(p->reply.key[i], "ok") == 0 || strcmp(p->reply.key[i], "error") == 0)
				continue;
			snprintf(key, sizeof key, "%s%s", prefix, p->reply.key[i]);
			ttst_msg_add(&t->rep, key, p->reply.val[i]);
		}
	/* A diff reply must say "0 differences" to pass. */
	if (ph == PH_DIFF && ttst_msg_u64(&p->reply, "differences", 1) > 0) {
		const char *first = ttst_msg_get(&p->reply, "first_diff");
		snprintf(t->reason, sizeof t->reason,
			 "state differs after the round trip (%llu difference%s), first: %s",
			 (unsigned long long)ttst_msg_u64(&p->reply, "differences", 1),
			 ttst_msg_u64(&p->reply, "differences", 1) == 1 ? "" : "s",
			 first && *first ? first : "(not named)");
		return -1;
	}
	if (ttst_msg_u64(&p->reply, "ok", 0) != 1) {
		err = ttst_msg_get(&p->reply, "error");
		snprintf(t->reason, sizeof t->reason, "%s failed in the %s version: %s",
			 phase_name[ph], role_name[r], err ? err : "(no reason given)");
		return -1;
	}
	return 0;
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
	struct proc *p = &d.proc[r];
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

	for (i = 0; i < MAX_PENDING && d.pending[i].fd >= 0; i++)
		;
	if (i == MAX_PENDING ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	d.pending[i] = (struct pending){ .fd = sv[0], .role = r, .since = now(), .handed = 1 };
	*theirs = sv[1];
	return i;
}

/* Ask P to spawn F or R and wait for it to reach its update point. */
static int spawn(struct txn *t, enum role r, const char *path, char *const *argv,
		 const char *fault)
{
	struct ttst_msgbuf cmd;
	enum phase ph = r == FUTURE ? PH_START_FUTURE : PH_START_REVERSED;
	double t1 = now();
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
	rc = call(t, PAST, ph, &cmd, theirs, NULL);
	if (theirs >= 0)
		close(theirs);
	if (rc < 0) {
		if (handed >= 0)
			close_pending(&d.pending[handed]);
		return -1;
	}
	proc_set_pid(r, (pid_t)ttst_msg_u64(&d.proc[PAST].reply, "pid", 0));
	if (handed >= 0)  /* now we know who holds the other end */
		d.pending[handed].pid = d.proc[r].pid;
	if (d.proc[r].pid <= 0) {
		snprintf(t->reason, sizeof t->reason, "past version reported no pid for the %s version",
			 role_name[r]);
		return -1;
	}
	match_pending();
	if (await(t, r, ph, 1) < 0)
		return -1;
	ttst_msg_addf(&t->rep, role_name[r], "%d", (int)d.proc[r].pid);
	ttst_msg_addf(&t->rep, phase_key[ph], "%.6f", now() - t1);
	return 0;
}

/* Forward, start R, backward, diff.  0 when every check passed. */
static int transfer_and_validate(struct txn *t, const char *new_path, char *const *new_argv,
				 const char *fault)
{
	struct proc *P = &d.proc[PAST], *F = &d.proc[FUTURE], *R = &d.proc[REVERSED];
	struct ttst_msgbuf cmd;
	double tb;
	int sv[2];

	if (spawn(t, FUTURE, new_path, new_argv, fault) < 0)
		return -1;
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "forward");
	ttst_msg_addf(&cmd, "past_pid", "%d", (int)P->pid);
	ttst_msg_addf(&cmd, "past_root", "0x%llx", (unsigned long long)P->root);
	if (timed_call(t, FUTURE, PH_FORWARD, &cmd, -1, "fwd_") < 0)
		return -1;
	if (spawn(t, REVERSED, NULL, d.argv, fault) < 0)
		return -1;
	/* F and R talk over a socket pair of their own. */
	tb = now();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(t->reason, sizeof t->reason, "socketpair: %s", strerror(errno));
		return -1;
	}
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "serve");
	ttst_msg_addf(&cmd, "future_pid", "%d", (int)F->pid);
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
	return timed_call(t, REVERSED, PH_DIFF, &cmd, -1, "diff_");
}

static void send_simple(enum role r, const char *cmdname)
{
	struct ttst_msgbuf cmd;

	if (d.proc[r].fd < 0)
		return;
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", cmdname);
	(void)ttst_msg_send(d.proc[r].fd, &cmd, -1);
}

static int commit(struct txn *t, const char *new_path, char **new_argv)
{
	struct ttst_msgbuf cmd;
	pid_t old = d.proc[PAST].pid;
	double t1 = now();

	/* F first: until it confirms, P can still be resumed. */
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "resume");
	t->deadline = now() + 5;
	if (call(t, FUTURE, PH_COMMIT, &cmd, -1, NULL) < 0)
		return -1;
	t->thawed = now();
	send_simple(PAST, "exit");
	send_simple(REVERSED, "exit");
	proc_reset(&d.proc[PAST]);
	proc_reset(&d.proc[REVERSED]);
	d.proc[PAST] = d.proc[FUTURE];
	d.proc[PAST].ready = 0;
	memset(&d.proc[FUTURE], 0, sizeof d.proc[FUTURE]);
	d.proc[FUTURE].fd = -1;
	for (int i = 0; d.argv[i]; i++)
		free(d.argv[i]);
	free(d.argv);
	d.argv = new_argv;
	snprintf(d.binary, sizeof d.binary, "%s", new_path);
	d.version_started = time(NULL);
	logmsg("program is now pid %d (was %d): %s", (int)d.proc[PAST].pid, (int)old, d.binary);
	ttst_msg_addf(&t->rep, "t_commit", "%.6f", now() - t1);
	return 0;
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
	kill_and_reap(FUTURE);
	kill_and_reap(REVERSED);
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

static void run_update(int cfd, const struct ttst_msg *req)
{
	struct txn t = { 0 };
	const char *new_path = ttst_msg_get(req, "new");
	const char *fault = ttst_msg_get(req, "fault");
	unsigned timeout = (unsigned)ttst_msg_u64(req, "timeout", d.timeout_s);
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
	/* A garbled dry_run must not turn into a real update. */
	if (ttst_msg_get(req, "dry_run") && strcmp(ttst_msg_get(req, "dry_run"), "0") &&
	    strcmp(ttst_msg_get(req, "dry_run"), "1")) {
		reply_error(cfd, "dry_run must be 0 or 1");
		return;
	}
	if (d.proc[PAST].fd < 0) {
		reply_error(cfd, "program pid %d is not connected to ttstd: is it linked with libstf?",
			    (int)d.proc[PAST].pid);
		return;
	}
	if (ttstd_check_binary(new_path, why, sizeof why) < 0) {
		reply_error(cfd, "%s", why);
		return;
	}
	new_argv = copy_argv(new_path, req, d.argv);
	if (!new_argv) {
		reply_error(cfd, "out of memory");
		return;
	}
	d.in_txn = 1;
	d.txn_client = cfd;
	d.txn_client_gone = 0;
	id = d.ntxn + 1; /* recorded when over: history shows finished ones */
	t.dry_run = ttst_msg_u64(req, "dry_run", 0) == 1;
	t.t0 = now();
	t.deadline = t.t0 + timeout;
	ttst_msg_init(&t.rep);
	ttst_msg_add(&t.rep, "ok", "1");
	ttst_msg_addf(&t.rep, "id", "%u", id);
	gmtime_r(&wall, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	ttst_msg_add(&t.rep, "when", when);
	ttst_msg_add(&t.rep, "old", d.binary);
	ttst_msg_add(&t.rep, "new", new_path);
	ttst_msg_addf(&t.rep, "past", "%d", (int)d.proc[PAST].pid);
	if (t.dry_run)
		ttst_msg_add(&t.rep, "dry_run", "1");
	if (fault)
		ttst_msg_add(&t.rep, "fault", fault);
	logmsg("update #%u: %s -> %s%s%s%s", id, d.binary, new_path, t.dry_run ? " (dry run)" : "",
	       fault ? " fault=" : "", fault ? fault : "");

	/* 1. quiesce P, bounded by the remaining time */
	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "quiesce");
	ttst_msg_addf(&cmd, "timeout_ms", "%u", timeout * 1000 / 2);
	t.frozen = now();
	ok = timed_call(&t, PAST, PH_QUIESCE, &cmd, -1, NULL) == 0;
	if (ok) {
		quiesced = 1;
		d.proc[PAST].root = ttst_msg_u64(&d.proc[PAST].reply, "root", 0);
		ok = transfer_and_validate(&t, new_path, new_argv, fault) == 0;
	}
	if (ok && t.dry_run) {
		snprintf(t.reason, sizeof t.reason, "dry run: every check passed, nothing changed");
	} else if (ok) {
		ok = commit(&t, new_path, new_argv) == 0;
		committed = ok;
	}
	if (!committed)
		rollback(&t, quiesced);
	else
		new_argv = NULL; /* now d.argv */
	if (new_argv) {
		for (int i = 0; new_argv[i]; i++)
			free(new_argv[i]);
		free(new_argv);
	}
	/* stale pending connections from F or R */
	for (int i = 0; i < MAX_PENDING; i++)
		if (d.pending[i].fd >= 0 && d.pending[i].said_hello)
			close_pending(&d.pending[i]);

	ttst_msg_add(&t.rep, "outcome", committed ? "committed" : ok ? "validated" : "rolled-back");
	if (!committed)
		ttst_msg_add(&t.rep, "reason", t.reason);
	if (quiesced && t.thawed > 0)
		ttst_msg_addf(&t.rep, "t_downtime", "%.6f", t.thawed - t.frozen);
	ttst_msg_addf(&t.rep, "t_total", "%.6f", now() - t.t0);
	if (t.rep.overflow) {
		ttst_msg_init(&t.rep);
		ttst_msg_add(&t.rep, "ok", "1");
		ttst_msg_addf(&t.rep, "id", "%u", id);
		ttst_msg_add(&t.rep, "outcome", committed ? "committed" : ok ? "validated" : "rolled-back");
		ttst_msg_add(&t.rep, "reason", "report too large to send");
	}
	logmsg("update #%u: %s in %.1f ms (program paused %.1f ms)%s%s", id,
	       committed ? "committed" : ok ? "validated (dry run), rolled back" : "rolled back",
	       (now() - t.t0) * 1e3, quiesced && t.thawed > 0 ? (t.thawed - t.frozen) * 1e3 : 0.0,
	       committed ? "" : ": ", committed ? "" : t.reason);
	d.history[d.ntxn % HISTORY] = t.rep;
	d.ntxn++;
	if (d.txn_client_gone)
		close(cfd);
	else
		(void)ttst_msg_send(cfd, &t.rep, -1);
	d.in_txn = 0;
}

/* ---- startup ----------------------------------------------------------- */

static void usage(FILE *f, int status) __attribute__((noreturn));
static void usage(FILE *f, int status)
{
	fputs("usage: ttstd [--name N] [--socket PATH] [--timeout SECONDS] [--log FILE] -- PROGRAM [ARGS...]\n"
	      "Supervise PROGRAM (linked with libstf) and live-update it on request of\n"
	      "ttst-ctl(1).  See ttstd(8).\n", f);
	exit(status);
}

static pid_t start_program(char **argv)
{
	static char env[sizeof d.prog_sock + 16];
	sigset_t none;
	pid_t pid;

	snprintf(env, sizeof env, "STF_CTL=%s", d.prog_sock);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL); /* ignored here, but not the program's */
		putenv(env);
		unsetenv("STF_ROLE");
		unsetenv("STF_PAST");
		execvp(argv[0], argv);
		fprintf(stderr, "ttstd: cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* The absolute path of the program for status: as execvp finds it. */
static void resolve_binary(const char *prog)
{
	const char *path = getenv("PATH");
	char cand[PATH_MAX];

	if (!strchr(prog, '/') && path) {
		for (const char *p = path; *p; p += strcspn(p, ":") + (p[strcspn(p, ":")] == ':')) {
			snprintf(cand, sizeof cand, "%.*s/%s", (int)strcspn(p, ":"), p, prog);
			if (access(cand, X_OK) == 0 && realpath(cand, d.binary))
				return;
		}
	}
	if (!realpath(prog, d.binary))
		snprintf(d.binary, sizeof d.binary, "%s", prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *name = NULL, *sock = NULL, *logpath = NULL;
	char dir[PATH_MAX], *end;
	sigset_t mask;
	int c, status;

	d.timeout_s = 10;
	d.log = stderr;
	while ((c = getopt_long(argc, argv, "+n:s:t:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 's': sock = optarg; break;
		case 'l': logpath = optarg; break;
		case 't':
			errno = 0;
			d.timeout_s = (unsigned)strtoul(optarg, &end, 10);
			if (*end || errno || d.timeout_s == 0 || d.timeout_s > 3600) {
				fprintf(stderr, "ttstd: --timeout needs 1..3600 seconds, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout, 0);
		default: usage(stderr, 2);
		}
	}
	if (optind >= argc)
		usage(stderr, 2);
	if (!name) {
		name = strrchr(argv[optind], '/') ? strrchr(argv[optind], '/') + 1 : argv[optind];
		if (!ttst_name_ok(name))
			name = "default";
	}
	if (!ttst_name_ok(name)) {
		fprintf(stderr, "ttstd: bad --name '%s': use 1..64 characters of [A-Za-z0-9._-], not starting with '.'\n", name);
		return 2;
	}
	snprintf(d.name, sizeof d.name, "%s", name);
	if (logpath && !(d.log = fopen(logpath, "ae")))
		die("cannot open log %s: %s", logpath, strerror(errno));
	if (sock) {
		snprintf(d.sock, sizeof d.sock, "%s", sock);
	} else {
		ttst_runtime_dir(dir, sizeof dir);
		make_runtime_dir(dir);
		snprintf(d.sock, sizeof d.sock, "%.*s/%s.sock", PATH_MAX - 80, dir, name);
	}
	snprintf(d.prog_sock, sizeof d.prog_sock, "%s%s", d.sock, TTST_PROG_SUFFIX);

	/* Orphans of the program (F and R once their intermediate parent is
	 * gone) become our children. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d.sigfd < 0)
		die("signalfd: %s", strerror(errno));
	d.client_lfd = listen_on(d.sock);
	d.prog_lfd = listen_on(d.prog_sock);
	for (int i = 0; i < MAX_CLIENTS; i++)
		d.clients[i] = -1;
	for (int i = 0; i < MAX_PENDING; i++)
		d.pending[i].fd = -1;
	for (int r = 0; r < NROLES; r++)
		proc_reset(&d.proc[r]);

	d.argv = calloc((size_t)(argc - optind) + 1, sizeof *d.argv);
	for (int i = optind; i < argc; i++)
		d.argv[i - optind] = strdup(argv[i]);
	resolve_binary(argv[optind]);
	d.ttstd_started = d.version_started = time(NULL);
	journal_init();
	d.proc[PAST].pid = start_program(d.argv);
	logmsg("started %s (pid %d); control socket %s", d.argv[0], (int)d.proc[PAST].pid, d.sock);
	journal_notify("READY=1");

	for (;;) {
		if (d.term_signal) {
			logmsg("forwarding SIG%s to pid %d", sigabbrev_np(d.term_signal),
			       (int)d.proc[PAST].pid);
			kill(d.proc[PAST].pid, d.term_signal);
			d.term_signal = 0;
		}
		if (d.proc[PAST].exited)
			break;
		pump(1000); /* also ages unidentified connections */
		match_pending();
	}
	char how[128];
	status = d.proc[PAST].status;
	describe_status(status, how, sizeof how);
	logmsg("program pid %d %s", (int)d.proc[PAST].pid, how);
	unlink(d.sock);
	unlink(d.prog_sock);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
