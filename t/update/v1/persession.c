/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A process-per-session server written the usual way (vsftpd, OpenSSH; t/update
 * update-session.sh): the listener binds two sockets in its one-time
 * initialization, forks one stats worker at startup, and forks a session
 * process per connection accepted on the first socket, which serves that
 * connection until the client closes it; a session dies with its listener
 * (PR_SET_PDEATHSIG, as vsftpd's do).  The listener reaps its sessions from
 * its loop; on SIGTERM it stops its worker and exits, which ends them.
 *
 * Session protocol: each line gets "vN session S line L pid P" (S: the
 * number the listener gave the session, counted in its own state; L: lines
 * served by this session; P: its pid).  Stats socket (the worker), one line per connection: "vN
 * stats served K" (K: requests the worker served, its private state).
 * -DVERSION=2 (or 3) changes the type of the listener's and the worker's
 * state; -DCRASH_WORKER makes the worker of a new version crash in its
 * startup; -DRAW_CLONE makes the session processes with a raw clone() as
 * vsftpd's isolate=YES does (syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWIPC
 * | SIGCHLD, NULL) as root, just SIGCHLD otherwise), where P is the pid
 * /proc gives (getpid() says 1 in a pid namespace of its own).
 */
#define _GNU_SOURCE  /* CLONE_NEWPID */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stf.h"
#include "../listener.h"

#ifndef VERSION
#define VERSION 1
#endif

#if VERSION >= 2
struct counts {
	long long started;  /* sessions forked */
	long long ended;    /* sessions reaped */
	int version_seen;
};
struct wstate {
	long long served;
	int flags;
};
#else
struct counts {
	int started;
	int ended;
};
struct wstate {
	int served;
};
#endif

static int lfd = -1, sfd = -1;   /* sessions, stats */
static struct counts *counts;   /* the listener's */
static struct wstate *ws;       /* the worker's */
static pid_t worker_pid;
static volatile sig_atomic_t got_term;

static void on_term(int sig) { (void)sig; got_term = 1; }
static void on_chld(int sig) { (void)sig; }

/* A session's pid as ttstd sees it. */
static int proc_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);

	if (n <= 0)
		return (int)getpid();
	buf[n] = '\0';
	return atoi(buf);
}

/* A session process: fork(), or a raw clone (-DRAW_CLONE). */
static pid_t new_session(void)
{
#ifdef RAW_CLONE
	return (pid_t)syscall(SYS_clone, SIGCHLD | (geteuid() == 0 ? CLONE_NEWPID | CLONE_NEWIPC : 0),
			      NULL);
#else
	return fork();
#endif
}

static void session(int c, long long number)
{
	char buf[256], out[128];
	long lines = 0;
	size_t have = 0;

	for (;;) {
		char *nl;
		ssize_t n = read(c, buf + have, sizeof buf - 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		have += (size_t)n;
		while ((nl = memchr(buf, '\n', have))) {
			int len = snprintf(out, sizeof out, "v%d session %lld line %ld pid %d\n",
					   VERSION, number, ++lines, proc_pid());
			if (write(c, out, (size_t)len) != len)
				_exit(1);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
		}
		if (have == sizeof buf - 1)
			have = 0;
	}
}

static void worker(void)
{
	signal(SIGTERM, SIG_DFL);
	ws = calloc(1, sizeof *ws);
#ifdef CRASH_WORKER
	if (stf_is_updating())
		abort();
#endif
	for (;;) {
		char out[64], buf[64];
		stf_update_point();
		int c = accept(sfd, NULL, NULL);
		if (c < 0)
			continue;  /* EINTR: to the update point */
		ssize_t n;
		do  /* a signal (the quiescence's kick too) interrupts the read */
			n = read(c, buf, sizeof buf);
		while (n < 0 && errno == EINTR);
		if (n > 0) {
			int len = snprintf(out, sizeof out, "v%d stats served %lld\n", VERSION,
					   (long long)++ws->served);
			if (write(c, out, (size_t)len) < 0)
				perror("write");
		}
		close(c);
	}
}

static void reap(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == worker_pid) {  /* restarted, as masters do */
			fprintf(stderr, "v%d: worker %d ended (status 0x%x): restarted\n", VERSION,
				(int)pid, status);
			if ((worker_pid = fork()) == 0)
				worker();
		} else {
			counts->ended++;
		}
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_chld };  /* no SA_RESTART: accept returns */
	char stats[108];

	if (argc < 2)
		return 2;
	if (!stf_is_updating()) {
		lfd = listen_at("persession", argv[1], SOCK_STREAM, 128);
		snprintf(stats, sizeof stats, "%s.stats", argv[1]);
		sfd = listen_at("persession", stats, SOCK_STREAM, 128);
		counts = calloc(1, sizeof *counts);
	}
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	if ((worker_pid = fork()) == 0)
		worker();
	for (;;) {
		stf_update_point();
		reap();
		if (got_term) {
			kill(worker_pid, SIGTERM);
			waitpid(worker_pid, NULL, 0);
			return 0;
		}
		int c = accept(lfd, NULL, NULL);
		if (c < 0)
			continue;  /* EINTR: a session ended, or the update point */
		long long number = ++counts->started;
		pid_t pid = new_session();
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGCHLD, SIG_DFL);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(lfd);
			close(sfd);
			session(c, number);
		}
		close(c);
	}
}
