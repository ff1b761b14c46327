/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tree.c - the process trees of an update (DESIGN.md "Process trees"):
 * the children the program forks (the workers of a master) connect to
 * ttstd on their own, naming their parent and creation order.  During an
 * update every member of the past tree is quiesced with its root, each
 * member of the future and reversed trees (forked by their roots' startup)
 * is paired with its counterpart, transferred and differenced as a pair of
 * its own, and all are committed or rolled back together.  Sessions (the
 * children a listener forks per connection once its startup is over,
 * libstf/runtime/tree.h) take no part: they go on serving during the
 * update and, after a commit, run the old version until they end, still
 * supervised.  The roots stay in ttstd.proc[] (txn.c); this file handles
 * the rest.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ttstd.h"

#define SETTLE_MS 100 /* F, R: more children may still say hello */
#define SHAPE_WAIT_S 2 /* F, R: no new child for so long: its startup is done */

/* Slots of the past tree's workers that ended outside an update: a child
 * their parent forks later takes one (a master restarting a dead worker). */
#define MAX_VACANT 256
static struct vacancy { pid_t parent; unsigned order; } vacant[MAX_VACANT];
static int nvacant;

/* Take the vacant slot of a worker of parent with the lowest creation
 * order: that order, or 0 if there is none. */
static unsigned take_vacancy(pid_t parent)
{
	int best = -1;
	unsigned order;

	for (int i = 0; i < nvacant; i++)
		if (vacant[i].parent == parent && (best < 0 || vacant[i].order < vacant[best].order))
			best = i;
	if (best < 0)
		return 0;
	order = vacant[best].order;
	vacant[best] = vacant[--nvacant];
	return order;
}

static void member_free(struct member *m)
{
	/* its own workers' slots go with it */
	for (int i = 0; i < nvacant; i++)
		if (vacant[i].parent == m->p.pid)
			vacant[i--] = vacant[--nvacant];
	proc_reset(&m->p);
	m->parent = 0;
	m->order = 0;
	m->pair = -1;
	m->session = 0;
	m->retired = 0;
}

static int is_member(const struct member *m, enum role r)
{
	return m->p.pid > 0 && m->role == r;
}

/* A member updated with the tree: not a session. */
static int is_worker(const struct member *m, enum role r)
{
	return is_member(m, r) && !m->session;
}

int tree_count(enum role r)
{
	int n = 0;

	for (int i = 0; i < MAX_MEMBERS; i++)
		n += is_worker(&ttstd.member[i], r);
	return n;
}

int tree_sessions(void)
{
	int n = 0;

	for (int i = 0; i < MAX_MEMBERS; i++)
		n += ttstd.member[i].p.pid > 0 && ttstd.member[i].session;
	return n;
}

const char *tree_name(const struct member *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s version's child %u of pid %d", role_name[m->role], m->order,
		 (int)m->parent);
	return buf;
}

/* Is pid the root or a member of the tree of role r? */
static int in_tree(enum role r, pid_t pid)
{
	if (pid > 0 && ttstd.proc[r].pid == pid && !ttstd.proc[r].exited)
		return 1;
	for (int i = 0; i < MAX_MEMBERS; i++)
		if (is_member(&ttstd.member[i], r) && ttstd.member[i].p.pid == pid)
			return 1;
	return 0;
}

/* The parent of pid according to /proc, 0 if unknown. */
static pid_t real_parent(pid_t pid)
{
	char path[64], buf[512], *close_paren;
	FILE *f;
	int ppid = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	if (fgets(buf, sizeof buf, f) && (close_paren = strrchr(buf, ')')))
		sscanf(close_paren + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

/* Has the process of member m ended, or is it ending (perhaps not seen
 * yet: exiting, a zombie, or reaped by its parent)?  Not if it only hung
 * up (a worker that exec'd another program: no worker of the program any
 * more, but no slot to fill either). */
static int has_ended(const struct member *m)
{
	char path[64], buf[512], *close_paren, state = 0;
	FILE *f;

	if (m->p.exited)
		return 1;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)m->p.pid);
	if (!(f = fopen(path, "re")))
		return 1;
	if (fgets(buf, sizeof buf, f) && (close_paren = strrchr(buf, ')')))
		sscanf(close_paren + 1, " %c", &state);
	fclose(f);
	if (state == 'Z' || state == 'X')
		return 1;
	/* an exiting process closes its descriptors (our hang-up) after it
	 * released its memory: no executable any more */
	snprintf(path, sizeof path, "/proc/%d/exe", (int)m->p.pid);
	return readlink(path, buf, sizeof buf) < 0 && errno == ENOENT;
}

