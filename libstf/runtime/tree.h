/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tree.h - the program's process tree (DESIGN.md "Process trees").
 *
 * INTERNAL.  A supervised program that forks (a master and its workers)
 * is updated as one tree: every child forked by instrumented code connects
 * to ttstd on its own, naming its parent and its creation order (the n-th
 * fork() of its parent, counting from 1), by which ttstd pairs it with its
 * counterpart in the new tree.  libstf's own forks (spawning F and R) are
 * not counted.
 *
 * Workers and sessions: a child forked before its parent reached its first
 * update point (by the startup code) is a worker, updated with the tree and
 * paired by creation order.  A child forked later (a listener's process per
 * connection, OpenSSH and vsftpd style) serves a session: it is not
 * quiesced, paired nor transferred, keeps its code until it ends, and so do
 * the children it forks.  A session that reaches an update point of its
 * own (a worker its master restarted) becomes a worker from then on.
 *
 * Shared memory (MAP_SHARED|MAP_ANONYMOUS mappings: counters, caches,
 * locks; SysV segments; POSIX shared memory and memfd mappings; MAP_SHARED
 * mappings of files: a scoreboard, a cache file) is not state to transfer
 * but memory the tree shares: P passes
 * each mapping of its own to F and R - a SysV segment by its shmid, the
 * others as a descriptor of the very same memory (/proc/self/map_files,
 * which needs CAP_SYS_ADMIN; POSIX shared memory whose name is still in
 * /dev/shm is opened by it) - and their libstf maps it at the same address
 * before the program's startup, so that the workers they fork share it too
 * and pointers into it keep their value; a file's contents are the file's.
 * What a worker mapped or attached after its fork, its counterpart in F
 * maps the same way before its transfer (stf__tree_shared_adopt).  Its contents stay as they are:
 * a pointer into it whose target type changed between versions fails the
 * transfer (transfer/mappings.c).
 */
#ifndef STF_TREE_H
#define STF_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "<address>:<length>:<fd>,..." of the shared mappings passed on */
#define STF_ENV_SHARED "STF_SHARED"

/* Around libstf's own fork()s: not a process of the program's tree. */
void stf__tree_internal_fork(bool on);
bool stf__tree_is_internal_fork(void);

/* Count a fork of the program (atfork prepare); in the child, record its
 * parent and order and restart the count (atfork child). */
void stf__tree_fork_prepare(void);
void stf__tree_fork_child(void);
/* Startup begins (the root at start, a child at its fork): the first
 * update point from now on ends it (stf__tree_point_reached). */
void stf__tree_start(void);
/* Each update point (stf__park): the first one ends the startup, and makes
 * a session forked by a worker or the root a worker (ctl.c tells ttstd). */
void stf__tree_point_reached(void);
/* Does this process serve a session (not updated with the tree)? */
bool stf__tree_is_session(void);
/* This process's pid as ttstd sees it (in a pid namespace of its own,
 * getpid() is not). */
pid_t stf__tree_pid(void);
/* This process's parent in the tree and creation order; 0 for the root. */
pid_t stf__tree_parent(void);
unsigned stf__tree_order(void);

/*
 * P, before spawning F or R: open each shared anonymous mapping of this
 * process and describe them as STF_ENV_SHARED=... into env (fds opened
 * without close-on-exec; those in fds, nfds, to close after the spawn).  -1 with
 * the reason in err if a mapping cannot be passed on.  env is "" when
 * there are none.
 */
int stf__tree_shared_describe(char *env, size_t len, int *fds, size_t maxfds, size_t *nfds,
			      char *err, size_t errlen);
/* F, R at start: map the mappings STF_ENV_SHARED describes at their
 * addresses.  -1 with the reason in err. */
int stf__tree_shared_map(const char *value, char *err, size_t errlen);

/* F, a worker's counterpart, before its transfer: map the shared mappings
 * of the running version's worker past that are not here (those it made
 * or attached after its fork) at their addresses, the same memory.  -1
 * with the reason, naming the mapping, in err. */
int stf__tree_shared_adopt(pid_t past, char *err, size_t errlen);

/* F, R: is addr in one of those mappings?  A pointer into it keeps its
 * value (the transfer's relocation asks). */
bool stf__tree_shared_kept(uint64_t addr);
/* ... and which one, for messages ("the SysV shared memory segment shmid
 * 3 (key 0x1234) at 0x7f..."). */
const char *stf__tree_shared_what(uint64_t addr, char *buf, size_t len);

#endif /* STF_TREE_H */
