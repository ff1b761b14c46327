/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * own-fds.c - descriptors the program's close does not close (own-fds.h).
 *
 * Classic daemons close every descriptor but 0-2 at start (dnsmasq walks
 * /proc/self/fd; others loop up to the limit, or call close_range or
 * closefrom).  Two kinds of descriptor must survive that:
 *  - libstf's own: its control connection to ttstd, opened before main;
 *    without it the program could no longer be updated;
 *  - in the new and reversed versions, until the commit, those inherited
 *    from the running version: their startup runs only to build what the
 *    transfer then replaces with the running version's state, which names
 *    those descriptors, and binding a listener again finds the inherited
 *    socket (rebind.c) only if it is still there.  Those the transferred
 *    state no longer names are closed after the transfer
 *    (transfer/startup-fds.c), as before.
 * So libstf's close, close_range and closefrom, in front of the C
 * library's, leave them open and say they closed them: the number stays
 * taken, so no file of the program's comes to reuse it.  A close that
 * reaches the kernel another way (a raw system call, dup2 onto the
 * number) still closes it; ctl.c then sees its connection gone and stays
 * off the number, and the new version's check of the descriptors it
 * inherited rolls the update back, naming the descriptor.  libstf's own
 * calls (the sweep of the new version's descriptors) close what they say.
 */
#include <dirent.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fds.h"
#include "interpose.h"
#include "own-fds.h"
#include "stf.h"

#define EXPORT __attribute__((visibility("default")))

/* Few: the control connection, and a new one while it is replaced. */
#define MAX_OWN 4
static _Atomic int own[MAX_OWN] = { -1, -1, -1, -1 };

/* F, R: the descriptors open when this process started (the running
 * version's); numbers past the bitmap are not kept. */
#define MAX_INHERITED 4096
static uint64_t inherited[MAX_INHERITED / 64];

static int is_own(int fd)
{
	for (int i = 0; i < MAX_OWN; i++)
		if (fd >= 0 && atomic_load_explicit(&own[i], memory_order_relaxed) == fd)
			return 1;
	return 0;
}

/* libstf's code, from its ELF header to the end of its text (the linker's
 * symbols of this object, hidden: never the program's) */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char __etext[] __attribute__((visibility("hidden")));

static int from_libstf(const void *caller)
{
	return (const char *)caller >= __ehdr_start && (const char *)caller < __etext;
}

static int is_kept(int fd)
{
	return is_own(fd) ||
	       (fd >= 0 && fd < MAX_INHERITED && (inherited[fd / 64] >> (fd % 64) & 1) &&
		stf_role() != STF_ROLE_NORMAL);
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

static int note_inherited(int fd, void *ctx)
{
	(void)ctx;
	if (fd < MAX_INHERITED)
		inherited[fd / 64] |= 1ull << (fd % 64);
	return 0;
}

void stf__own_fds_note_inherited(void)
{
	(void)stf__fds_each(0, note_inherited, NULL);
}

static int close_unkept(int fd)
{
	if (is_kept(fd))
		return 0;
	return STF_NEXT_FN(close_fn *, "close")(fd);
}

EXPORT int close(int fd)
{
	if (from_libstf(__builtin_return_address(0)))
		return STF_NEXT_FN(close_fn *, "close")(fd);
	return close_unkept(fd);
}

/* The lowest kept descriptor in [from, last], or UINT_MAX. */
static unsigned int lowest_kept(unsigned int from, unsigned int last)
{
	unsigned int below = UINT_MAX;

	for (int i = 0; i < MAX_OWN; i++) {
		int fd = atomic_load_explicit(&own[i], memory_order_relaxed);
		if (fd >= 0 && (unsigned int)fd >= from && (unsigned int)fd <= last &&
		    (unsigned int)fd < below)
			below = (unsigned int)fd;
	}
	if (stf_role() == STF_ROLE_NORMAL)
		return below;
	for (unsigned int fd = from; fd <= last && fd < below && fd < MAX_INHERITED; fd++)
		if (inherited[fd / 64] >> (fd % 64) & 1)
			return fd;
	return below;
}

typedef int close_range_fn(unsigned int, unsigned int, int);

/* The C library's close_range over [first, last] without the kept
 * descriptors: the pieces between them, lowest first. */
static int close_range_unkept(unsigned int first, unsigned int last, int flags)
{
	close_range_fn *next = STF_NEXT_FN(close_range_fn *, "close_range");
	unsigned int from = first;

	for (;;) {
		unsigned int below = lowest_kept(from, last);
		if (below == UINT_MAX)
			return from <= last ? next(from, last, flags) : 0;
		if (below > from && next(from, below - 1, flags) < 0)
			return -1;
		if (below == last)
			return 0;
		from = below + 1;
	}
}
EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	if (from_libstf(__builtin_return_address(0)))
		return STF_NEXT_FN(close_range_fn *, "close_range")(first, last, flags);
	return close_range_unkept(first, last, flags);
}

/* glibc's closefrom calls the kernel's close_range itself, and falls back
 * to closing what /proc/self/fd lists: so do we, around the kept ones. */
EXPORT void closefrom(int lowfd)
{
	DIR *d;
	struct dirent *e;

	if (lowfd < 0)
		lowfd = 0;
	if (close_range_unkept((unsigned int)lowfd, UINT_MAX, 0) == 0)
		return;
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd >= lowfd && fd != dirfd(d))
			close_unkept(fd);
	}
	closedir(d);
}
