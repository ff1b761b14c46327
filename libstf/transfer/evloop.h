/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * evloop.h - event libraries' loop state across an update (evloop.c).
 *
 * INTERNAL.  F plans during the forward transfer which libevent bases it
 * received from inside their loop, and clears their running flag at
 * commit (ctl.c), after the reversed version got them as they were; the
 * thread that handed over ends the GLib dispatch it was received in.
 */
#ifndef STF_EVLOOP_H
#define STF_EVLOOP_H

struct stf_xfer;

/* F, before the forward transfer allocates anything: measure libevent's
 * struct event_base on a scratch base (nothing if libevent is not loaded). */
void stf__evloop_measure(void);
/* F, after the forward transfer: note the bases to reset.  0, or -1. */
int stf__evloop_plan(struct stf_xfer *x);
/* F, at commit: reset them. */
void stf__evloop_commit(void);
/* F, after the commit, in the thread that handed over: end the GLib
 * dispatch the old version's thread was in (its source stays "in call"). */
void stf__evloop_resumed(void);

#endif /* STF_EVLOOP_H */