/* A child its parent forked once its startup was over, in place of a
 * worker that ended (a master restarting a dead worker): the worker of that
 * slot, with the ended one's creation order, so that an update beginning
 * before it reaches its first update point pairs it with the worker the
 * new version forks there.  0, or that order.  Outside an update only:
 * during one, the end of a worker rolls it back. */
static unsigned vacancy(const struct pending *pe)
{
	struct member *found = NULL;
	unsigned order;

	if (!pe->session || ttstd.in_txn || pe->role != PAST)
		return 0;
	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i];

		/* (ended, its hang-up not read yet) */
		if (is_worker(m, PAST) && !m->retired && m->parent == pe->parent &&
		    (!found || m->order < found->order) && has_ended(m))
			found = m;
	}
	if (!found)
		return take_vacancy(pe->parent);
	order = found->order;
	member_free(found);
	return order;
}

int tree_adopt(struct pending *pe)
{
	struct member *m = NULL;

	if (!in_tree(pe->role, pe->parent))
		return 0;
	/* (a session whose listener exited at a commit before its hello was
	 * read is ttstd's child by then) */
	pid_t real = real_parent(pe->pid);
	if (pe->hello_pid != pe->pid || (real != pe->parent && !(pe->session && real == getpid()))) {
		reply_error(pe->fd, "pid %d is no child of pid %d", (int)pe->pid, (int)pe->parent);
		logmsg("refused program connection from pid %d: not a child of pid %d", (int)pe->pid,
		       (int)pe->parent);
		close_pending(pe);
		return -1;
	}
	unsigned slot = vacancy(pe);
	if (slot) {
		logmsg("pid %d (child %u of pid %d) is a worker, in the place of child %u, "
		       "which ended", (int)pe->pid, pe->order, (int)pe->parent, slot);
		pe->order = slot;
		pe->session = 0;
	}
	for (int i = 0; i < MAX_MEMBERS && !m; i++)
		if (ttstd.member[i].p.pid == 0)
			m = &ttstd.member[i];
	if (!m) {
		reply_error(pe->fd, "ttstd supervises at most %d processes besides the program",
			    MAX_MEMBERS);
		logmsg("refused pid %d, child of pid %d: more than %d processes in the tree",
		       (int)pe->pid, (int)pe->parent, MAX_MEMBERS);
		close_pending(pe);
		return -1;
	}
	/* a free slot holds no descriptor (member_free closed them; one never
	 * used is all zero): set, not proc_reset, which would close fd 0 */
	memset(&m->p, 0, sizeof m->p);
	m->p.stderr_fd = -1;
	m->p.pid = pe->pid;
	m->p.fd = pe->fd;
	m->role = pe->role;
	m->parent = pe->parent;
	m->order = pe->order;
	m->pair = -1;
	m->session = pe->session;
	m->generation = ttstd.generation;
	snprintf(m->binary, sizeof m->binary, "%s", ttstd.binary);  /* F's: at the commit */
	pe->fd = -1;  /* the member's now (not close_pending: it lingers) */
	if (pe->stderr_fd > 0)
		close(pe->stderr_fd);
	pe->stderr_fd = -1;
	logmsg("%s version pid %d (%s %u of pid %d) connected", role_name[m->role],
	       (int)m->p.pid, m->session ? "session, child" : "child", m->order, (int)m->parent);
	return 1;
}

int tree_adopt_later(const struct pending *pe)
{
	return ttstd.in_txn && pe->role == PAST && in_tree(FUTURE, pe->parent);
}

