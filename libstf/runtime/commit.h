/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * commit.h - the commit of an update in the future version (commit.c).
 *
 * INTERNAL.
 */
#ifndef STF_COMMIT_H
#define STF_COMMIT_H

#include <stdbool.h>

/* Make what F shares with P its own (epoll, library loops, signals,
 * stderr) and give back the transfer's memory. */
void stf__commit_apply(void);
/* Whether the program registered stf_on_commit hooks; run them. */
bool stf__commit_have_hooks(void);
void stf__commit_run_hooks(void);

#endif /* STF_COMMIT_H */
