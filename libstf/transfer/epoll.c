/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * epoll.c - relocation of pointers kept in epoll registrations (epoll.h).
 *
 * The registrations of an epoll instance are listed, with their data word,
 * in /proc/self/fdinfo/<epfd> ("tfd: N events: X data: Y ...").  Nothing
 * here allocates with the program's malloc: the plan lives in pages of its
 * own, and it is only applied once the update has committed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "alloc.h"
#include "epoll.h"

struct epoll_fix {
	int epfd, fd;
	uint32_t events;
	uint64_t data;
};

static struct epoll_fix *fixes;
static size_t nfixes, capfixes;

static int add_fix(const struct epoll_fix *f)
{
	if (nfixes == capfixes) {
		size_t ncap = capfixes ? 2 * capfixes : 64;
		struct epoll_fix *n = stf__raw_realloc(fixes, ncap * sizeof *n);
		if (!n)
			return -1;
		fixes = n;
		capfixes = ncap;
	}
	fixes[nfixes++] = *f;
	return 0;
}

static int is_epoll(int fd)
{
	char path[64], target[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n <= 0)
		return 0;
	target[n] = 0;
	return strcmp(target, "anon_inode:[eventpoll]") == 0;
}

/* Plan the registrations of one epoll instance. */
static int plan_instance(int epfd, stf_epoll_relocate_fn relocate, void *ctx,
			 char *err, size_t errlen)
{
	char path[64], buf[65536];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* closed meanwhile: nothing registered to fix */
	size_t len = 0;
	for (ssize_t n; len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0;)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	if (len == sizeof buf - 1) {
		snprintf(err, errlen, "epoll instance %d has too many registrations to "
			 "relocate their data", epfd);
		return -1;
	}
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		int tfd;
		unsigned events;
		uint64_t data, moved;
		if (sscanf(line, "tfd: %d events: %x data: %" SCNx64, &tfd, &events, &data) != 3)
			continue;
		int r = relocate(ctx, data, &moved, err, errlen);
		if (r < 0) {
			size_t used = strlen(err);
			snprintf(err + used, errlen - used,
				 " (data of fd %d in epoll instance %d)", tfd, epfd);
			return -1;
		}
		if (r > 0 || moved == data)
			continue;
		/* EPOLLEXCLUSIVE registrations cannot be modified (EINVAL). */
		if (events & EPOLLEXCLUSIVE) {
			snprintf(err, errlen, "fd %d in epoll instance %d holds a pointer to "
				 "state but is registered with EPOLLEXCLUSIVE, which cannot be "
				 "modified: register it with the fd in its data instead", tfd, epfd);
			return -1;
		}
		struct epoll_fix f = { .epfd = epfd, .fd = tfd, .events = events, .data = moved };
		if (add_fix(&f) < 0) {
			snprintf(err, errlen, "out of memory planning epoll relocations");
			return -1;
		}
	}
	return 0;
}

int stf__epoll_plan(stf_epoll_relocate_fn relocate, void *ctx, uint64_t *planned,
		    char *err, size_t errlen)
{
	DIR *d = opendir("/proc/self/fd");
	int rc = 0;

	nfixes = 0;
	if (!d)
		return 0; /* no /proc: no registration can be seen, none fixed */
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || fd == dirfd(d) || !is_epoll((int)fd))
			continue;
		rc = plan_instance((int)fd, relocate, ctx, err, errlen);
	}
	closedir(d);
	if (rc < 0)
		nfixes = 0;
	*planned = nfixes;
	return rc;
}

void stf__epoll_data_each(void (*fn)(void *ctx, uint64_t data), void *ctx)
{
	DIR *d = opendir("/proc/self/fd");
	char path[64], buf[65536];

	for (struct dirent *e; d && (e = readdir(d));) {
		char *end;
		long epfd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || epfd == dirfd(d) || !is_epoll((int)epfd))
			continue;
		snprintf(path, sizeof path, "/proc/self/fdinfo/%ld", epfd);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		size_t len = 0;
		for (ssize_t n; fd >= 0 && len < sizeof buf - 1 &&
		     (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0;)
			len += (size_t)n;
		if (fd >= 0)
			close(fd);
		buf[len] = 0;
		for (char *line = buf; line && *line;
		     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
			int tfd;
			unsigned events;
			uint64_t data;
			if (sscanf(line, "tfd: %d events: %x data: %" SCNx64, &tfd, &events, &data) == 3)
				fn(ctx, data);
		}
	}
	if (d)
		closedir(d);
}

void stf__epoll_commit(void)
{
	for (size_t i = 0; i < nfixes; i++) {
		struct epoll_event ev = { .events = fixes[i].events, .data.u64 = fixes[i].data };
		if (epoll_ctl(fixes[i].epfd, EPOLL_CTL_MOD, fixes[i].fd, &ev) < 0)
			fprintf(stderr, "libstf[%d]: epoll: cannot relocate the data of fd %d "
				"in epoll instance %d: %s\n", (int)getpid(), fixes[i].fd,
				fixes[i].epfd, strerror(errno));
	}
	nfixes = 0;
}
