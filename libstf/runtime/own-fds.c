/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * own-fds.c - libstf's own descriptors, kept open when the program closes
 * every descriptor (own-fds.h).
 *
 * Classic daemons close every descriptor but 0-2 at start (dnsmasq walks
 * /proc/self/fd; others loop up to the limit, or call close_range or
 * closefrom): libstf's control connection to ttstd, opened before main,
 * would go with them, and the program could no longer be updated.  So
 * libstf's close, close_range and closefrom, in front of the C library's,
 * leave libstf's own descriptors open and say they closed them: the
 * number stays taken, so no file of the program's comes to reuse it.  A
 * close that reaches the kernel another way (a raw system call, dup2 onto
 * the number) still closes it; ctl.c then sees its connection gone and
 * stays off the number.
 */
#include <dirent.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "interpose.h"
#include "own-fds.h"

#define EXPORT __attribute__((visibility("default")))

/* Few: the control connection, and a new one while it is replaced. */
#define MAX_OWN 4
static _Atomic int own[MAX_OWN] = { -1, -1, -1, -1 };

static int is_own(int fd)
{
	for (int i = 0; i < MAX_OWN; i++)
		if (fd >= 0 && atomic_load_explicit(&own[i], memory_order_relaxed) == fd)
			return 1;
	return 0;
}

void stf__own_fd_keep(int fd)
{
	for (int i = 0; i < MAX_OWN; i++) {
		int none = -1;
		if (atomic_compare_exchange_strong(&own[i], &none, fd))
			return;
	}
}

typedef int close_fn(int);

void stf__own_fd_close(int fd)
{
	for (int i = 0; i < MAX_OWN; i++) {
		int mine = fd;
		atomic_compare_exchange_strong(&own[i], &mine, -1);
	}
	STF_NEXT_FN(close_fn *, "close")(fd);
}

EXPORT int close(int fd)
{
	if (is_own(fd))
		return 0;
	return STF_NEXT_FN(close_fn *, "close")(fd);
}

typedef int close_range_fn(unsigned int, unsigned int, int);

/* The C library's close_range over [first, last] without libstf's own:
 * the pieces between them, lowest first. */
EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	close_range_fn *next = STF_NEXT_FN(close_range_fn *, "close_range");
	unsigned int from = first;

	for (;;) {
		unsigned int below = UINT_MAX; /* the lowest own descriptor in [from, last] */
		for (int i = 0; i < MAX_OWN; i++) {
			int fd = atomic_load_explicit(&own[i], memory_order_relaxed);
			if (fd >= 0 && (unsigned int)fd >= from && (unsigned int)fd <= last &&
			    (unsigned int)fd < below)
				below = (unsigned int)fd;
		}
		if (below == UINT_MAX)
			return from <= last ? next(from, last, flags) : 0;
		if (below > from && next(from, below - 1, flags) < 0)
			return -1;
		if (below == last)
			return 0;
		from = below + 1;
	}
}

/* glibc's closefrom calls the kernel's close_range itself, and falls back
 * to closing what /proc/self/fd lists: so do we, around our own. */
EXPORT void closefrom(int lowfd)
{
	DIR *d;
	struct dirent *e;

	if (lowfd < 0)
		lowfd = 0;
	if (close_range((unsigned int)lowfd, UINT_MAX, 0) == 0)
		return;
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd >= lowfd && fd != dirfd(d))
			close(fd);
	}
	closedir(d);
}
