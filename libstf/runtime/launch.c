/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * launch.c - how the past version P starts the future and reversed
 * versions (the spawn command of ctl.c; see launch.h).
 *
 * F and R inherit P's descriptors and find P through their environment:
 * P's pid and root (to read its state), the first dynamic ID to hand out,
 * the address ranges of P's heap (kept free for its blocks), which
 * descriptors are close-on-exec, P's signal handlers (F), the update
 * descriptor and the shared mappings of a process tree.
 *
 * Runs on P's control thread while P is quiesced: raw system calls and
 * static buffers, no allocation (P's heap is the state F and R compare
 * against).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "ctl.h"
#include "fds.h"
#include "launch.h"
#include "root.h"
#include "signals.h"
#include "tree.h"
#include "update.h"
#include "../ttstd/proto.h"

/* Is environment entry e one of libstf's own (STF_...=), which P replaces
 * rather than passes on? */
static int env_is_ours(const char *e)
{
	static const char *const ours[] = { STF_ENV_CTL "=", STF_ENV_CTL_FD "=", STF_ENV_ROLE "=",
					    STF_ENV_PAST "=", STF_ENV_ID_BASE "=", STF_ENV_FAULT "=",
					    STF_ENV_SIGNALS "=", STF_ENV_FDS "=", STF_ENV_AVOID "=", STF_ENV_SHARED "=",
					    STF_ENV_UPDATE_FD "=" };

	for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
		if (strncmp(e, ours[i], strlen(ours[i])) == 0)
			return 1;
	return 0;
}

/* What the intermediate process tells P through the pipe. */
struct spawn_note {
	char kind; /* 'P': pid of the new process, 'E': errno of its exec */
	int value;
};

/*
 * The path to exec for path: /proc/self/exe names the program's own
 * binary through a descriptor opened on it, "/proc/self/fd/N" (close-on-
 * exec: the kernel opens the file before it closes the descriptor).  The
 * same file natively; under valgrind, whose tool /proc/self/exe is, the
 * open gives the program's binary, the exec would start the tool.
 */
