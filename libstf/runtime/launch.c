/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * launch.c - how the past version P starts the future and reversed
 * versions (ctl.c's cmd_spawn decides what they get: arguments,
 * environment, descriptors).
 *
 * Runs on P's control thread while P is quiesced: raw system calls, no
 * allocation (P's heap is the state F and R compare against).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "fds.h"
#include "signals.h"
#include "launch.h"
#include "tree.h"

int stf__env_is_ours(const char *e)
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
 * fork+exec `path` as the future or reversed version.  A double fork: the
 * new process is orphaned at once, so ttstd (the subreaper) is its parent
 * and sees its exit status, and the program's own child handling never
 * sees it.
 */
pid_t stf__spawn_process(const char *path, char **argv, char **envp, int keep_fd,
				 char *err, size_t errlen)
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
	mid = fork();
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
		pid_t child = fork();
		if (child == 0) {
			if (keep_fd >= 0)  /* the new process's control connection */
				fcntl(keep_fd, F_SETFD, 0);
			execve(path, argv, envp);
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
