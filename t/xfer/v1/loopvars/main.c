/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An event loop whose locals are a struct, an array of pointers into the
 * heap and a text buffer, all live across the update point (built -O2 by
 * loopvars-O2.xfer). */
#include "xt.h"

struct stats {
	unsigned events;
	unsigned long bytes;
	int last_fd;
};

struct conn {
	int fd;
	unsigned seen;
};

static struct conn *conns;

static __attribute__((noinline)) void init(void)
{
	conns = calloc(4, sizeof(*conns));
	for (int i = 0; i < 4; i++)
		conns[i].fd = 10 + i;
}

int main(void)
{
	struct stats st = { 0, 0, -1 };
	struct conn *ring[3] = { NULL, NULL, NULL };
	char line[24] = "";
	unsigned tick = 0;

	if (!stf_is_updating())
		init();
	for (;;) {
		stf_update_point();
		if (tick < 1000000) {
			struct conn *c = &conns[tick % 4];
			c->seen++;
			st.events++;
			st.bytes += (unsigned long)c->fd;
			st.last_fd = c->fd;
			ring[tick % 3] = c;
			snprintf(line, sizeof(line), "tick %u fd %d", tick, c->fd);
			tick++;
		}
		if (line[0] == '!')
			abort();
		usleep(1000);
	}
}
