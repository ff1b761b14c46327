/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: enumerators renumbered and reordered, new ones added, the
 * enum type of a member packed into a char-sized enum. */
#include "xt.h"

enum state { ST_CLOSING = 1, ST_NEW = 2, ST_IDLE = 10, ST_WRITING = 20, ST_READING = 30 };
enum level { LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARN, LOG_ERR };

struct conn {
	enum level verbosity;
	enum state st;
	int fd;
	enum state prev;
};

static enum state global_state = ST_WRITING;
static enum level levels[5];
static struct conn *conns;
static enum state *watch;

static __attribute__((noinline)) void init(void)
{
	conns = malloc(4 * sizeof(*conns));
	for (int i = 0; i < 4; i++) {
		conns[i].fd = 10 + i;
		conns[i].st = (enum state)i;
		conns[i].verbosity = i ? LOG_INFO : LOG_ERR;
	}
	levels[0] = LOG_DEBUG;
	levels[1] = LOG_WARN;
	levels[2] = LOG_ERR;
	levels[3] = LOG_INFO;
	watch = &conns[2].st;
	global_state = ST_CLOSING;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	static const enum state want[4] = { ST_IDLE, ST_READING, ST_WRITING, ST_CLOSING };
	for (int i = 0; i < 4; i++) {
		CHECK(conns[i].fd == 10 + i);
		CHECK(conns[i].st == want[i]);
		CHECK(conns[i].verbosity == (i ? LOG_INFO : LOG_ERR));
		CHECK(conns[i].prev == 0);
	}
	CHECK(levels[0] == LOG_DEBUG && levels[1] == LOG_WARN && levels[2] == LOG_ERR &&
	      levels[3] == LOG_INFO && levels[4] == 0);
	CHECK(watch == &conns[2].st && *watch == ST_WRITING);
	CHECK(global_state == ST_CLOSING);
	XT_V2_RESULT();
}
