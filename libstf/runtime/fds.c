/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fds.c - the program's descriptors across an update (fds.h).
 *
 * Descriptors are listed with getdents64 on /proc/<pid>/fd into a buffer
 * on the stack: the control thread allocates nothing (P's heap is the
 * state F and R compare against).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fds.h"
#include "own-fds.h"

/* Descriptors whose flag P cleared, as a bitmap; numbers beyond it keep
 * their flag (and do not reach F). */
#define MAX_TRACKED 65536
static uint64_t cleared[MAX_TRACKED / 64];

/* F, R: P's control descriptor and the number our own connection had. */
static int past_own = -1, handed_number = -1;

/* F, R: the program's descriptor 2 while stf__stderr_capture holds 2. */
static int saved_stderr = -1;

/* The directory stf__fds_each() reads: it may take a number the program had. */
static int listing = -1;

int stf__fd_high(int fd)
{
	struct rlimit rl;
	long base = 768;
	int high;

	/* Three quarters of the way to the limit (the usual 1024 gives 768),
	 * no higher: a larger descriptor table costs every process memory. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (long)rl.rlim_cur * 3 / 4 < base)
		base = (long)rl.rlim_cur * 3 / 4;
	if (base < 3)
		base = 3;
	if (fd < 0)
		return fd;
	if (fd >= base) {
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		return fd;
	}
	high = fcntl(fd, F_DUPFD_CLOEXEC, (int)base);
	if (high < 0)
		high = fcntl(fd, F_DUPFD_CLOEXEC, 3); /* at least off 0-2 */
	if (high < 0 || high < fd) {
		if (high >= 0)
			close(high);
		return fd;
	}
	close(fd);
	return high;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int stf__fds_each(pid_t pid, int (*fn)(int fd, void *ctx), void *ctx)
{
	char path[64], buf[4096];
	long n;
	int dir, rc = 0;

	if (pid)
		snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	else
		snprintf(path, sizeof path, "/proc/self/fd");
	dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	listing = dir;
	while (rc == 0 && (n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0)
		for (long off = 0; rc == 0 && off < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
			char *end;
			long fd = strtol(e->d_name, &end, 10);

			off += e->d_reclen;
			if (*end || end == e->d_name || fd < 0 || fd > INT_MAX || (!pid && fd == dir))
				continue;
			rc = fn((int)fd, ctx);
		}
	close(dir);
	listing = -1;
	return rc;
}

static int clear_one(int fd, void *ctx)
{
	int own = *(int *)ctx, flags;

	if (fd == own || fd >= MAX_TRACKED || (flags = fcntl(fd, F_GETFD)) < 0 ||
	    !(flags & FD_CLOEXEC))
		return 0;
	if (fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) == 0)
		cleared[fd / 64] |= 1ull << (fd % 64);
	return 0;
}

void stf__fds_open_for_exec(int own)
{
	memset(cleared, 0, sizeof cleared);
	(void)stf__fds_each(0, clear_one, &own);
}

void stf__fds_restore(void)
{
	for (int w = 0; w < MAX_TRACKED / 64; w++)
		for (int b = 0; cleared[w] && b < 64; b++)
			if (cleared[w] & (1ull << b)) {
				int fd = w * 64 + b, flags = fcntl(fd, F_GETFD);

				if (flags >= 0)
					fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
				cleared[w] &= ~(1ull << b);
			}
}

int stf__fds_describe(int own, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "%s=%d:", STF_ENV_FDS, own);

	if (used >= len)
		return -1;
	for (int fd = 0; fd < MAX_TRACKED; fd++) {
		if (!(cleared[fd / 64] & (1ull << (fd % 64))))
			continue;
		int n = snprintf(buf + used, len - used, "%s%d", buf[used - 1] == ':' ? "" : ",", fd);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return 0;
}

void stf__fds_note(const char *value, int handed)
{
	char *p;
	long own;

	handed_number = handed;
	if (!value)
		return;
	own = strtol(value, &p, 10);
	if (*p != ':') {
		fprintf(stderr, "libstf[%d]: %s=%s is not <fd>:<fd>,...: ignored\n", (int)getpid(),
			STF_ENV_FDS, value);
		return;
	}
	past_own = (int)own;
	while (*++p) {
		long fd = strtol(p, &p, 10);
		int flags = fcntl((int)fd, F_GETFD);

		if (flags >= 0)
			fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
		if (*p != ',')
			break;
	}
}

struct check {
	pid_t past;
	char *err;
	size_t errlen;
	long limit;  /* this process's soft RLIMIT_NOFILE, or LONG_MAX */
};

static int check_one(int fd, void *ctx)
{
	struct check *c = ctx;
	char path[64], mine[64], what[128];
	struct stat theirs, ours;
	ssize_t n;

	/* Numbers at or past the limit are no program's: open, dup and
	 * dup2 refuse them; valgrind keeps its own descriptors there (its
	 * log, its pipes) and lowers the limit its program sees below them. */
	if (fd == past_own || fd == handed_number || fd >= c->limit)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)c->past, fd);
	if (stat(path, &theirs) < 0)
		return 0; /* closed meanwhile, or not ours to see */
	snprintf(mine, sizeof mine, "/proc/self/fd/%d", fd == 2 && saved_stderr >= 0 ? saved_stderr : fd);
	if (fd != listing && stat(mine, &ours) == 0 && ours.st_dev == theirs.st_dev &&
	    ours.st_ino == theirs.st_ino)
		return 0;
	int open_here = fd != listing && fcntl(fd, F_GETFD) >= 0;

	n = readlink(path, what, sizeof what - 1);
	what[n > 0 ? n : 0] = '\0';
	snprintf(c->err, c->errlen, "descriptor %d of the running version (%s) is %s in the "
		 "new version, so a number the state holds would name %s (did the new "
		 "version's startup close it? guard that with stf_is_updating())", fd,
		 n > 0 ? what : "?", open_here ? "another file" : "not open",
		 open_here ? "another file" : "nothing");
	return 1;
}

int stf__fds_check_past(pid_t past, char *err, size_t errlen)
{
	struct check c = { .past = past, .err = err, .errlen = errlen, .limit = LONG_MAX };
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		c.limit = (long)rl.rlim_cur;
	int rc = stf__fds_each(past, check_one, &c);

	return rc > 0 ? -1 : 0; /* an unreadable list: the transfer says why */
}

int stf__stderr_capture(void)
{
	int cap = memfd_create("stf-stderr", MFD_CLOEXEC), keep = -1;

	if (cap >= 0 && fcntl(2, F_GETFD) >= 0)
		keep = stf__fd_high(fcntl(2, F_DUPFD_CLOEXEC, 3));
	if (cap < 0 || keep < 0 || dup2(cap, 2) < 0) {
		if (cap >= 0)
			close(cap);
		if (keep >= 0)
			close(keep);
		return -1;
	}
	saved_stderr = keep;
	stf__own_fd_keep(keep); /* the startup of a daemon closes what it did not open */
	return cap;
}

void stf__stderr_release(void)
{
	char buf[4096];
	off_t off = 0;
	ssize_t n;

	if (saved_stderr < 0)
		return;
	while ((n = pread(2, buf, sizeof buf, off)) > 0) {
		off += n;
		if (write(saved_stderr, buf, (size_t)n) < 0)
			break;
	}
	dup2(saved_stderr, 2);  /* without close-on-exec, as P's */
	stf__own_fd_close(saved_stderr);
	saved_stderr = -1;
}