int tree_pollfds(struct pollfd *pfd, int *what, int max)
{
	int n = 0;

	for (int i = 0; i < MAX_MEMBERS && n < max; i++)
		if (ttstd.member[i].p.pid > 0 && ttstd.member[i].p.fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = ttstd.member[i].p.fd, .events = POLLIN };
			what[n++] = 400 + i;
		}
	return n;
}

/* A member that ended (a worker that exited or was restarted, a session
 * over) is forgotten, a worker only outside an update (its end rolls the
 * update back: tree_failure). */
static void forget_ended(void)
{
	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i];

		if (m->p.pid <= 0 || !(m->p.hung_up || m->p.exited) || (ttstd.in_txn && !m->session))
			continue;
		if (is_worker(m, PAST) && !m->retired && has_ended(m) && nvacant < MAX_VACANT)
			vacant[nvacant++] = (struct vacancy){ m->parent, m->order };
		member_free(m);
	}
}

void tree_readable(int i)
{
	struct member *m = &ttstd.member[i];
	char err[256];
	int got = ttst_msg_recv(m->p.fd, &m->p.reply, NULL, err, sizeof err);

	if (got < 0 && errno == EBADMSG) {
		logmsg("pid %d sent a bad message: %s", (int)m->p.pid, err);
		return;
	}
	if (got <= 0) {
		close(m->p.fd);
		m->p.fd = -1;
		m->p.hung_up = 1;
		forget_ended();
		return;
	}
	if (ttst_msg_get(&m->p.reply, "event")) {
		if (strcmp(ttst_msg_get(&m->p.reply, "event"), "ready") == 0) {
			m->p.ready = 1;
			m->p.ready_at = now();
			m->p.root = ttst_msg_u64(&m->p.reply, "root", 0);
		} else if (strcmp(ttst_msg_get(&m->p.reply, "event"), "worker") == 0 && m->session) {
			/* a restarted worker at its first update point (an update
			 * under way sees it only at the next one) */
			unsigned slot = m->role == PAST ? take_vacancy(m->parent) : 0;

			m->session = 0;
			m->order = slot ? slot : m->order;
			logmsg("pid %d (child %u of pid %d) is a worker now", (int)m->p.pid, m->order,
			       (int)m->parent);
		}
		return;
	}
	if (ttstd.in_txn)
		m->p.has_reply = 1;
}

int tree_reaped(pid_t pid, int status)
{
	for (int i = 0; i < MAX_MEMBERS; i++)
		if (ttstd.member[i].p.pid == pid) {
			ttstd.member[i].p.exited = 1;
			ttstd.member[i].p.status = status;
			forget_ended();
			return 1;
		}
	return 0;
}

int tree_failure(struct txn *t, enum phase ph)
{
	char name[96];

	if (!ttstd.in_txn || ph >= PH_COMMIT)
		return 0;
	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i];

		if (m->p.pid > 0 && !m->session && (m->p.exited || m->p.hung_up)) {
			describe_failure_p(&m->p, tree_name(m, name, sizeof name), ph, t->reason,
					   sizeof t->reason);
			return -1;
		}
	}
	return 0;
}

int tree_quiesce(struct txn *t, unsigned timeout_ms, uint64_t *next_id)
{
	struct ttst_msgbuf cmd;
	char name[96];

	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "quiesce");
	ttst_msg_addf(&cmd, "timeout_ms", "%u", timeout_ms);
	/* all at once, then their replies */
	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i];

		if (!is_worker(m, PAST))
			continue;
		m->p.has_reply = 0;
		if (m->p.fd < 0 || ttst_msg_send(m->p.fd, &cmd, -1) < 0) {
			snprintf(t->reason, sizeof t->reason, "%s (pid %d) is not connected to ttstd "
				 "(quiescence)", tree_name(m, name, sizeof name), (int)m->p.pid);
			return -1;
		}
	}
	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i];

		if (!is_worker(m, PAST))
			continue;
		tree_name(m, name, sizeof name);
		if (await_p(t, &m->p, name, PH_QUIESCE, 0) < 0)
			return -1;
		m->p.has_reply = 0;
		if (ttst_msg_u64(&m->p.reply, "ok", 0) != 1) {
			const char *err = ttst_msg_get(&m->p.reply, "error");
			snprintf(t->reason, sizeof t->reason, "quiescence failed in the %s (pid %d): %s",
				 name, (int)m->p.pid, err ? err : "(no reason given)");
			return -1;
		}
		m->p.root = ttst_msg_u64(&m->p.reply, "root", 0);
		if (ttst_msg_u64(&m->p.reply, "next_id", 0) > *next_id)
			*next_id = ttst_msg_u64(&m->p.reply, "next_id", 0);
	}
	return 0;
}

