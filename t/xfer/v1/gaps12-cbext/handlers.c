/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The handlers of v1/gaps12-cbext/main.c (see there). */
#include <stddef.h>

struct conn {
	int fd;
#ifdef V2
	long opened;              /* new */
#endif
	unsigned long hits;
};

typedef void (*handler_fn)(void *);

static int next_fd = 10;

static void on_conn(void *arg)
{
	struct conn *c = arg;
	if (!c->fd)
		c->fd = next_fd++;
	c->hits++;
}

static void on_idle(void *arg)
{
	struct conn *c = arg;
	c->hits += 2;
}

handler_fn get_handler(int kind)
{
	return kind ? on_idle : on_conn;
}

size_t conn_size(void)
{
	return sizeof(struct conn);
}
