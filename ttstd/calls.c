/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * calls.c - the transaction's calls to one process (F, R or a member of
 * their trees): send it a command, await its readiness or reply, and when
 * it died, hung up, refused or timed out, say why in the report (its exit
 * status and what it means, the end of its stderr).  Kept apart from
 * txn.c, which sequences the phases, because tree.c makes the same calls
 * to the members of the trees.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ttstd.h"

/* How long the report of a process that died unconnected waits for its
 * hello, already sent but not read yet. */
#define HELLO_READ_S 0.1

/* What an exit status of F or R means, beyond its number. */
static const char *status_meaning(int status)
{
	if (!WIFEXITED(status))
		return "";
	switch (WEXITSTATUS(status)) {
	case 0:
		return " (it ended on its own before it was committed: a new version "
		       "must run on to its first update point)";
	case 70:
		return " (libstf's code for a lost control connection: the program closed "
		       "it, or ttstd refused or dropped it)";
	case 127:
		return " (it could not be executed, or a library it needs is missing)";
	default:
		return "";
	}
}

/* "; its stderr ends: '...'" from the capture of F's or R's stderr: the
 * last lines, on one line; "" if it wrote nothing. */
static void stderr_tail(const struct proc *p, char *buf, size_t len)
{
	char raw[320], *s;
	struct stat st;
	off_t from;
	ssize_t n;

	buf[0] = '\0';
	if (p->stderr_fd <= 0 || fstat(p->stderr_fd, &st) < 0 || st.st_size == 0)
		return;
	from = st.st_size > (off_t)sizeof raw - 1 ? st.st_size - (off_t)sizeof raw + 1 : 0;
	n = pread(p->stderr_fd, raw, sizeof raw - 1, from);
	if (n <= 0)
		return;
	raw[n] = '\0';
	while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == ' '))
		raw[--n] = '\0';
	s = raw;
	if (from > 0 && strchr(s, '\n'))  /* a whole first line */
		s = strchr(s, '\n') + 1;
	for (char *c = s; *c; c++)
		if (*c == '\n')
			*c = '|';
		else if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	snprintf(buf, len, "; its stderr ends: '%s%s'", from > 0 ? "..." : "", s);
}

/* The exit status of pid if it is a zombie (from /proc/PID/stat, field
 * 52, as waitpid would report it): 1 if so. */
static int zombie_status(pid_t pid, int *status)
{
	char path[64], buf[1024], *p;
	FILE *f;
	int ok = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) && p[1] == ' ' && p[2] == 'Z') {
		/* fields 3..51 after the command, then exit_code */
		p += 2;
		for (int field = 3; field < 52 && p; field++)
			p = strchr(p + 1, ' ');
		ok = p && sscanf(p, " %d", status) == 1;
	}
	fclose(f);
	return ok;
}

/* Why process p (named `who`: "future version") failed, once it died or
 * hung up (waits briefly for the exit status so the report can name the
 * signal). */
void describe_failure_p(struct proc *p, const char *who, enum phase ph, char *buf, size_t len)
{
	double until = now() + EXIT_GRACE_MS / 1e3;
	char how[128], tail[400];

	while (!p->exited && now() < until) {
		if (zombie_status(p->pid, &p->status)) {
			p->exited = 1;  /* a worker: its parent, not ttstd, would reap it */
			break;
		}
		pump(20);
	}
	/* one that died before ttstd read its hello: read it for the
	 * capture of its stderr, which came with it */
	for (double t2 = now() + HELLO_READ_S; p->fd < 0 && p->stderr_fd <= 0 && now() < t2;)
		pump(10);
	stderr_tail(p, tail, sizeof tail);
	if (p->exited) {
		describe_status(p->status, how, sizeof how);
		snprintf(buf, len, "%s (pid %d) %s during %s%s%s", who,
			 (int)p->pid, how, phase_name[ph], status_meaning(p->status), tail);
	} else {
		snprintf(buf, len, "%s (pid %d) closed its control connection during %s%s",
			 who, (int)p->pid, phase_name[ph], tail);
	}
}