/* Rank of each worker of roles r and PAST among its siblings (same role
 * and parent) by creation order, into rank[]: once per pairing, not once
 * per pair (a tree may have hundreds of workers). */
static void rank_members(enum role r, int *rank)
{
	for (int i = 0; i < MAX_MEMBERS; i++) {
		const struct member *m = &ttstd.member[i];

		rank[i] = 0;
		if (!is_worker(m, r) && !is_worker(m, PAST))
			continue;
		for (int k = 0; k < MAX_MEMBERS; k++) {
			const struct member *o = &ttstd.member[k];

			if (is_worker(o, m->role) && o->parent == m->parent && o->order < m->order)
				rank[i]++;
		}
	}
}

/* Pair the members of the tree of role r with the past tree's: the
 * counterpart of a child is the child of its parent's counterpart with the
 * same rank.  A pass per level. */
static void pair_tree(enum role r)
{
	static int rank[MAX_MEMBERS];

	rank_members(r, rank);
	for (int pass = 0, progress = 1; pass < 8 && progress; pass++)
		for (int i = progress = 0; i < MAX_MEMBERS; i++) {
			struct member *m = &ttstd.member[i];
			pid_t cparent = 0;

			if (!is_member(m, r) || m->pair >= 0)
				continue;
			if (m->parent == ttstd.proc[r].pid) {
				cparent = ttstd.proc[PAST].pid;
			} else {
				for (int k = 0; k < MAX_MEMBERS; k++)
					if (is_member(&ttstd.member[k], r) &&
					    ttstd.member[k].p.pid == m->parent && ttstd.member[k].pair >= 0)
						cparent = ttstd.member[ttstd.member[k].pair].p.pid;
			}
			if (!cparent)
				continue;
			for (int k = 0; k < MAX_MEMBERS; k++) {
				struct member *o = &ttstd.member[k];

				if (is_worker(o, PAST) && o->parent == cparent && rank[k] == rank[i]) {
					m->pair = k;
					progress = 1;
				}
			}
		}
}

int tree_await(struct txn *t, enum role r, enum phase ph)
{
	int np = tree_count(PAST), last_n = -1;
	double settled = 0, changed = now();

	for (;;) {
		int n = 0, ready = 0, paired = 0;

		for (int i = 0; i < MAX_MEMBERS; i++)
			if (is_member(&ttstd.member[i], r)) {
				n++;
				ready += ttstd.member[i].p.ready;
			}
		/* only once all are there: a rank changes as siblings arrive */
		if (n == np && ready == n) {
			for (int i = 0; i < MAX_MEMBERS; i++)
				if (is_member(&ttstd.member[i], r))
					ttstd.member[i].pair = -1;
			pair_tree(r);
			for (int i = 0; i < MAX_MEMBERS; i++)
				paired += is_member(&ttstd.member[i], r) && ttstd.member[i].pair >= 0;
		}
		if (tree_failure(t, ph) < 0)
			return -1;
		if (n != last_n) {
			last_n = n;
			changed = now();
		}
		if (n > np || (n < np && now() - changed > SHAPE_WAIT_S)) {
			snprintf(t->reason, sizeof t->reason, "the %s version's startup forked %d "
				 "processes where the running version's tree has %d: they cannot be "
				 "paired (workers are the processes forked before their parent's first "
				 "update point, or restarted and back at an update point before the "
				 "update began)", role_name[r], n, np);
			return -1;
		}
		if (n == np && ready == n) {
			if (paired < n) {
				snprintf(t->reason, sizeof t->reason, "the %s version's tree does not "
					 "have the running version's shape: %d of its %d processes have "
					 "no counterpart (by parent and creation order)", role_name[r],
					 n - paired, n);
				return -1;
			}
			/* counted from the last one's update point: R may
			 * have waited there while F transferred */
			if (!settled) {
				settled = ttstd.proc[r].ready_at;
				for (int i = 0; i < MAX_MEMBERS; i++)
					if (is_member(&ttstd.member[i], r) &&
					    ttstd.member[i].p.ready_at > settled)
						settled = ttstd.member[i].p.ready_at;
				settled += SETTLE_MS / 1e3;
			}
			if (now() >= settled)
				return 0;
		}
		if (now() >= t->deadline) {
			snprintf(t->reason, sizeof t->reason, "timed out after %.0f s during %s: "
				 "the %s version's startup forked %d of the %d processes of the "
				 "running version's tree (%d at an update point)", t->deadline - t->t0,
				 phase_name[ph], role_name[r], n, np, ready);
			return -1;
		}
		pump(20);
		match_pending();  /* hellos that came before their parent was known */
	}
}

