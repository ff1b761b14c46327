/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fds.c - the program's descriptors across an update (fds.h).
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
#include <sys/syscall.h>
#include <unistd.h>

#include "fds.h"

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
