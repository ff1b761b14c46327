/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * launch.h - starting F and R from P (launch.c).
 *
 * INTERNAL.
 */
#ifndef STF_LAUNCH_H
#define STF_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

/* Is environment entry e one of libstf's own (STF_...=), which P replaces
 * rather than passes on? */
int stf__env_is_ours(const char *e);

/* fork+exec `path` (argv, envp) as the future or reversed version, keeping
 * descriptor keep_fd open across the exec (-1: none).  Its pid, or -1 with
 * the reason in err. */
pid_t stf__spawn_process(const char *path, char **argv, char **envp, int keep_fd,
			 char *err, size_t errlen);

#endif /* STF_LAUNCH_H */