/* Let the past member reader's counterpart read it (Yama). */
static int allow(struct txn *t, struct member *pm, pid_t reader, enum phase ph)
{
	struct ttst_msgbuf cmd;
	char name[96];

	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", "allow");
	ttst_msg_addf(&cmd, "reader", "%d", (int)reader);
	return call_p(t, &pm->p, tree_name(pm, name, sizeof name), ph, &cmd, -1, NULL);
}

/* The pid map of the update: each past process and its counterpart. */
void tree_pids(struct ttst_msgbuf *cmd, enum role r)
{
	ttst_msg_addf(cmd, "pid", "%d:%d", (int)ttstd.proc[PAST].pid, (int)ttstd.proc[r].pid);
	for (int i = 0; i < MAX_MEMBERS; i++)
		if (is_member(&ttstd.member[i], r) && ttstd.member[i].pair >= 0)
			ttst_msg_addf(cmd, "pid", "%d:%d",
				      (int)ttstd.member[ttstd.member[i].pair].p.pid,
				      (int)ttstd.member[i].p.pid);
}

int tree_forward(struct txn *t)
{
	struct ttst_msgbuf cmd;
	char name[96];

	/* every member's transfer at once (they read their counterparts, no
	 * one else), then their replies: a wide tree's pause is not the sum */
	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i], *pm;

		if (!is_member(m, FUTURE))
			continue;
		pm = &ttstd.member[m->pair];
		if (allow(t, pm, m->p.pid, PH_FORWARD) < 0)
			return -1;
		ttst_msg_init(&cmd);
		ttst_msg_add(&cmd, "cmd", "forward");
		ttst_msg_addf(&cmd, "past_pid", "%d", (int)pm->p.pid);
		ttst_msg_addf(&cmd, "past_root", "0x%llx", (unsigned long long)pm->p.root);
		tree_pids(&cmd, FUTURE);
		if (t->strict)
			ttst_msg_add(&cmd, "strict", "1");
		m->p.has_reply = 0;
		if (cmd.overflow || m->p.fd < 0 || ttst_msg_send(m->p.fd, &cmd, -1) < 0) {
			tree_name(m, name, sizeof name);
			if (cmd.overflow)
				snprintf(t->reason, sizeof t->reason, "the forward command of the %s "
					 "does not fit in a message (too many processes)", name);
			else
				describe_failure_p(&m->p, name, PH_FORWARD, t->reason, sizeof t->reason);
			return -1;
		}
	}
	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i];
		int rc;

		if (!is_member(m, FUTURE))
			continue;
		rc = reply_p(t, &m->p, tree_name(m, name, sizeof name), PH_FORWARD, NULL);
		/* the engine's problems, in the report with the root's */
		for (int k = 0; k < m->p.reply.nfields; k++)
			if (strcmp(m->p.reply.key[k], "problem") == 0)
				ttst_msg_addf(&t->rep, "fwd_problem", "%s: %s", name, m->p.reply.val[k]);
		if (rc < 0)
			return -1;
	}
	ttst_msg_addf(&t->rep, "processes", "%d", 1 + tree_count(FUTURE));
	return 0;
}

