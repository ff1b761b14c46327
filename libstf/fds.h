/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fds.h - the program's descriptors across an update.
 *
 * INTERNAL.  Used by ctl.c.  libstf's own descriptors are kept at high
 * numbers, away from 0-2 and from the low numbers a program dup2()s onto
 * or takes for "none".
 * Nothing here allocates.
 */
#ifndef STF_FDS_H
#define STF_FDS_H

#include <stddef.h>
#include <sys/types.h>

/* Move one of libstf's descriptors to a high number, close-on-exec; the
 * new number (fd itself if it cannot be moved). */
int stf__fd_high(int fd);

#endif /* STF_FDS_H */
