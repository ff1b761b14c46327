/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * loop-fds.c - the new startup's descriptors that only a running loop
 * held at the commit, handed from one update to the next.
 *
 * When the new version parks inside an event library's loop on a base its
 * startup made (memcached's workers, in the callback of stf_update_fd()
 * inside event_base_loop()), that base is kept at the commit: the thread
 * goes on down its loop.  From the loop's next round on the program runs
 * the transferred base, and at the next update nothing carried reaches the
 * startup's (unreached.c drops it).  Its descriptors (an epoll instance,
 * a pipe, the eventfds of events it had queued) are then inherited
 * numbers that only dropped blocks name, but a number is no pointer: in
 * a large state each small number is also some int of the transferred
 * state (a connection's socket, a counter, a stale slot of an event
 * buffer), and the conservative rule (startup-fds.c, stf__sweep_left_fds) keeps
 * them all open: memcached's 6-line recipe grew by ~19 descriptors an
 * update.
 *
 * So the sweep of an update (startup.c) notes here the startup
 * descriptors that only blocks kept by the parked threads' stacks named
 * (with what each is, "pipe:[8278675]"), and the next update's new
 * version reads that note in the old version's libstf (the same library
 * file at its own load address): those of them the dropped blocks name,
 * still the same file, are closed without the conservative test.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop-fds.h"
#include "remote.h"

#define MAX_LOOP_FDS 256

struct loop_fd {
	int fd;
	char target[60];
};

/* This process's note, made by the sweep of the update that started it;
 * read by the next update's new version. */
static struct {
	uint32_t n;
	struct loop_fd fd[MAX_LOOP_FDS];
} loop_fds;

void stf__loop_fds_reset(void)
{
	loop_fds.n = 0;
}

void stf__loop_fds_note(int fd, const char *target)
{
	if (loop_fds.n == MAX_LOOP_FDS)
		return; /* left open: never closed on a guess */
	loop_fds.fd[loop_fds.n].fd = fd;
	snprintf(loop_fds.fd[loop_fds.n].target, sizeof(loop_fds.fd[0].target), "%s", target);
	loop_fds.n++;
}

/* The address of the note in the old version's copy of this library, 0 if
 * it runs another file. */
static uint64_t past_note(const struct stf_peer *past)
{
	Dl_info info;
	char real[PATH_MAX];

	if (!dladdr(&loop_fds, &info) || !info.dli_fname || !realpath(info.dli_fname, real))
		return 0;
	for (size_t i = 0; i < past->nlibs; i++)
		if (!strcmp(past->libs[i].path, real))
			return (uint64_t)(uintptr_t)&loop_fds - (uint64_t)(uintptr_t)info.dli_fbase +
			       past->libs[i].bias;
	return 0;
}

int stf__loop_fds_past(const struct stf_peer *past, void (*fn)(void *ctx, int fd,
							      const char *target), void *ctx)
{
	uint64_t at = past_note(past);
	uint32_t n;

	if (!at || stf__peer_read(past, at, &n, sizeof(n)) < 0 || n > MAX_LOOP_FDS)
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		struct loop_fd f;
		if (stf__peer_read(past, at + offsetof(__typeof__(loop_fds), fd) + k * sizeof(f), &f,
				   sizeof(f)) < 0)
			return -1;
		f.target[sizeof(f.target) - 1] = 0;
		fn(ctx, f.fd, f.target);
	}
	return 0;
}