int tree_backward_and_diff(struct txn *t)
{
	struct ttst_msgbuf cmd;
	char name[96], fname[96];
	int sv[2];

	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i], *pm, *fm = NULL;

		if (!is_member(m, REVERSED))
			continue;
		pm = &ttstd.member[m->pair];
		for (int k = 0; k < MAX_MEMBERS; k++)
			if (is_member(&ttstd.member[k], FUTURE) && ttstd.member[k].pair == m->pair)
				fm = &ttstd.member[k];
		tree_name(m, name, sizeof name);
		if (!fm || allow(t, pm, m->p.pid, PH_BACKWARD) < 0) {
			if (!fm)
				snprintf(t->reason, sizeof t->reason, "the %s has no counterpart in the "
					 "future version", name);
			return -1;
		}
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
			snprintf(t->reason, sizeof t->reason, "socketpair: %s", strerror(errno));
			return -1;
		}
		ttst_msg_init(&cmd);
		ttst_msg_add(&cmd, "cmd", "serve");
		ttst_msg_addf(&cmd, "future_pid", "%d", (int)fm->p.pid);
		tree_pids(&cmd, FUTURE);  /* R maps F's pids back to P's */
		m->p.has_reply = 0;
		if (m->p.fd < 0 || ttst_msg_send(m->p.fd, &cmd, sv[1]) < 0) {
			close(sv[0]);
			close(sv[1]);
			describe_failure_p(&m->p, name, PH_BACKWARD, t->reason, sizeof t->reason);
			return -1;
		}
		close(sv[1]);
		ttst_msg_init(&cmd);
		ttst_msg_add(&cmd, "cmd", "backward");
		ttst_msg_addf(&cmd, "rev_pid", "%d", (int)m->p.pid);
		ttst_msg_addf(&cmd, "rev_root", "0x%llx", (unsigned long long)m->p.root);
		int rc = call_p(t, &fm->p, tree_name(fm, fname, sizeof fname), PH_BACKWARD, &cmd,
				sv[0], NULL);
		close(sv[0]);
		if (rc < 0 || await_p(t, &m->p, name, PH_BACKWARD, 0) < 0)
			return -1;
		m->p.has_reply = 0;
		if (ttst_msg_u64(&m->p.reply, "ok", 0) != 1) {
			const char *err = ttst_msg_get(&m->p.reply, "error");
			snprintf(t->reason, sizeof t->reason, "backward transfer failed in the %s: %s",
				 name, err ? err : "(no reason given)");
			return -1;
		}
		ttst_msg_init(&cmd);
		ttst_msg_add(&cmd, "cmd", "diff");
		ttst_msg_addf(&cmd, "past_pid", "%d", (int)pm->p.pid);
		ttst_msg_addf(&cmd, "past_root", "0x%llx", (unsigned long long)pm->p.root);
		if (call_p(t, &m->p, name, PH_DIFF, &cmd, -1, NULL) < 0)
			return -1;
	}
	return 0;
}

/* A command without a reply. */
static void send_cmd(struct member *m, const char *name)
{
	struct ttst_msgbuf cmd;

	ttst_msg_init(&cmd);
	ttst_msg_add(&cmd, "cmd", name);
	if (m->p.fd >= 0)
		(void)ttst_msg_send(m->p.fd, &cmd, -1);
}

static void send_exit(struct member *m)
{
	send_cmd(m, "exit");
}

/* Children of pid that still run (not zombies), workers of the past tree
 * not counted, from /proc. */
