/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * signals.h - the past version's signal handlers, carried to the future.
 *
 * INTERNAL.  exec resets caught signals to their default action, and
 * programs commonly install their handlers in the one-time initialization
 * that the future version skips.  The past version names each handler by
 * the function's static ID (plugin metadata) in the future version's
 * environment; the future version installs the same-named function at
 * commit, for every signal it left at its default action.
 */
#ifndef STF_SIGNALS_H
#define STF_SIGNALS_H

#include <stddef.h>

#define STF_ENV_SIGNALS "STF_SIGNALS"

/* P: "SIG:FLAGS:MASK:FUNCTION-ID;..." for the handlers that are functions
 * of the plugin metadata.  0, or -1 if it does not fit in len. */
int stf__signals_describe(char *buf, size_t len);
/* F at start: keep the description (copied). */
void stf__signals_note(const char *desc);
/* F at commit: install the described handlers where the action is the
 * default one. */
void stf__signals_commit(void);

#endif /* STF_SIGNALS_H */
