/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A connection state machine: enums in structs, arrays and heap objects;
 * version 2 renumbers every enumerator. */
#include "xt.h"

enum state { ST_IDLE, ST_READING, ST_WRITING, ST_CLOSING };
enum level { LOG_ERR = 3, LOG_WARN = 4, LOG_INFO = 6, LOG_DEBUG = 7 };

struct conn {
	int fd;
	enum state st;
	enum level verbosity;
};

static enum state global_state = ST_WRITING;
static enum level levels[4];
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