static int live_children(pid_t pid)
{
	char path[64], buf[512], state;
	int n = 0;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	if (pid <= 0 || !(d = opendir(path)))
		return 0;
	while ((e = readdir(d))) {
		FILE *f;
		int child;

		snprintf(path, sizeof path, "/proc/%d/task/%.16s/children", (int)pid, e->d_name);
		if (e->d_name[0] == '.' || !(f = fopen(path, "re")))
			continue;
		while (fscanf(f, "%d", &child) == 1) {
			FILE *s;
			int worker = 0;

			for (int i = 0; i < MAX_MEMBERS; i++)
				worker |= is_worker(&ttstd.member[i], PAST) && ttstd.member[i].p.pid == child;
			snprintf(path, sizeof path, "/proc/%d/stat", child);
			if (worker || !(s = fopen(path, "re")))
				continue;
			if (fgets(buf, sizeof buf, s) && strrchr(buf, ')') &&
			    sscanf(strrchr(buf, ')') + 1, " %c", &state) == 1 && state != 'Z')
				n++;
			fclose(s);
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* A past process with sessions stays, parked, until they end (a session
 * may die with its parent: vsftpd's do, PR_SET_PDEATHSIG): a retired
 * member, told to reap its children, then to exit by tree_retired_check. */
static void retire(struct member *m)
{
	m->session = m->retired = 1;
	send_cmd(m, "retire");
	logmsg("pid %d stays, parked, until its sessions end", (int)m->p.pid);
}

/* The same for the past root, which becomes a member: 0, or -1 if there is
 * no room (it exits with the others). */
static int retire_root(void)
{
	struct proc *p = &ttstd.proc[PAST];

	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i];

		if (m->p.pid)
			continue;
		m->p = *p;
		m->role = PAST;
		m->parent = 0;
		m->order = 0;
		m->pair = -1;
		m->generation = ttstd.generation;
		snprintf(m->binary, sizeof m->binary, "%s", ttstd.binary);
		retire(m);
		memset(p, 0, sizeof *p);  /* (its descriptors are the member's) */
		p->fd = p->stderr_fd = -1;
		return 0;
	}
	logmsg("WARNING: no room to keep pid %d until its sessions end: it exits", (int)p->pid);
	return -1;
}

void tree_retired_check(void)
{
	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i];

		if (m->p.pid > 0 && m->retired == 1 && !live_children(m->p.pid)) {
			logmsg("pid %d: its last session ended", (int)m->p.pid);
			send_exit(m);
			m->retired = 2;
		}
	}
}

void tree_commit(struct txn *t, const char *new_binary)
{
	struct ttst_msgbuf cmd;
	char name[96];
	double until;

	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i];

		if (!is_member(m, FUTURE))
			continue;
		ttst_msg_init(&cmd);
		ttst_msg_add(&cmd, "cmd", "resume");
		if (call_p(t, &m->p, tree_name(m, name, sizeof name), PH_COMMIT, &cmd, -1, NULL) < 0)
			logmsg("WARNING: committed, but %s", t->reason);
	}
	if (live_children(ttstd.proc[PAST].pid))
		(void)retire_root();
	if (!tree_count(PAST) && !tree_count(REVERSED))
		goto relabel;
	/* The past master first: its workers must not be seen to die by a
	 * master that could restart them. */
	if (ttstd.proc[PAST].fd >= 0) {
		ttst_msg_init(&cmd);
		ttst_msg_add(&cmd, "cmd", "exit");
		(void)ttst_msg_send(ttstd.proc[PAST].fd, &cmd, -1);
	}
	until = now() + EXIT_GRACE_MS / 1e3;
	while (ttstd.proc[PAST].pid > 0 && !ttstd.proc[PAST].exited && now() < until)
		pump(10);
	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i];

		if (is_worker(m, PAST) && live_children(m->p.pid)) {
			retire(m);
		} else if (is_worker(m, PAST) || is_member(m, REVERSED)) {
			send_exit(m);  /* orphans now: ttstd reaps them */
			member_free(m);
		}
	}
relabel:
	/* the past tree's sessions serve on in the old version, their
	 * parents retired; its workers' slots are not the new tree's */
	nvacant = 0;
	ttstd.generation++;
	for (int i = 0; i < MAX_MEMBERS; i++)
		if (is_member(&ttstd.member[i], FUTURE)) {
			ttstd.member[i].role = PAST;
			ttstd.member[i].pair = -1;
			ttstd.member[i].p.ready = 0;
			ttstd.member[i].generation = ttstd.generation;
			snprintf(ttstd.member[i].binary, sizeof ttstd.member[i].binary, "%s", new_binary);
		}
}

