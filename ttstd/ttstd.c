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
#include "ttstd.h"

const char *const role_name[NROLES] = { "past", "future", "reversed", "watched past" };
struct ttstd ttstd;


/* ---- small helpers --------------------------------------------------- */

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void logmsg(const char *fmt, ...)
{
	char when[32], msg[10240], status[10300];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(status, sizeof status, "STATUS=%s", msg);
	journal_notify(status);
	if (journal_log(ttstd.log, ttstd.name, msg))
		return;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(ttstd.log, "%s ttstd[%s]: %s\n", when, ttstd.name, msg);
	fflush(ttstd.log);
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
void describe_status(int status, char *buf, size_t len)
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

void reply_error(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_error(int fd, const char *fmt, ...)
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

void proc_reset(struct proc *p)
{
	if (p->fd >= 0)
		close(p->fd);
	if (p->stderr_fd > 0)
		close(p->stderr_fd);
	memset(p, 0, sizeof *p);
	p->fd = -1;
	p->stderr_fd = -1;
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

void close_pending(struct pending *pe)
{
	refuse_close(pe->fd);
	pe->fd = -1;
	if (pe->stderr_fd > 0)
		close(pe->stderr_fd);
	pe->stderr_fd = -1;
}

/* Attach pending hellos whose pid and role are now expected. */
void match_pending(void)
{
	for (int i = 0; i < MAX_PENDING + MAX_HANDED; i++) {
		struct pending *pe = &ttstd.pending[i];
		struct proc *p;

		if (pe->fd >= 0 && !pe->said_hello && !pe->handed && now() - pe->since > HELLO_WAIT_S) {
			reply_error(pe->fd, "no hello within %d s", HELLO_WAIT_S);
			close_pending(pe);
		}
		if (pe->fd < 0 || !pe->said_hello)
			continue;
		if (pe->parent) {
			/* a child of the program: once its parent is known */
			if (tree_adopt(pe) == 0 && ((pe->role == PAST && !tree_adopt_later(pe)) ||
						    !ttstd.in_txn || now() - pe->since > ttstd.timeout_s)) {
				reply_error(pe->fd, "ttstd knows no %s process with pid %d, which pid "
					    "%d names as its parent", role_name[pe->role],
					    (int)pe->parent, (int)pe->pid);
				logmsg("refused program connection from pid %d: unknown parent %d",
				       (int)pe->pid, (int)pe->parent);
				close_pending(pe);
			}
			continue;
		}
		p = &ttstd.proc[pe->role];
		if (ttstd.in_txn && pe->role != PAST && p->pid > 0 && p->fd < 0 &&
		    (p->pid != pe->pid || (pe->handed && pe->hello_pid != p->pid))) {
			/* A wrapper that forks the program instead of exec'ing it:
			 * the process ttstd would supervise is not the program. */
			pid_t who = pe->handed ? pe->hello_pid : pe->pid;
			snprintf(p->refused, sizeof p->refused,
				 "the %s version pid %d did not connect to ttstd itself: pid %d did "
				 "in its place (a wrapper must exec the program, not fork it)",
				 role_name[pe->role], (int)p->pid, (int)who);
			reply_error(pe->fd, "%s", p->refused);
			logmsg("refused program connection from pid %d: %s", (int)who, p->refused);
			close_pending(pe);
		} else if (p->pid > 0 && p->pid == pe->pid && p->fd < 0 && !p->exited) {
			/* (a handed connection's pid is 0 until P names F or R:
			 * its hello may come first and then waits) */
			p->fd = pe->fd;
			pe->fd = -1;
			if (p->stderr_fd > 0)
				close(p->stderr_fd);
			p->stderr_fd = pe->stderr_fd;
			pe->stderr_fd = -1;
			logmsg("%s version pid %d connected", role_name[pe->role], (int)p->pid);
		} else if (p->pid > 0 && p->pid == pe->pid && p->fd < 0 && p->exited &&
			   p->stderr_fd <= 0) {
			/* it died before its hello was read: what it wrote to
			 * stderr (the capture came with the hello) names why */
			p->stderr_fd = pe->stderr_fd;
			pe->stderr_fd = -1;
			close_pending(pe);
		} else if (!ttstd.in_txn || now() - pe->since > ttstd.timeout_s) {
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

/*
 * accept4 on a listening socket.  Out of descriptors (EMFILE, ENFILE), the
 * connection would stay queued and poll would report it again at once,
 * forever: spend the reserve descriptor to take it and refuse it with the
 * reason; without even that, stop listening for a second.
 */
static int accept_or_refuse(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd >= 0 || (errno != EMFILE && errno != ENFILE))
		return fd;
	if (ttstd.reserve_fd >= 0) {
		close(ttstd.reserve_fd);
		ttstd.reserve_fd = -1;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			reply_error(fd, "ttstd is out of file descriptors: retry later");
			refuse_close(fd);
		}
		ttstd.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (ttstd.reserve_fd < 0 || fd < 0) {
		if (ttstd.accept_paused_until == 0)
			logmsg("out of file descriptors: not accepting connections for 1 s");
		ttstd.accept_paused_until = now() + 1;
	}
	return -1;
}

static void accept_program(void)
{
	int fd = accept_or_refuse(ttstd.prog_lfd);
	struct ucred uc;
	int i;

	if (fd < 0)
		return;
	if (peer_cred(fd, &uc) < 0 || (uc.uid != geteuid() && uc.uid != 0)) {
		reply_error(fd, "permission denied: ttstd serves uid %u only", (unsigned)geteuid());
		refuse_close(fd);
		return;
	}
	for (i = 0; i < MAX_PENDING && ttstd.pending[i].fd >= 0; i++)
		;
	if (i == MAX_PENDING) {
		/* Make room: the connection that has been silent the longest
		 * goes, so that silent connections cannot lock the program
		 * out (F and R have slots of their own). */
		int oldest = -1;

		for (int k = 0; k < MAX_PENDING; k++)
			if (!ttstd.pending[k].said_hello &&
			    (oldest < 0 || ttstd.pending[k].since < ttstd.pending[oldest].since))
				oldest = k;
		if (oldest < 0) {
			reply_error(fd, "too many program connections waiting to be matched");
			refuse_close(fd);
			return;
		}
		reply_error(ttstd.pending[oldest].fd, "no hello yet and ttstd needs the room");
		close(ttstd.pending[oldest].fd);
		ttstd.pending[oldest].fd = -1;
		i = oldest;
	}
	ttstd.pending[i] = (struct pending){ .fd = fd, .pid = uc.pid, .since = now(), .stderr_fd = -1 };
}

/* The first message on a program connection: `hello role=R`. */
static void pending_readable(struct pending *pe)
{
	struct ttst_msg m;
	char err[256];
	const char *role;
	int passed;
	int r = ttst_msg_recv(pe->fd, &m, &passed, err, sizeof err);

	if (passed >= 0 && pe->stderr_fd < 0)
		pe->stderr_fd = passed;
	else if (passed >= 0)
		close(passed);
	if (r <= 0) {
		if (r < 0 && errno == EBADMSG)
			reply_error(pe->fd, "%s", err);
		close_pending(pe);
		return;
	}
	role = ttst_msg_get(&m, "role");
	pe->hello_pid = (pid_t)ttst_msg_u64(&m, "pid", 0);
	pe->parent = pe->handed ? 0 : (pid_t)ttst_msg_u64(&m, "parent", 0);
	pe->order = (unsigned)ttst_msg_u64(&m, "order", 0);
	pe->session = pe->parent && ttst_msg_u64(&m, "session", 0) == 1;
	if (!ttst_msg_get(&m, "hello") || !role) {
		reply_error(pe->fd, "the first message must be 'hello=1 role=past|future|reversed'");
		close_pending(pe);
		return;
	}
	for (int i = 0; i <= REVERSED; i++)
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
	struct proc *p = &ttstd.proc[r];
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
			p->ready_at = now();
			p->root = ttst_msg_u64(&p->reply, "root", 0);
		}
		return;
	}
	if (!ttstd.in_txn) {
		logmsg("ignored unsolicited message from %s version pid %d",
		       role_name[r], (int)p->pid);
		return;
	}
	p->has_reply = 1;
}

/* ---- client requests ------------------------------------------------------ */

static void send_status(int fd)
{
	struct ttst_msgbuf m;
	struct proc *p = &ttstd.proc[PAST];

	ttst_msg_init(&m);
	ttst_msg_add(&m, "ok", "1");
	ttst_msg_add(&m, "name", ttstd.name);
	ttst_msg_addf(&m, "pid", "%d", (int)p->pid);
	ttst_msg_add(&m, "binary", ttstd.binary);
	for (int i = 1; ttstd.argv[i]; i++)
		ttst_msg_add(&m, "arg", ttstd.argv[i]);
	ttst_msg_addf(&m, "uptime", "%lld", (long long)(time(NULL) - ttstd.version_started));
	ttst_msg_addf(&m, "ttstd_uptime", "%lld", (long long)(time(NULL) - ttstd.ttstd_started));
	ttst_msg_add(&m, "connected", p->fd >= 0 ? "1" : "0");
	tree_status(&m);
	ttst_msg_add(&m, "state", ttstd.watching ? "watching" : ttstd.in_txn ? "updating" : "running");
	ttst_msg_addf(&m, "transactions", "%u", ttstd.ntxn);
	ttst_msg_addf(&m, "timeout", "%u", ttstd.timeout_s);
	if (ttstd.ntxn) {
		/* The last record, its fields prefixed with last_. */
		struct ttst_msg last;
		char err[64];

		memcpy(last.buf, ttstd.history[(ttstd.ntxn - 1) % HISTORY].buf,
		       ttstd.history[(ttstd.ntxn - 1) % HISTORY].len);
		if (ttst_msg_parse(&last, ttstd.history[(ttstd.ntxn - 1) % HISTORY].len, err, sizeof err) == 0)
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
	unsigned first = ttstd.ntxn > HISTORY ? ttstd.ntxn - HISTORY : 0;
	struct ttst_msgbuf end;

	for (unsigned i = first; i < ttstd.ntxn; i++)
		if (ttst_msg_send(fd, &ttstd.history[i % HISTORY], -1) < 0)
			return -1;
	ttst_msg_init(&end);
	ttst_msg_add(&end, "ok", "1");
	ttst_msg_add(&end, "end", "1");
	ttst_msg_addf(&end, "count", "%u", ttstd.ntxn - first);
	return ttst_msg_send(fd, &end, -1);
}

static void drop_client(int i)
{
	/* The client of the running update keeps its descriptor until the
	 * update is over, so that no new client inherits its reply. */
	if (ttstd.in_txn && ttstd.clients[i] == ttstd.txn_client)
		ttstd.txn_client_gone = 1;
	else
		close(ttstd.clients[i]);
	ttstd.clients[i] = -1;
}

static void client_readable(int i)
{
	struct ttst_msg req; /* on the stack: run_update keeps using it while
	                        other clients are served */
	char err[256];
	const char *cmd;
	int fd = ttstd.clients[i];
	int r = ttst_msg_recv(fd, &req, NULL, err, sizeof err);

	if (r < 0 && errno == EBADMSG) {
		reply_error(fd, "bad request: %s", err);
		return;
	}
	if (r <= 0) {
		drop_client(i);
		return;
	}
	ttstd.client_since[i] = now();
	cmd = ttst_msg_get(&req, "cmd");
	if (!cmd) {
		reply_error(fd, "bad request: no cmd field (expected cmd=update, status or history)");
	} else if (strcmp(cmd, "status") == 0) {
		send_status(fd);
	} else if (strcmp(cmd, "history") == 0) {
		if (send_history(fd) < 0)
			drop_client(i);
	} else if (strcmp(cmd, "update") == 0) {
		if (ttstd.in_txn)
			reply_error(fd, "an update is already running; retry when it is over");
		else
			run_update(fd, &req);
	} else {
		reply_error(fd, "unknown command '%s' (expected update, status or history)", cmd);
	}
}

static void accept_client(void)
{
	int fd = accept_or_refuse(ttstd.client_lfd);
	struct ucred uc;
	int i;

	if (fd < 0)
		return;
	if (peer_cred(fd, &uc) < 0 || (uc.uid != geteuid() && uc.uid != 0)) {
		reply_error(fd, "permission denied: ttstd %s serves uid %u and root only, not uid %u",
			    ttstd.name, (unsigned)geteuid(), (unsigned)uc.uid);
		logmsg("refused client pid %d of uid %u", (int)uc.pid, (unsigned)uc.uid);
		refuse_close(fd);
		return;
	}
	for (i = 0; i < MAX_CLIENTS && ttstd.clients[i] >= 0; i++)
		;
	if (i == MAX_CLIENTS) {
		reply_error(fd, "too many clients connected; retry later");
		refuse_close(fd);
		return;
	}
	ttstd.clients[i] = fd;
	ttstd.client_since[i] = now();
}

/* Close client connections idle for longer than --idle-timeout: a local
 * process must not hold every client slot. */
static void drop_idle_clients(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (ttstd.clients[i] >= 0 && !(ttstd.in_txn && ttstd.clients[i] == ttstd.txn_client) &&
		    now() - ttstd.client_since[i] > ttstd.idle_s) {
			reply_error(ttstd.clients[i], "no request for %u s: connection closed", ttstd.idle_s);
			drop_client(i);
		}
}

/* ---- the event loop ------------------------------------------------------- */

static void reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int known = 0;

		for (int r = 0; r < NROLES; r++)
			if (ttstd.proc[r].pid == pid) {
				ttstd.proc[r].exited = 1;
				ttstd.proc[r].status = status;
				known = 1;
			}
		if (!known)
			known = tree_reaped(pid, status);
		if (!known) {
			ttstd.reaped[ttstd.nreaped % MAX_REAPED].pid = pid;
			ttstd.reaped[ttstd.nreaped % MAX_REAPED].status = status;
			ttstd.nreaped++;
		}
	}
}

/* Process r now has pid `pid`: it may have been reaped already. */
void proc_set_pid(enum role r, pid_t pid)
{
	ttstd.proc[r].pid = pid;
	for (int i = 0; i < MAX_REAPED; i++)
		if (ttstd.reaped[i].pid == pid) {
			ttstd.proc[r].exited = 1;
			ttstd.proc[r].status = ttstd.reaped[i].status;
			ttstd.reaped[i].pid = 0;
		}
}

static void signal_readable(void)
{
	struct signalfd_siginfo si;

	while (read(ttstd.sigfd, &si, sizeof si) == sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			reap();
		else
			ttstd.term_signal = (int)si.ssi_signo;
	}
}

/* Wait at most timeout_ms for events and handle them. */
void pump(int timeout_ms)
{
	struct pollfd pfd[3 + NROLES + MAX_PENDING + MAX_HANDED + MAX_CLIENTS + MAX_MEMBERS];
	int what[3 + NROLES + MAX_PENDING + MAX_HANDED + MAX_CLIENTS + MAX_MEMBERS];
	int n = 0;

	pfd[n] = (struct pollfd){ .fd = ttstd.sigfd, .events = POLLIN };
	what[n++] = -1;
	if (ttstd.accept_paused_until && now() >= ttstd.accept_paused_until) {
		ttstd.accept_paused_until = 0;
		if (ttstd.reserve_fd < 0)
			ttstd.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (!ttstd.accept_paused_until) {
		pfd[n] = (struct pollfd){ .fd = ttstd.client_lfd, .events = POLLIN };
		what[n++] = -2;
		pfd[n] = (struct pollfd){ .fd = ttstd.prog_lfd, .events = POLLIN };
		what[n++] = -3;
	} else if (timeout_ms > 250) {
		timeout_ms = 250; /* to listen again in time */
	}
	for (int r = 0; r < NROLES; r++)
		if (ttstd.proc[r].fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = ttstd.proc[r].fd, .events = POLLIN };
			what[n++] = 100 + r;
		}
	/* After its hello, a pending connection waits to be matched: its next
	 * message (F's or R's ready event) is read once it is. */
	for (int i = 0; i < MAX_PENDING + MAX_HANDED; i++)
		if (ttstd.pending[i].fd >= 0 && !ttstd.pending[i].said_hello) {
			pfd[n] = (struct pollfd){ .fd = ttstd.pending[i].fd, .events = POLLIN };
			what[n++] = 200 + i;
		}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (ttstd.clients[i] >= 0) {
			pfd[n] = (struct pollfd){ .fd = ttstd.clients[i], .events = POLLIN };
			what[n++] = 300 + i;
		}
	n += tree_pollfds(pfd + n, what + n, MAX_MEMBERS);
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
		else if (what[i] >= 400 && ttstd.member[what[i] - 400].p.fd == pfd[i].fd)
			tree_readable(what[i] - 400);
		else if (what[i] >= 300 && what[i] < 400 && ttstd.clients[what[i] - 300] == pfd[i].fd)
			client_readable(what[i] - 300);
		else if (what[i] >= 200 && what[i] < 300 && ttstd.pending[what[i] - 200].fd == pfd[i].fd)
			pending_readable(&ttstd.pending[what[i] - 200]);
		else if (what[i] >= 100 && what[i] < 200 && ttstd.proc[what[i] - 100].fd == pfd[i].fd)
			proc_readable((enum role)(what[i] - 100));
	}
}

/* ---- startup ----------------------------------------------------------- */

static void usage(FILE *f, int status) __attribute__((noreturn));
static void usage(FILE *f, int status)
{
	fputs("usage: ttstd [--name N] [--socket PATH] [--timeout SECONDS] [--idle-timeout SECONDS]\n"
	      "             [--log FILE] -- PROGRAM [ARGS...]\n"
	      "Supervise PROGRAM (linked with libstf) and live-update it on request of\n"
	      "ttst-ctl(1).  See ttstd(8).\n", f);
	exit(status);
}

static pid_t start_program(char **argv)
{
	static char env[sizeof ttstd.prog_sock + 16];
	sigset_t none;
	pid_t pid;

	snprintf(env, sizeof env, "STF_CTL=%s", ttstd.prog_sock);
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

/*
 * Descriptors 0-2 open, on /dev/null where we were started without them:
 * the program inherits them, and a program started without descriptor 0
 * finds its first socket there, which many servers take for "none".
 */
static void open_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int nul = open("/dev/null", O_RDWR); /* the lowest free number: fd */
		if (nul < 0)
			die("cannot open /dev/null for descriptor %d: %s", fd, strerror(errno));
		if (nul != fd)
			die("opened /dev/null as descriptor %d instead of %d", nul, fd);
	}
}

