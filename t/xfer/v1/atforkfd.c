/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A library's fork handler (libuv's signal lock pipe): in a forked child
 * it closes its pipe and opens another, close-on-exec.  The new version
 * must still get the running version's descriptors, not the ones such a
 * handler would leave (none, after the exec). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include "xt.h"

static int lock_pipe[2] = { -1, -1 };

static void reopen_in_child(void)
{
	close(lock_pipe[0]);
	close(lock_pipe[1]);
	if (pipe2(lock_pipe, O_CLOEXEC))
		_exit(1);
}

static __attribute__((noinline)) void init(void)
{
	if (pipe2(lock_pipe, O_CLOEXEC))
		_exit(1);
	pthread_atfork(NULL, NULL, reopen_in_child);
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