/* Send sig to pid's descendants (depth first), from /proc. */
static void signal_descendants(pid_t pid, int sig, int depth)
{
	char path[64], buf[4096];
	FILE *f;
	DIR *d;
	struct dirent *e;

	if (depth > 8)
		return;
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%.16s/children", (int)pid, e->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		while (fscanf(f, "%4095s", buf) == 1) {
			pid_t child = (pid_t)atoi(buf);

			if (child > 0) {
				signal_descendants(child, sig, depth + 1);
				kill(child, sig);
			}
		}
		fclose(f);
	}
	closedir(d);
}

void tree_kill(enum role r)
{
	if (ttstd.proc[r].pid > 0 && !ttstd.proc[r].exited)
		signal_descendants(ttstd.proc[r].pid, SIGKILL, 0);
	for (int i = 0; i < MAX_MEMBERS; i++)
		if (is_member(&ttstd.member[i], r)) {
			if (!ttstd.member[i].p.exited)
				kill(ttstd.member[i].p.pid, SIGKILL);
			member_free(&ttstd.member[i]);  /* reaped by ttstd once orphaned */
		}
}

void tree_rollback(struct txn *t)
{
	struct ttst_msgbuf cmd;
	char name[96], saved[sizeof t->reason];

	memcpy(saved, t->reason, sizeof saved);
	for (int i = 0; i < MAX_MEMBERS; i++) {
		struct member *m = &ttstd.member[i];

		if (!is_worker(m, PAST) || m->p.fd < 0)
			continue;
		ttst_msg_init(&cmd);
		ttst_msg_add(&cmd, "cmd", "resume");
		if (call_p(t, &m->p, tree_name(m, name, sizeof name), PH_ROLLBACK, &cmd, -1, NULL) < 0)
			logmsg("WARNING: %s did not confirm it resumed: %s", name, t->reason);
	}
	memcpy(t->reason, saved, sizeof saved);
	tree_kill(FUTURE);
	tree_kill(REVERSED);
}

void tree_txn_over(void)
{
	forget_ended();  /* the sessions that ended during the update */
}

void tree_stop_leftovers(void)
{
	double until = now() + EXIT_GRACE_MS / 1e3;
	int status;

	for (int i = 0; i < MAX_MEMBERS; i++)
		if (ttstd.member[i].p.pid > 0 && ttstd.member[i].retired)
			send_exit(&ttstd.member[i]);  /* parked: it would not see SIGTERM */
	/* The program's master is gone: what it left (workers it did not
	 * stop) are our children now.  Stop them, and reap every one so that
	 * none stays behind, not even as a zombie. */
	signal_descendants(getpid(), SIGTERM, 0);
	while (waitpid(-1, &status, WNOHANG) >= 0 && now() < until)
		usleep(10000);
	if (waitpid(-1, &status, WNOHANG) >= 0) {
		logmsg("killing the processes of the program's tree left behind");
		signal_descendants(getpid(), SIGKILL, 0);
		while (waitpid(-1, &status, 0) > 0)
			;
	}
}

void tree_status(struct ttst_msgbuf *m)
{
	ttst_msg_addf(m, "process", "%d master %s", (int)ttstd.proc[PAST].pid, ttstd.binary);
	for (int i = 0; i < MAX_MEMBERS; i++) {
		const struct member *w = &ttstd.member[i];

		if (is_member(w, PAST) && w->retired)
			ttst_msg_addf(m, "process", "%d retired (parked until its sessions end) %s "
				      "(old version)", (int)w->p.pid, w->binary);
		else if (is_member(w, PAST))
			ttst_msg_addf(m, "process", "%d %s %u of %d %s%s", (int)w->p.pid,
				      w->session ? "session, child" : "child", w->order, (int)w->parent,
				      w->binary, w->generation < ttstd.generation ? " (old version)" : "");
	}
}
