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
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "ctl.h"
#include "stf.h"
#include "tree.h"

static _Thread_local bool internal;  /* only the forking thread's fork */
#define MAX_SHARED 64
static struct { uint64_t addr, size; int shmid; } shared[MAX_SHARED];  /* mapped at start */
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

/* /proc/self/maps read line by line into a static buffer (P allocates
 * nothing). */
struct lines {
	int fd;
	char buf[8192];
	size_t have, used;
};

/* The next line, NULL at the end (an over-long line ends the list). */
static char *next_line(struct lines *l)
{
	char *nl;

	memmove(l->buf, l->buf + l->used, l->have - l->used);
	l->have -= l->used;
	l->used = 0;
	while (!(nl = memchr(l->buf, '\n', l->have))) {
		ssize_t n = l->have < sizeof l->buf ? read(l->fd, l->buf + l->have,
							   sizeof l->buf - l->have) : 0;
		if (n <= 0)
			return NULL;
		l->have += (size_t)n;
	}
	*nl = '\0';
	l->used = (size_t)(nl + 1 - l->buf);
	return l->buf;
}

/* What a shared mapping of /proc/self/maps is, for messages; "" if it is
 * none the tree shares (a shared mapping of a regular file is the file's). */
static const char *shared_kind(const char *path)
{
	if (strcmp(path, "/dev/zero (deleted)") == 0)
		return "the shared anonymous mapping";
	if (strncmp(path, "/SYSV", 5) == 0)
		return "the SysV shared memory segment";
	if (strncmp(path, "/dev/shm/", 9) == 0)
		return "the POSIX shared memory";
	if (strncmp(path, "/memfd:", 7) == 0)
		return "the memfd mapping";
	return "";
}

/* A descriptor of the memory of the mapping [lo, hi) (not close-on-exec:
 * the exec of F or R inherits it): through /proc/self/map_files, which
 * needs CAP_SYS_ADMIN, else by its name if it still has one (POSIX shared
 * memory not unlinked) and that is the same file. */
static int open_shared(unsigned long long lo, unsigned long long hi, const char *path,
		       unsigned long long inode, int writable)
{
	char mf[64];
	struct stat st;
	int fd, saved;

	snprintf(mf, sizeof mf, "/proc/self/map_files/%llx-%llx", lo, hi);
	fd = open(mf, writable ? O_RDWR : O_RDONLY);
	if (fd >= 0 || strncmp(path, "/dev/shm/", 9) != 0 || strstr(path, " (deleted)"))
		return fd;
	saved = errno;
	fd = open(path, writable ? O_RDWR : O_RDONLY);
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_ino != inode)) {
		close(fd);
		fd = -1;
	}
	errno = saved;
	return fd;
}

