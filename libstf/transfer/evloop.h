/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * evloop.h - event libraries' loop state across an update (evloop.c).
 *
 * INTERNAL.  F plans during the forward transfer which libevent bases it
 * received from inside their loop, and clears their running flag at
 * commit (commit.c), after the reversed version got them as they were;
 * every thread ends the GLib dispatch it was received in where it resumes
 * (update.c).
 */
#ifndef STF_EVLOOP_H
#define STF_EVLOOP_H

#include <stdint.h>

struct stf_xfer;

/* F, before the forward transfer allocates anything: measure libevent's
 * struct event_base on a scratch base (nothing if libevent is not loaded)
 * and GLib's GSource flags (stf__glib_measure). */
void stf__evloop_measure(void);
/* F, after the forward transfer: note the bases to reset; refuse the
 * update if GLib's flags could not be measured (stf__glib_plan), or if a
 * static the transfer overwrote holds a queued event, or a queue could
 * not be read (stf__evloop_queued_load).  0, or -1. */
int stf__evloop_plan(struct stf_xfer *x);
/* F, at commit: reset them. */
void stf__evloop_commit(void);

struct stf_peer;
/* F, forward, before planning where the old objects go (inplace.c): note
 * the events on the active queues of this process's (self's) libevent
 * bases a thread is inside the loop of. */
void stf__evloop_queued_load(const struct stf_peer *self);
/* Does [addr, addr + size) hold one of them?  1 too if a queue could not
 * be read (stf__evloop_plan then refuses the update). */
int stf__evloop_queued_in(uint64_t addr, uint64_t size);

/* evloop-glib.c.  GLib's GSource flags word, measured on a probe. */
void stf__glib_measure(void);
/* 0, or -1 (the update fails) if GLib's main loop is here and its
 * measurement disagreed. */
int stf__glib_plan(struct stf_xfer *x);
/* F, after the commit, in every thread where it resumes from its update
 * point: end the GLib dispatch the old version's thread was in (its
 * source stays "in call" and blocked otherwise). */
void stf__evloop_resumed(void);

#endif /* STF_EVLOOP_H */
