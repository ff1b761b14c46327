/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pids.h - process identities across a tree update (DESIGN.md "Process
 * trees"): once the state of a process of the new tree is in place, each
 * value of type pid_t in it that names a process of the old tree is made
 * to name that process's counterpart (a master's table of its workers),
 * so the master still signals, reaps and restarts them.  R does the
 * reverse after the backward transfer, so that R's state compares equal
 * to P's.
 *
 * INTERNAL.  The map comes from ttstd with the forward and serve commands
 * (`pid=<old>:<new>` fields).  A value is recognized by its declared type:
 * the typedef pid_t (or __pid_t) of a variable, a member or an array
 * element.  A plain int holding a pid of the old tree (a master's
 * `int pids[N]`) is renamed too, and listed in the report as a problem
 * naming it (its type says nothing; a value that only happens to equal a
 * pid would change); --strict refuses it instead.  A single process is
 * a tree of one: its own pid kept as a pid_t (dnsmasq's signal handler
 * compares it with getpid()) names the new process.
 */
#ifndef STF_PIDS_H
#define STF_PIDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stf_pid_pair {
	pid_t from, to;
};

struct stf_xfer_report;

/* What is done with a plain int holding a pid of the map. */
enum stf_pid_ints {
	STF_PID_INTS_LIST,   /* renamed, and listed in the report's problems */
	STF_PID_INTS_REFUSE, /* refused (listed, -1) */
	STF_PID_INTS_RENAME, /* renamed */
	STF_PID_INTS_LEAVE,  /* left as it is */
};

/* Rewrite this process's pid_t values found in map[].from to map[].to;
 * the number rewritten in *count; plain ints holding such a value as
 * ints says.  -1 with the reason in rep->error if the state cannot be
 * read. */
int stf__pids_remap(const struct stf_pid_pair *map, size_t n, enum stf_pid_ints ints,
		    struct stf_xfer_report *rep, uint64_t *count);

/* The map of the update, one `<old>:<new>` pair at a time (ctl.c, from
 * the command's pid= fields). */
void stf__pids_clear(void);
void stf__pids_note(const char *pair);
/* Once the state is in place: its pids name the counterparts (F; strict:
 * plain ints holding one are refused), or the past processes again (R:
 * back).  -1 with the reason in rep->error. */
int stf__pids_apply(int back, int strict, struct stf_xfer_report *rep);

#endif /* STF_PIDS_H */
