/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * launch.h - starting F and R from P (launch.c).
 *
 * INTERNAL.
 */
#ifndef STF_LAUNCH_H
#define STF_LAUNCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stf_spawn {
	const char *role;      /* "future" or "reversed" */
	const char *path;      /* F: the new version's binary (absolute); R: unused */
	char **argv;           /* NULL-terminated, argv[0] first */
	uint64_t id_base;      /* ttstd's floor for the dynamic IDs of F or R */
	const char *fault;     /* fault to inject (ttst-ctl --fault), NULL: none */
	const char *ctl_sock;  /* ttstd's program socket */
	int ctl_fd;            /* P's own control connection */
	int passed_fd;         /* the connection ttstd made for F or R, -1: none */
};

/* Keep the environment the process starts with, before the program can
 * rewrite it: F and R start with it.  Called once, from ctl.c's
 * constructor. */
void stf__spawn_save_env(void);

/* Start F or R as P's child (fork+exec, inheriting P's descriptors) with
 * P's environment and libstf's variables describing P.  Closes
 * s->passed_fd in any case.  Its pid, or -1 with the reason in err. */
pid_t stf__spawn_version(const struct stf_spawn *s, char *err, size_t errlen);

#endif /* STF_LAUNCH_H */
