/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * journal.h - ttstd under systemd: log lines with sd-daemon priority
 * prefixes when stderr is the journal, and readiness/status notifications
 * over $NOTIFY_SOCKET (sd_notify's protocol, without libsystemd).
 */
#ifndef TTSTD_JOURNAL_H
#define TTSTD_JOURNAL_H

#include <stdio.h>

/* Take NOTIFY_SOCKET and JOURNAL_STREAM from the environment (and remove
 * NOTIFY_SOCKET so the supervised program does not talk to systemd in
 * ttstd's name).  Call once, before starting the program. */
void journal_init(void);
/* If log is the journal's stream, write msg as one line with a priority
 * prefix ("<4>" for warnings and rollbacks, "<6>" otherwise; the journal
 * adds the time) and return 1; else 0. */
int journal_log(FILE *log, const char *name, const char *msg);
/* sd_notify: send state ("READY=1", "STATUS=...") if systemd asked for
 * notifications; a no-op otherwise. */
void journal_notify(const char *state);

#endif /* TTSTD_JOURNAL_H */
