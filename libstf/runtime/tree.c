/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tree.c - the program's process tree: creation order of forked children
 * (a raw fork-like clone made a fork), which of them are workers and which
 * serve a session, and the shared mappings handed to the new tree, the
 * master's at its start and each worker's before its transfer (see tree.h).
 * Allocates nothing: it runs in P, whose heap is state.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "ctl.h"
#include "interpose.h"
#include "heap.h"
#include "stf.h"
#include "tree.h"

static _Thread_local bool internal;  /* only the forking thread's fork */
#define MAX_SHARED 256
static struct { uint64_t addr, size; int shmid; } shared[MAX_SHARED];  /* mapped here */
static size_t nshared;
static unsigned forks;     /* children forked so far by this process */
static unsigned order;     /* ours, in our parent */
static pid_t parent;
static pid_t self;         /* our pid as /proc and ttstd see it; 0: not read yet */
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

/* Our pid as /proc sees it: in a pid namespace of our own (a session
 * cloned with CLONE_NEWPID, vsftpd's isolate=YES) getpid() says 1 and
 * getppid() 0, but ttstd knows us by the pids of its namespace, which is
 * /proc's. */
static pid_t proc_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
	long v;

	if (n <= 0)
		return getpid();
	buf[n] = '\0';
	v = strtol(buf, NULL, 10);
	return v > 0 ? (pid_t)v : getpid();
}

pid_t stf__tree_pid(void)
{
	if (!self)
		self = proc_pid();
	return self;
}

void stf__tree_fork_prepare(void)
{
	if (!internal) {
		forks++;
		(void)stf__tree_pid();  /* the child's parent */
	}
}

void stf__tree_fork_child(void)
{
	pid_t forker = self;

	self = 0;
	if (internal)
		return;
	order = forks;
	parent = forker ? forker : getppid();
	forks = 0;
	/* forked once its parent's startup was over: a session, until it
	 * reaches an update point of its own (a restarted worker does) */
	session_by_parent = session;
	session = session || atomic_load(&reached);
	stf__tree_start();
}

/*
 * A child made by a raw clone() that copies the process like fork() -
 * syscall(SYS_clone, SIGCHLD [| namespaces], NULL), as vsftpd's isolate=YES
 * does - would skip the fork handlers (libstf's among them: the child
 * would not be a process of the tree, nor have its allocator and control
 * state of its own).  Made with fork() instead: a new pid namespace by
 * unshare() for the children before it (and setns() back after), the
 * other namespaces by unshare() in the child.  Any other clone goes to
 * the system as it is.
 */
#define CLONE_NAMESPACES (CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS | \
			  CLONE_NEWNS | CLONE_NEWCGROUP)

static long clone_as_fork(unsigned long flags)
{
	int nsfd = -1, e;
	pid_t pid;

	if ((flags & CLONE_NAMESPACES & ~(unsigned long)CLONE_NEWPID) && geteuid() != 0) {
		errno = EPERM;  /* what clone says (no user namespace here) */
		return -1;
	}
	if (flags & CLONE_NEWPID) {
		nsfd = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || unshare(CLONE_NEWPID) < 0) {
			e = errno;
			if (nsfd >= 0)
				close(nsfd);
			errno = e;
			return -1;
		}
	}
	pid = fork();
	if (pid == 0) {
		if (nsfd >= 0)
			close(nsfd);
		if (unshare((int)(flags & CLONE_NAMESPACES & ~(unsigned long)CLONE_NEWPID)) < 0) {
			char msg[128];
			int n = snprintf(msg, sizeof msg, "libstf: clone as fork: unshare 0x%lx: %s\n",
					 flags & CLONE_NAMESPACES, strerror(errno));
			ssize_t written = write(2, msg, (size_t)n);

			(void)written;  /* exiting either way */
			_exit(127);
		}
		return 0;
	}
	e = errno;
	if (nsfd >= 0) {
		if (setns(nsfd, CLONE_NEWPID) < 0)
			stf__warn("cannot return to the pid namespace for children after a clone");
		close(nsfd);
	}
	errno = e;
	return pid;
}

EXPORT long syscall(long number, ...)
{
	long (*next)(long, ...) = STF_NEXT_FN(long (*)(long, ...), "syscall");
	long a[6];
	va_list ap;

	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (number == SYS_clone && !a[1] && ((unsigned long)a[0] & CSIGNAL) == SIGCHLD &&
	    !((unsigned long)a[0] & ~(CSIGNAL | CLONE_NAMESPACES)))
		return clone_as_fork((unsigned long)a[0]);
	if (!next) {
		errno = ENOSYS;
		return -1;
	}
	return next(number, a[0], a[1], a[2], a[3], a[4], a[5]);
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

/* What a shared mapping of /proc/PID/maps is, for messages; "" if it is
 * none the tree shares (devices: their driver's, not memory). */
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
	if (path[0] == '/' && strncmp(path, "/dev/", 5) != 0)
		return "the shared mapping of the file";
	return "";
}

/* A line of /proc/PID/maps that is a shared mapping the tree shares. */
struct shared_line {
	unsigned long long lo, hi, off, inode;
	int prot;
	const char *path;
};

static bool parse_shared(const char *line, struct shared_line *s)
{
	char perm[5];
	int at = 0;

	if (sscanf(line, "%llx-%llx %4s %llx %*s %llu %n", &s->lo, &s->hi, perm, &s->off,
		   &s->inode, &at) != 5 || perm[3] != 's' || !at || !*shared_kind(line + at))
		return false;
	s->prot = (perm[0] == 'r' ? PROT_READ : 0) | (perm[1] == 'w' ? PROT_WRITE : 0) |
		  (perm[2] == 'x' ? PROT_EXEC : 0);
	s->path = line + at;
	return true;
}

