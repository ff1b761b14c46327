/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tree.c - the program's process tree: creation order of forked children,
 * which of them are workers and which serve a session, and the shared
 * anonymous mappings handed to the new tree (see tree.h).
 * Allocates nothing: it runs in P, whose heap is state.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "ctl.h"
#include "stf.h"
#include "tree.h"

static _Thread_local bool internal;  /* only the forking thread's fork */
#define MAX_SHARED 64
static struct { uint64_t addr, size; } shared[MAX_SHARED];  /* mapped at start */
static size_t nshared;
static unsigned forks;     /* children forked so far by this process */
static unsigned order;     /* ours, in our parent */
static pid_t parent;
static atomic_bool reached;   /* this process reached an update point */
static bool session;          /* it serves a session: not updated */
static bool session_by_parent; /* ... because its parent does: for good */

void stf__tree_internal_fork(bool on)
{
	internal = on;
}

bool stf__tree_is_internal_fork(void)
{
	return internal;
}

void stf__tree_fork_prepare(void)
{
	if (!internal)
		forks++;
}

void stf__tree_fork_child(void)
{
	if (internal)
		return;
	order = forks;
	parent = getppid();
	forks = 0;
	/* forked once its parent's startup was over: a session, until it
	 * reaches an update point of its own (a restarted worker does) */
	session_by_parent = session;
	session = session || atomic_load(&reached);
	stf__tree_start();
}

void stf__tree_start(void)
{
	atomic_store(&reached, false);
	stf__update_pending = 1;  /* the first update point calls in: stf__park */
}

void stf__tree_point_reached(void)
{
	if (atomic_load_explicit(&reached, memory_order_relaxed) || atomic_exchange(&reached, true))
		return;
	if (session && !session_by_parent) {
		session = false;
		stf__ctl_tree_joined();
	}
}

bool stf__tree_is_session(void)
{
	return session;
}

pid_t stf__tree_parent(void)
{
	return parent;
}

unsigned stf__tree_order(void)
{
	return order;
}

/* The next line of an open /proc file read with a static buffer: NULL at
 * the end. */
static char *next_line(int fd, char *buf, size_t size, size_t *have)
{
	static size_t used;
	char *nl;

	if (used) {
		memmove(buf, buf + used, *have - used);
		*have -= used;
		used = 0;
	}
	while (!(nl = memchr(buf, '\n', *have))) {
		ssize_t n = *have < size ? read(fd, buf + *have, size - *have) : 0;
		if (n <= 0)
			return NULL;  /* (an over-long line ends the list) */
		*have += (size_t)n;
	}
	*nl = '\0';
	used = (size_t)(nl + 1 - buf);
	return buf;
}

int stf__tree_shared_describe(char *env, size_t len, int *fds, size_t maxfds, size_t *nfds,
			      char *err, size_t errlen)
{
	static char buf[8192];
	size_t have = 0, n = 0;
	int mfd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	char *line;
	int rc = 0;

	*nfds = 0;
	env[0] = '\0';
	if (mfd < 0) {
		snprintf(err, errlen, "/proc/self/maps: %s", strerror(errno));
		return -1;
	}
	n = (size_t)snprintf(env, len, "%s=", STF_ENV_SHARED);
	while (rc == 0 && (line = next_line(mfd, buf, sizeof buf, &have))) {
		unsigned long long lo, hi;
		char perm[5], path[64];
		int at = 0;

		if (sscanf(line, "%llx-%llx %4s %*s %*s %*s %n", &lo, &hi, perm, &at) != 3 ||
		    perm[3] != 's' || !at || strcmp(line + at, "/dev/zero (deleted)") != 0)
			continue;
		snprintf(path, sizeof path, "/proc/self/map_files/%llx-%llx", lo, hi);
		int fd = *nfds < maxfds ? open(path, O_RDWR) : -1;  /* inherited by the exec */
		if (fd < 0) {
			snprintf(err, errlen, "the shared anonymous mapping at 0x%llx (%llu bytes) "
				 "cannot be handed to the new version: %s: %s%s", lo, hi - lo, path,
				 *nfds < maxfds ? strerror(errno) : "too many shared mappings",
				 errno == EPERM || errno == EACCES ? " (it needs CAP_SYS_ADMIN: run "
				 "ttstd and the program as root)" : "");
			rc = -1;
			break;
		}
		fds[(*nfds)++] = fd;
		n += (size_t)snprintf(env + n, n < len ? len - n : 0, "%s%llx:%llx:%d",
				      *nfds > 1 ? "," : "", lo, hi - lo, fd);
		if (n >= len) {
			snprintf(err, errlen, "too many shared mappings to hand to the new version");
			rc = -1;
		}
	}
	close(mfd);
	if (rc < 0) {
		for (size_t i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		return -1;
	}
	if (*nfds == 0)
		env[0] = '\0';
	return 0;
}

int stf__tree_shared_map(const char *value, char *err, size_t errlen)
{
	const char *p = value;

	while (p && *p) {
		unsigned long long addr, size;
		int fd, used = 0;

		if (sscanf(p, "%llx:%llx:%d%n", &addr, &size, &fd, &used) != 3) {
			snprintf(err, errlen, "%s=%s is not <address>:<length>:<fd>,...",
				 STF_ENV_SHARED, value);
			return -1;
		}
		void *m = stf__raw_mmap((void *)(uintptr_t)addr, size, PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
		if (m == MAP_FAILED || m != (void *)(uintptr_t)addr) {
			snprintf(err, errlen, "cannot map the running version's shared mapping at "
				 "0x%llx (%llu bytes) at the same address: %s", addr, size,
				 m == MAP_FAILED ? strerror(errno) : "placed elsewhere");
			return -1;
		}
		close(fd);
		if (nshared < MAX_SHARED)
			shared[nshared++].addr = addr, shared[nshared - 1].size = size;
		p += used;
		if (*p == ',')
			p++;
	}
	return 0;
}

bool stf__tree_shared_kept(uint64_t addr)
{
	for (size_t i = 0; i < nshared; i++)
		if (addr >= shared[i].addr && addr - shared[i].addr < shared[i].size)
			return true;
	return false;
}
