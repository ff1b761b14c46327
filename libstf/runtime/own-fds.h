/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * own-fds.h - libstf's own descriptors, kept open when the program closes
 * every descriptor (own-fds.c).
 *
 * INTERNAL.
 */
#ifndef STF_OWN_FDS_H
#define STF_OWN_FDS_H

/* fd is libstf's from now on: the program's close, close_range and
 * closefrom leave it open. */
void stf__own_fd_keep(int fd);
/* libstf closes its own fd (no longer kept). */
void stf__own_fd_close(int fd);

#endif /* STF_OWN_FDS_H */
