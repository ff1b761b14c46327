/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * loop-fds.h - the startup's descriptors only a running loop held at the
 * commit, noted for the next update (loop-fds.c).
 *
 * INTERNAL.  startup.c notes them at the end of its sweep and, at the next
 * update, reads the old version's note.
 */
#ifndef STF_LOOP_FDS_H
#define STF_LOOP_FDS_H

struct stf_peer;

/* F, at its sweep: forget the note of the update that started this
 * process... */
void stf__loop_fds_reset(void);
/* ... and note descriptor fd, which /proc/self/fd/FD gives as target. */
void stf__loop_fds_note(int fd, const char *target);
/* F: call fn with each descriptor the past version's note names, and what
 * it was then; -1 if the note cannot be read (another libstf file). */
int stf__loop_fds_past(const struct stf_peer *past,
		       void (*fn)(void *ctx, int fd, const char *target), void *ctx);

#endif /* STF_LOOP_FDS_H */