static const char *own_binary(const char *path, char *buf, size_t len)
{
	int fd;

	if (strcmp(path, "/proc/self/exe") ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return path;
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return buf;
}

/*
 * fork+exec `path` as the future or reversed version.  A double fork: the
 * new process is orphaned at once, so ttstd (the subreaper) is its parent
 * and sees its exit status, and the program's own child handling never
 * sees it.  _Fork, not fork: the program's and its libraries' atfork
 * handlers must not run, for the new version inherits P's descriptors as
 * they are (libuv's child handler closes its signal lock pipe and opens
 * another, close-on-exec: the number the transferred state holds would
 * name nothing in F).  The children only exec and write a pipe.
 */
static pid_t spawn_process(const char *path, char **argv, char **envp, int keep_fd, char *err,
			   size_t errlen)
{
	int pfd[2], status;
	pid_t mid, pid = -1;
	struct spawn_note note;
	ssize_t n;

	memset(&note, 0, sizeof note);  /* no uninitialized padding in the pipe */
	stf__tree_internal_fork(true);  /* not a process of the program's tree */

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	mid = _Fork();
	if (mid != 0)
		stf__tree_internal_fork(false);
	if (mid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (mid == 0) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		sigset_t none;

		close(pfd[0]);
		/* Start like P was started: default dispositions, no signal
		 * blocked (this thread blocks them all). */
		for (int s = 1; s < NSIG; s++)
			sigaction(s, &dfl, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		pid_t child = _Fork();
		if (child == 0) {
			char own[32];

			if (keep_fd >= 0)  /* the new process's control connection */
				fcntl(keep_fd, F_SETFD, 0);
			execve(own_binary(path, own, sizeof own), argv, envp);
			note.kind = 'E';
			note.value = errno;
			if (write(pfd[1], &note, sizeof note) < 0)
				_exit(127);
			_exit(127);
		}
		note.kind = 'P';
		note.value = child < 0 ? -errno : child;
		_exit(write(pfd[1], &note, sizeof note) == sizeof note ? 0 : 1);
	}
	close(pfd[1]);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	snprintf(err, errlen, "the intermediate process died before reporting a pid");
	/* EOF once the intermediate is gone and the exec succeeded (the pipe
	 * is close-on-exec). */
	while ((n = read(pfd[0], &note, sizeof note)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof note)
			break;
		if (note.kind == 'P' && note.value < 0) {
			snprintf(err, errlen, "fork: %s", strerror(-note.value));
			pid = -1;
		} else if (note.kind == 'P') {
			pid = note.value;
		} else if (note.kind == 'E') {
			snprintf(err, errlen, "cannot execute %s: %s", path, strerror(note.value));
			pid = -1;
			break;
		}
	}
	close(pfd[0]);
	return pid;
}

#define MAX_ENV 4096 /* environment entries passed on to F and R */

extern char **environ;

/* The environment this process started with, minus libstf's variables:
 * F and R start with it, not with what the program made of `environ`
 * since (nginx keeps only the variables its configuration names), so a
 * pointer into the environment area finds its string in theirs.  NULL
 * (out of memory at start): they get `environ`. */
static char **start_env;

void stf__spawn_save_env(void)
{
	size_t n = 0, bytes = 0;

	for (char **e = environ; e && *e; e++, n++)
		bytes += strlen(*e) + 1;
	if (!(start_env = stf__raw_malloc((n + 1) * sizeof(*start_env) + bytes)))
		return;
	char *p = (char *)(start_env + n + 1);
	for (size_t i = 0; i < n; p += strlen(p) + 1, i++)
		start_env[i] = strcpy(p, environ[i]);
	start_env[n] = NULL;
}

static int check_request(const struct stf_spawn *s, char *err, size_t errlen)
{
	if (!s->role || (strcmp(s->role, "future") && strcmp(s->role, "reversed")))
		snprintf(err, errlen, "spawn needs role=future or role=reversed");
	else if (strcmp(s->role, "future") == 0 && (!s->path || s->path[0] != '/'))
		snprintf(err, errlen, "spawn role=future needs path=<absolute path>");
	else if (!s->argv[0])
		snprintf(err, errlen, "spawn needs at least one arg= (argv[0])");
	else
		return 0;
	return -1;
}

pid_t stf__spawn_version(const struct stf_spawn *s, char *err, size_t errlen)
{
	static char *envp[MAX_ENV + 14]; /* ours (12 at most) and NULL */
	static char e_ctl[sizeof(struct sockaddr_un) + 16], e_ctl_fd[32];
	static char e_role[32], e_past[64], e_base[48], e_fault[256], e_signals[4096];
	static char e_fds[8192], e_shared[4096], e_update_fd[48];
	static char *e_avoid;  /* computed per spawn: the heap as it is now */
	int shared_fds[64];
	size_t nshared = 0;
	int envc = 0;
	pid_t pid = -1;

	if (check_request(s, err, errlen) < 0)
		goto out;
	for (char **e = start_env ? start_env : environ; e && *e; e++) {
		if (env_is_ours(*e))
			continue;
		if (envc == MAX_ENV) {
			snprintf(err, errlen, "more than %d environment variables", MAX_ENV);
			goto out;
		}
		envp[envc++] = *e;
	}
	snprintf(e_ctl, sizeof e_ctl, "%s=%s", STF_ENV_CTL, s->ctl_sock);
	snprintf(e_role, sizeof e_role, "%s=%s", STF_ENV_ROLE, s->role);
	snprintf(e_past, sizeof e_past, "%s=%d:0x%llx", STF_ENV_PAST, (int)getpid(),
		 (unsigned long long)(uintptr_t)&stf__root);
	/* above every ID of the tree: each worker pairs with its own */
	snprintf(e_base, sizeof e_base, "%s=%llu", STF_ENV_ID_BASE,
		 (unsigned long long)(s->id_base > stf__root.next_id ? s->id_base
								      : stf__root.next_id));
	envp[envc++] = e_ctl;
	if (s->passed_fd >= 0) {
		snprintf(e_ctl_fd, sizeof e_ctl_fd, "%s=%d", STF_ENV_CTL_FD, s->passed_fd);
		envp[envc++] = e_ctl_fd;
	}
	envp[envc++] = e_role;
	envp[envc++] = e_past;
	envp[envc++] = e_base;
	stf__raw_free(e_avoid);
	e_avoid = stf__avoid_describe(STF_ENV_AVOID "=");
	if (e_avoid)
		envp[envc++] = e_avoid;
	else
		stf__ctl_warn("cannot describe the heap's address ranges: the new version may "
			      "take addresses the past version's blocks need");
	if (stf__fds_describe(s->ctl_fd, e_fds, sizeof e_fds) < 0)
		stf__ctl_warn("too many close-on-exec descriptors to name: the new version "
			      "keeps them open across its own exec");
	else
		envp[envc++] = e_fds;
	if (stf__update_fd_get() >= 0) {
		snprintf(e_update_fd, sizeof e_update_fd, "%s=%d", STF_ENV_UPDATE_FD,
			 stf__update_fd_get());
		envp[envc++] = e_update_fd;
	}
	if (s->fault) {
		snprintf(e_fault, sizeof e_fault, "%s=%s", STF_ENV_FAULT, s->fault);
		envp[envc++] = e_fault;
	}
	if (strcmp(s->role, "future") == 0) {
		size_t n = (size_t)snprintf(e_signals, sizeof e_signals, "%s=", STF_ENV_SIGNALS);
		if (stf__signals_describe(e_signals + n, sizeof e_signals - n) < 0)
			stf__ctl_warn("too many signal handlers to carry to the new version");
		else
			envp[envc++] = e_signals;
	}
	if (stf__tree_shared_describe(e_shared, sizeof e_shared, shared_fds,
				      sizeof shared_fds / sizeof *shared_fds, &nshared, err,
				      errlen) < 0)
		goto out;
	if (nshared)
		envp[envc++] = e_shared;
	envp[envc] = NULL;

	/* R runs P's own binary, even if it was replaced on disk */
	pid = spawn_process(strcmp(s->role, "reversed") == 0 ? "/proc/self/exe" : s->path,
				 s->argv, envp, s->passed_fd, err, errlen);
out:
	/* the child has its copies; closed before the reply, as ttstd may have
	 * F check our descriptors as soon as it reads it */
	if (s->passed_fd >= 0)
		close(s->passed_fd);
	for (size_t i = 0; i < nshared; i++)
		close(shared_fds[i]);
	return pid;
}