/* A descriptor of the memory of the mapping s of process pid (not
 * close-on-exec: the exec of F or R inherits it): through
 * /proc/PID/map_files, which needs CAP_SYS_ADMIN, else by its name if it
 * still has one (a file, POSIX shared memory not unlinked) and that is the
 * same file. */
static int open_shared(pid_t pid, const struct shared_line *s)
{
	char mf[64];
	struct stat st;
	int fd, saved, mode = s->prot & PROT_WRITE ? O_RDWR : O_RDONLY;

	snprintf(mf, sizeof mf, "/proc/%d/map_files/%llx-%llx", (int)pid, s->lo, s->hi);
	fd = open(mf, mode);
	if (fd >= 0 || strstr(s->path, " (deleted)") ||
	    (strncmp(s->path, "/dev/shm/", 9) != 0 && strncmp(s->path, "/dev/", 5) == 0) ||
	    strncmp(s->path, "/memfd:", 7) == 0)
		return fd;
	saved = errno;
	fd = open(s->path, mode);
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_ino != s->inode)) {
		close(fd);
		fd = -1;
	}
	errno = saved;
	return fd;
}

/* Why the mapping s cannot be handed on (errno e), into err. */
static void cannot_hand_on(const struct shared_line *s, int e, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s %s at 0x%llx (%llu bytes) cannot be handed to the new "
		 "version: %s%s", shared_kind(s->path), s->path, s->lo, s->hi - s->lo, strerror(e),
		 e == EPERM || e == EACCES ? " (it is reached through /proc/PID/map_files, "
		 "which needs CAP_SYS_ADMIN: run ttstd and the program as root, or keep the "
		 "shared memory's name in /dev/shm, or the file's, while the program runs)" : "");
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
		struct shared_line s;
		int fd;

		if (!parse_shared(line, &s))
			continue;
		if (strncmp(s.path, "/SYSV", 5) == 0) {
			/* attached again by its id (the inode): no privilege needed */
			n += (size_t)snprintf(env + n, n < len ? len - n : 0, "%ss%llx:%llx:%x:%llu:%llx",
					      n > strlen(STF_ENV_SHARED) + 1 ? "," : "",
					      s.lo, s.hi - s.lo, (unsigned)s.prot, s.inode, s.off);
		} else {
			fd = *nfds < maxfds ? open_shared(getpid(), &s) : -1;
			if (fd < 0) {
				cannot_hand_on(&s, *nfds < maxfds ? errno : EMFILE, err, errlen);
				rc = -1;
				break;
			}
			fds[(*nfds)++] = fd;
			n += (size_t)snprintf(env + n, n < len ? len - n : 0, "%sf%llx:%llx:%x:%d:%llx",
					      n > strlen(STF_ENV_SHARED) + 1 ? "," : "", s.lo, s.hi - s.lo,
					      (unsigned)s.prot, fd, s.off);
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

/* A mapping of the tree mapped here: pointers into it keep their value. */
static int remember(uint64_t addr, uint64_t size, int shmid, char *err, size_t errlen)
{
	if (nshared == MAX_SHARED) {
		snprintf(err, errlen, "more than %d shared mappings to map at the running "
			 "version's addresses", MAX_SHARED);
		return -1;
	}
	shared[nshared].addr = addr;
	shared[nshared].size = size;
	shared[nshared++].shmid = shmid;
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
		if (remember(addr, size, kind == 's' ? arg : -1, err, errlen) < 0)
			return -1;
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

/* Is the mapping s of another process mapped here, the same memory at the
 * same place (inherited from our parent)? */
static bool mapped_here(const struct shared_line *s)
{
	static struct lines l;
	struct shared_line own;
	bool found = false;
	char *line;

	l.have = l.used = 0;
	if ((l.fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	while (!found && (line = next_line(&l)))
		found = parse_shared(line, &own) && own.lo == s->lo && own.hi == s->hi &&
			own.inode == s->inode && own.off == s->off;
	close(l.fd);
	return found;
}

int stf__tree_shared_adopt(pid_t past, char *err, size_t errlen)
{
	static struct lines l;
	char path[64], *line;
	int rc = 0;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)past);
	l.have = l.used = 0;
	if ((l.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (line = next_line(&l))) {
		struct shared_line s;
		void *m;
		int fd;

		if (!parse_shared(line, &s) || mapped_here(&s))
			continue;
		if (strncmp(s.path, "/SYSV", 5) == 0) {
			rc = attach_sysv(s.lo, s.hi - s.lo, s.prot, (int)s.inode, s.off, err, errlen);
		} else if ((fd = open_shared(past, &s)) < 0) {
			cannot_hand_on(&s, errno, err, errlen);
			rc = -1;
		} else {
			m = stf__raw_mmap((void *)(uintptr_t)s.lo, s.hi - s.lo, s.prot,
					  MAP_SHARED | MAP_FIXED_NOREPLACE, fd, (long)s.off);
			close(fd);
			if (m != (void *)(uintptr_t)s.lo) {
				snprintf(err, errlen, "cannot map %s %s that pid %d mapped after its "
					 "fork, at 0x%llx (%llu bytes), at the same address: %s",
					 shared_kind(s.path), s.path, (int)past, s.lo, s.hi - s.lo,
					 m == MAP_FAILED ? strerror(errno) : "placed elsewhere");
				if (m != MAP_FAILED)
					munmap(m, s.hi - s.lo);
				rc = -1;
			}
		}
		if (rc == 0)
			rc = remember(s.lo, s.hi - s.lo, strncmp(s.path, "/SYSV", 5) == 0 ?
				      (int)s.inode : -1, err, errlen);
	}
	close(l.fd);
	return rc;
}
