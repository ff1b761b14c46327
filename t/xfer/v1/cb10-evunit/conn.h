/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <event2/event.h>

struct conn {
	int fd;
	unsigned long hits;
	char name[16];
};

void on_read(evutil_socket_t fd, short what, void *arg);
void conn_init(void *arg, int i);
