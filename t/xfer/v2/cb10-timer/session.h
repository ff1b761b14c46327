/* SPDX-License-Identifier: GPL-3.0-or-later */
struct session {
	int id;
	int flags;
	unsigned long created;
	unsigned long expired;
	char user[16];
};

void session_init(void *arg, int i);
void session_expire(void *arg);
