/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * own-fds.h - descriptors the program's close does not close: libstf's
 * own, and in the new version until the commit the running version's
 * (own-fds.c).
 *
 * INTERNAL.
 */
#ifndef STF_OWN_FDS_H
#define STF_OWN_FDS_H

/* fd is libstf's from now on: the program's close, close_range and
 * closefrom leave it open. */
void stf__own_fd_keep(int fd);
/* F, R, at start: the descriptors open now are the running version's;
 * until the commit, the program's close leaves them open. */
void stf__own_fds_note_inherited(void);
/* libstf closes its own fd (no longer kept). */
void stf__own_fd_close(int fd);

#endif /* STF_OWN_FDS_H */
