/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SESSION_H
#define SESSION_H
struct session {
	int id;
	unsigned long ticks;
	char user[16];
};
void session_expire(void *arg);
#endif