/* The absolute path of the program for status: as execvp finds it. */
static void resolve_binary(const char *prog)
{
	const char *path = getenv("PATH");
	char cand[PATH_MAX];

	if (!strchr(prog, '/') && path) {
		for (const char *p = path; *p; p += strcspn(p, ":") + (p[strcspn(p, ":")] == ':')) {
			snprintf(cand, sizeof cand, "%.*s/%s", (int)strcspn(p, ":"), p, prog);
			if (access(cand, X_OK) == 0 && realpath(cand, ttstd.binary))
				return;
		}
	}
	if (!realpath(prog, ttstd.binary))
		snprintf(ttstd.binary, sizeof ttstd.binary, "%s", prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *name = NULL, *sock = NULL, *logpath = NULL;
	char dir[PATH_MAX], *end;
	sigset_t mask;
	int c, status;

	open_std_fds();
	ttstd.timeout_s = 10;
	ttstd.idle_s = 60;
	ttstd.log = stderr;
	while ((c = getopt_long(argc, argv, "+n:s:t:l:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 's': sock = optarg; break;
		case 'l': logpath = optarg; break;
		case 't':
			errno = 0;
			ttstd.timeout_s = (unsigned)strtoul(optarg, &end, 10);
			if (*end || errno || ttstd.timeout_s == 0 || ttstd.timeout_s > 3600) {
				fprintf(stderr, "ttstd: --timeout needs 1..3600 seconds, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'i':
			errno = 0;
			ttstd.idle_s = (unsigned)strtoul(optarg, &end, 10);
			if (*end || errno || ttstd.idle_s == 0 || ttstd.idle_s > 86400) {
				fprintf(stderr, "ttstd: --idle-timeout needs 1..86400 seconds, not '%s'\n", optarg);
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
	snprintf(ttstd.name, sizeof ttstd.name, "%s", name);
	if (logpath && !(ttstd.log = fopen(logpath, "ae")))
		die("cannot open log %s: %s", logpath, strerror(errno));
	if (sock) {
		snprintf(ttstd.sock, sizeof ttstd.sock, "%s", sock);
	} else {
		ttst_runtime_dir(dir, sizeof dir);
		make_runtime_dir(dir);
		snprintf(ttstd.sock, sizeof ttstd.sock, "%.*s/%s.sock", PATH_MAX - 80, dir, name);
	}
	snprintf(ttstd.prog_sock, sizeof ttstd.prog_sock, "%s%s", ttstd.sock, TTST_PROG_SUFFIX);

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
	ttstd.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (ttstd.sigfd < 0)
		die("signalfd: %s", strerror(errno));
	ttstd.client_lfd = listen_on(ttstd.sock);
	ttstd.prog_lfd = listen_on(ttstd.prog_sock);
	ttstd.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (int i = 0; i < MAX_CLIENTS; i++)
		ttstd.clients[i] = -1;
	for (int i = 0; i < MAX_PENDING + MAX_HANDED; i++)
		ttstd.pending[i].fd = ttstd.pending[i].stderr_fd = -1;
	for (int r = 0; r < NROLES; r++)
		ttstd.proc[r].fd = ttstd.proc[r].stderr_fd = -1; /* not proc_reset: 0 is not ours */

	ttstd.argv = calloc((size_t)(argc - optind) + 1, sizeof *ttstd.argv);
	for (int i = optind; i < argc; i++)
		ttstd.argv[i - optind] = strdup(argv[i]);
	resolve_binary(argv[optind]);
	ttstd.ttstd_started = ttstd.version_started = time(NULL);
	journal_init();
	ttstd.proc[PAST].pid = start_program(ttstd.argv);
	logmsg("started %s (pid %d); control socket %s", ttstd.argv[0], (int)ttstd.proc[PAST].pid, ttstd.sock);
	journal_notify("READY=1");

	for (;;) {
		if (ttstd.term_signal) {
			logmsg("forwarding SIG%s to pid %d", sigabbrev_np(ttstd.term_signal),
			       (int)ttstd.proc[PAST].pid);
			kill(ttstd.proc[PAST].pid, ttstd.term_signal);
			ttstd.term_signal = 0;
		}
		if (ttstd.proc[PAST].exited)
			break;
		pump(1000); /* also ages unidentified connections */
		tree_retired_check();
		match_pending();
		drop_idle_clients();
	}
	tree_stop_leftovers();
	char how[128];
	status = ttstd.proc[PAST].status;
	describe_status(status, how, sizeof how);
	logmsg("program pid %d %s", (int)ttstd.proc[PAST].pid, how);
	unlink(ttstd.sock);
	unlink(ttstd.prog_sock);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
