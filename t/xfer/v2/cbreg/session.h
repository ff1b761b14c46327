/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: struct session gains members before ticks. */
#ifndef SESSION_H
#define SESSION_H
struct session {
	int id;
	int flags;
	unsigned long created;
	unsigned long ticks;
	char user[16];
};
void session_expire(void *arg);
#endif
