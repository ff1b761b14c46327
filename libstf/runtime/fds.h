/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fds.h - the program's descriptors across an update.
 *
 * INTERNAL.  Used by ctl.c.  Every descriptor of the past version P reaches
 * the future F and reversed R versions, which are forked from P and exec'd:
 * close-on-exec ones too, so P clears the flag while it is quiesced and
 * sets it again if the update rolls back, and F and R set it again at
 * start on the same numbers (STF_ENV_FDS) so that they look like P.
 * libstf's own descriptors are kept at high numbers, away from 0-2 and
 * from the low numbers a program dup2()s onto or takes for "none".
 * Nothing here allocates.
 */
#ifndef STF_FDS_H
#define STF_FDS_H

#include <stddef.h>
#include <sys/types.h>

/* "<P's control descriptor>:<close-on-exec descriptors of P, comma-separated>",
 * in F and R. */
#define STF_ENV_FDS "STF_FDS"

/* Move one of libstf's descriptors to a high number, close-on-exec; the
 * new number (fd itself if it cannot be moved). */
int stf__fd_high(int fd);

/* Call fn(fd, ctx) for each descriptor open in process `pid` (0: this one)
 * until it returns nonzero; its value, or 0, or -1 when the list cannot be
 * read. */
int stf__fds_each(pid_t pid, int (*fn)(int fd, void *ctx), void *ctx);

/* P, quiesced: clear FD_CLOEXEC on every descriptor but `own` (libstf's
 * control connection), remembering which had it. */
void stf__fds_open_for_exec(int own);

/* P, resuming: set FD_CLOEXEC again where stf__fds_open_for_exec cleared it. */
void stf__fds_restore(void);

/* P: the value of STF_ENV_FDS for F and R; -1 if it does not fit in len. */
int stf__fds_describe(int own, char *buf, size_t len);

/* F, R at start: set FD_CLOEXEC as in P, and remember P's own descriptor
 * and `handed` (the number of our control connection as P passed it) for
 * stf__fds_check_past.  A malformed value is ignored with a warning. */
void stf__fds_note(const char *value, int handed);

/*
 * F: is every descriptor of P (but libstf's) open in this process on the
 * same file?  A new version whose startup closed one (or that lost it
 * otherwise) would find another file, or none, behind a number held in the
 * state.  0 if so; -1 naming the first missing one in err.
 */
int stf__fds_check_past(pid_t past, char *err, size_t errlen);

/*
 * F, R at start: capture what the process writes to descriptor 2 until the
 * commit, for ttstd to quote when the process dies before it (its exit
 * alone seldom says why).  The capture is a memfd, returned for ttstd;
 * the program's own stderr is kept at a high number meanwhile.  -1 if
 * there is nothing to capture with (then nothing changed).
 */
int stf__stderr_capture(void);

/* F at commit: what was captured goes to the program's stderr, which is
 * descriptor 2 again. */
void stf__stderr_release(void);

#endif /* STF_FDS_H */
