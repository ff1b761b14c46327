/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The callback and the initializer of cb10-evunit: the only code that
 * says what the events' arguments are (`struct conn *c = arg`). */
#include <stdio.h>
#include "conn.h"

void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	c->hits++;
}

void conn_init(void *arg, int i)
{
	struct conn *c = arg;
	c->fd = 10 + i;
	c->hits = 100 + i;
	snprintf(c->name, sizeof(c->name), "conn%d", i);
}