int stf__tree_shared_describe(char *env, size_t len, int *fds, size_t maxfds, size_t *nfds,
			      char *err, size_t errlen)
{
	static struct lines l;
	size_t n = 0;
	char *line;
	int rc = 0;

	*nfds = 0;
	env[0] = '\0';
	l.have = l.used = 0;
	l.fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (l.fd < 0) {
		snprintf(err, errlen, "/proc/self/maps: %s", strerror(errno));
		return -1;
	}
	n = (size_t)snprintf(env, len, "%s=", STF_ENV_SHARED);
	while (rc == 0 && (line = next_line(&l))) {
		unsigned long long lo, hi, off, inode;
		char perm[5];
		int at = 0, prot, fd;

		if (sscanf(line, "%llx-%llx %4s %llx %*s %llu %n", &lo, &hi, perm, &off, &inode,
			   &at) != 5 || perm[3] != 's' || !at || !*shared_kind(line + at))
			continue;
		prot = (perm[0] == 'r' ? PROT_READ : 0) | (perm[1] == 'w' ? PROT_WRITE : 0) |
		       (perm[2] == 'x' ? PROT_EXEC : 0);
		if (strncmp(line + at, "/SYSV", 5) == 0) {
			/* attached again by its id (the inode): no privilege needed */
			n += (size_t)snprintf(env + n, n < len ? len - n : 0, "%ss%llx:%llx:%x:%llu:%llx",
					      n > strlen(STF_ENV_SHARED) + 1 ? "," : "",
					      lo, hi - lo, (unsigned)prot, inode, off);
		} else {
			fd = *nfds < maxfds ? open_shared(lo, hi, line + at, inode, prot & PROT_WRITE) : -1;
			if (fd < 0) {
				int e = *nfds < maxfds ? errno : EMFILE;
				snprintf(err, errlen, "%s %s at 0x%llx (%llu bytes) cannot be handed to "
					 "the new version: %s%s", shared_kind(line + at), line + at, lo,
					 hi - lo, strerror(e), e == EPERM || e == EACCES ? " (it is "
					 "reached through /proc/PID/map_files, which needs CAP_SYS_ADMIN: "
					 "run ttstd and the program as root, or keep the shared memory's "
					 "name in /dev/shm while the program runs)" : "");
				rc = -1;
				break;
			}
			fds[(*nfds)++] = fd;
			n += (size_t)snprintf(env + n, n < len ? len - n : 0, "%sf%llx:%llx:%x:%d:%llx",
					      n > strlen(STF_ENV_SHARED) + 1 ? "," : "", lo, hi - lo,
					      (unsigned)prot, fd, off);
		}
		if (n >= len) {
			snprintf(err, errlen, "too many shared mappings to hand to the new version");
			rc = -1;
		}
	}
	close(l.fd);
	if (rc < 0) {
		for (size_t i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		return -1;
	}
	if (n == strlen(STF_ENV_SHARED) + 1)
		env[0] = '\0';
	return 0;
}

/* F, R: attach the SysV segment shmid at addr - off (once: a segment
 * whose pages have several protections has a line each), and give
 * [addr, addr + size) its protection. */
static int attach_sysv(uint64_t addr, uint64_t size, int prot, int shmid, uint64_t off,
		       char *err, size_t errlen)
{
	void *base = (void *)(uintptr_t)(addr - off);
	struct shmid_ds ds;

	if (!stf__tree_shared_kept(addr - off)) {
		void *m = shmat(shmid, base, prot & PROT_WRITE ? 0 : SHM_RDONLY);
		if (m != base) {
			int e = errno;
			snprintf(err, errlen, "cannot attach the running version's SysV shared memory "
				 "segment shmid %d (key 0x%x) at 0x%" PRIx64 " as it is: %s", shmid,
				 shmctl(shmid, IPC_STAT, &ds) == 0 ? (unsigned)ds.shm_perm.__key : 0,
				 addr - off, m == (void *)-1 ? strerror(e) : "placed elsewhere");
			if (m != (void *)-1)
				shmdt(m);
			return -1;
		}
	}
	if (mprotect((void *)(uintptr_t)addr, size, prot) < 0) {
		snprintf(err, errlen, "cannot protect the SysV shared memory segment shmid %d "
			 "at 0x%" PRIx64 ": %s", shmid, addr, strerror(errno));
		return -1;
	}
	return 0;
}

int stf__tree_shared_map(const char *value, char *err, size_t errlen)
{
	const char *p = value;

	while (p && *p) {
		unsigned long long addr, size, off;
		unsigned prot;
		int arg, used = 0;
		char kind = *p++;

		if ((kind != 'f' && kind != 's') ||
		    sscanf(p, "%llx:%llx:%x:%d:%llx%n", &addr, &size, &prot, &arg, &off, &used) != 5) {
			snprintf(err, errlen, "%s=%s is not [fs]<address>:<length>:<prot>:<fd or "
				 "shmid>:<offset>,...", STF_ENV_SHARED, value);
			return -1;
		}
		if (kind == 's') {
			if (attach_sysv(addr, size, (int)prot, arg, off, err, errlen) < 0)
				return -1;
		} else {
			void *m = stf__raw_mmap((void *)(uintptr_t)addr, size, (int)prot,
						MAP_SHARED | MAP_FIXED_NOREPLACE, arg, (long)off);
			if (m == MAP_FAILED || m != (void *)(uintptr_t)addr) {
				snprintf(err, errlen, "cannot map the running version's shared mapping "
					 "at 0x%llx (%llu bytes) at the same address: %s", addr, size,
					 m == MAP_FAILED ? strerror(errno) : "placed elsewhere");
				return -1;
			}
			close(arg);
		}
		if (nshared < MAX_SHARED) {
			shared[nshared].addr = addr;
			shared[nshared].size = size;
			shared[nshared++].shmid = kind == 's' ? arg : -1;
		}
		p += used;
		if (*p == ',')
			p++;
	}
	return 0;
}

const char *stf__tree_shared_what(uint64_t addr, char *buf, size_t len)
{
	for (size_t i = 0; i < nshared; i++) {
		char path[64], target[128];
		ssize_t n;

		if (addr < shared[i].addr || addr - shared[i].addr >= shared[i].size)
			continue;
		if (shared[i].shmid >= 0) {
			struct shmid_ds ds;
			snprintf(buf, len, "the SysV shared memory segment shmid %d (key 0x%x) at "
				 "0x%" PRIx64, shared[i].shmid, shmctl(shared[i].shmid, IPC_STAT, &ds) == 0 ?
				 (unsigned)ds.shm_perm.__key : 0, shared[i].addr);
			return buf;
		}
		snprintf(path, sizeof path, "/proc/self/map_files/%" PRIx64 "-%" PRIx64,
			 shared[i].addr, shared[i].addr + shared[i].size);
		n = readlink(path, target, sizeof target - 1);
		target[n > 0 ? n : 0] = '\0';
		if (n > 0 && strncmp(target, "/dev/zero", 9) != 0)
			snprintf(buf, len, "%s %s at 0x%" PRIx64, shared_kind(target), target,
				 shared[i].addr);
		else
			snprintf(buf, len, "the shared anonymous mapping at 0x%" PRIx64 " (%" PRIu64
				 " bytes)", shared[i].addr, shared[i].size);
		return buf;
	}
	snprintf(buf, len, "memory the tree shares");
	return buf;
}

bool stf__tree_shared_kept(uint64_t addr)
{
	for (size_t i = 0; i < nshared; i++)
		if (addr >= shared[i].addr && addr - shared[i].addr < shared[i].size)
			return true;
	return false;
}
