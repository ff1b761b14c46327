/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: the stats struct reordered and widened, the connection
 * grows; once updated, the locals must agree with the heap state. */
#include "xt.h"

struct stats {
	int last_fd;
	unsigned long events;
	unsigned long long bytes;
	long max;
};

struct conn {
	long seen;
	const char *peer;
	int fd;
};

static struct conn *conns;
static int started_normally;

static __attribute__((noinline)) void init(void)
{
	conns = calloc(4, sizeof(*conns));
	for (int i = 0; i < 4; i++)
		conns[i].fd = 10 + i;
}

static void check(struct stats *st, struct conn **ring, const char *line, unsigned long tick)
{
	unsigned long long bytes = 0;
	char want[24] = "";
	fprintf(stderr, "updated after %lu ticks\n", tick);
	for (unsigned long k = 0; k < tick; k++)
		bytes += 10 + k % 4;
	CHECK(st->events == tick && st->bytes == bytes && st->max == 0);
	CHECK(tick ? st->last_fd == 10 + (int)((tick - 1) % 4) : st->last_fd == -1);
	for (int i = 0; i < 4; i++)
		CHECK(conns[i].fd == 10 + i && !conns[i].peer &&
		      conns[i].seen == (long)(tick / 4 + ((unsigned long)i < tick % 4)));
	for (unsigned long k = tick > 3 ? tick - 3 : 0; k < tick; k++)
		CHECK(ring[k % 3] == &conns[k % 4]);
	if (tick)
		snprintf(want, sizeof(want), "tick %lu fd %d", tick - 1,
			 10 + (int)((tick - 1) % 4));
	CHECK(!strcmp(line, want));
	XT_V2_RESULT();
}

int main(void)
{
	struct stats st = { -1, 0, 0, 0 };
	struct conn *ring[3] = { NULL, NULL, NULL };
	char line[24] = "";
	unsigned long tick = 0;

	if (!stf_is_updating()) {
		started_normally = 1;
		init();
	}
	for (;;) {
		stf_update_point();
		if (!started_normally)
			check(&st, ring, line, tick);
		if (tick < 1000000) {
			struct conn *c = &conns[tick % 4];
			c->seen++;
			st.events++;
			st.bytes += (unsigned long)c->fd;
			st.last_fd = c->fd;
			ring[tick % 3] = c;
			snprintf(line, sizeof(line), "tick %lu fd %d", tick, c->fd);
			tick++;
		}
		usleep(1000);
	}
}