/* Wait until process p is ready (F, R) or has replied (any); -1 with the
 * reason in t->reason on its death, hang-up or timeout, or a failure of
 * another process of the trees (tree_failure). */
int await_p(struct txn *t, struct proc *p, const char *who, enum phase ph, int want_ready)
{
	for (;;) {
		if (want_ready ? p->ready : p->has_reply)
			return 0;
		if (p->refused[0]) {
			snprintf(t->reason, sizeof t->reason, "%s", p->refused);
			return -1;
		}
		if (p->exited || p->hung_up) {
			describe_failure_p(p, who, ph, t->reason, sizeof t->reason);
			return -1;
		}
		if (tree_failure(t, ph) < 0)
			return -1;
		double left = t->deadline - now();
		if (left <= 0) {
			snprintf(t->reason, sizeof t->reason,
				 "timed out after %.0f s during %s (%s pid %d %s)",
				 t->deadline - t->t0, phase_name[ph], who, (int)p->pid,
				 p->fd >= 0 ? "did not answer" : "never connected to ttstd");
			return -1;
		}
		pump(left > 0.5 ? 500 : (int)(left * 1000) + 1);
	}
}

/* Send a command to process p and wait for its reply, which must be `ok=1`;
 * copy the reply's other fields into the report with `prefix` (NULL: do
 * not). */
int call_p(struct txn *t, struct proc *p, const char *who, enum phase ph,
	   struct ttst_msgbuf *cmd, int pass_fd, const char *prefix)
{
	return send_p(t, p, who, ph, cmd, pass_fd) < 0 ? -1 : reply_p(t, p, who, ph, prefix);
}

/* The first half of call_p: send, the reply awaited with reply_p. */
int send_p(struct txn *t, struct proc *p, const char *who, enum phase ph,
	   struct ttst_msgbuf *cmd, int pass_fd)
{
	p->has_reply = 0;
	if (cmd->overflow) {
		snprintf(t->reason, sizeof t->reason,
			 "the %s command does not fit in a message (arguments too long?)",
			 phase_name[ph]);
		return -1;
	}
	if (p->fd < 0 || ttst_msg_send(p->fd, cmd, pass_fd) < 0) {
		if (p->fd >= 0 || p->exited || p->hung_up)
			describe_failure_p(p, who, ph, t->reason, sizeof t->reason);
		else
			snprintf(t->reason, sizeof t->reason,
				 "%s pid %d is not connected to ttstd (%s)",
				 who, (int)p->pid, phase_name[ph]);
		return -1;
	}
	return 0;
}

int reply_p(struct txn *t, struct proc *p, const char *who, enum phase ph, const char *prefix)
{
	const char *err;

	if (await_p(t, p, who, ph, 0) < 0)
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
			 "state differs after the round trip (%llu difference%s) in the %s, first: %s",
			 (unsigned long long)ttst_msg_u64(&p->reply, "differences", 1),
			 ttst_msg_u64(&p->reply, "differences", 1) == 1 ? "" : "s", who,
			 first && *first ? first : "(not named)");
		return -1;
	}
	if (ttst_msg_u64(&p->reply, "ok", 0) != 1) {
		int more = -1; /* problems besides the first, each listed whole */

		for (int i = 0; i < p->reply.nfields; i++)
			more += strcmp(p->reply.key[i], "problem") == 0;
		more += (int)ttst_msg_u64(&p->reply, "problems_omitted", 0);
		err = ttst_msg_get(&p->reply, "error");
		snprintf(t->reason, sizeof t->reason, "%s failed in the %s: %s%s",
			 phase_name[ph], who, err ? err : "(no reason given)",
			 more > 0 ? " (and more problems, listed below)" : "");
		return -1;
	}
	return 0;
}
