/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A function pointer member left uninitialized: nginx takes its array of
 * connections from ngx_alloc (malloc, not zeroed), so a free connection's
 * `send` holds whatever the recycled memory held, such as an address
 * inside a static table (&ngx_http_ssi_commands + 80) or inside a heap
 * block.  Data is not executable: no correct program calls such a value,
 * so it is no function pointer of the old version but stale bytes.  It
 * must not refuse the update (issue 8, "uninitialized capacity"); it
 * keeps its meaning (the same place of the same object) and the round
 * trip gives the same bytes.  The garbage is written explicitly here, so
 * the test does not depend on what malloc recycles.  Version 2 grows
 * struct conn, unless built with -DSAME. */
#include "xt.h"

struct conn;
typedef long (*send_fn)(struct conn *, const char *, size_t);

struct conn {
	int fd;
#if defined(V2) && !defined(SAME)
	long sent;                /* new */
#endif
	send_fn send;
	void *data;
};

struct command {
	char name[16];
	int flags;
	void *arg;
};

struct command commands[8] = { { "echo", 1, NULL }, { "set", 2, NULL } };
struct conn *conns;               /* not static: kept */
char *scratch;

static long plain_send(struct conn *c, const char *buf, size_t n)
{
	(void)buf;
	return c->fd + (long)n;
}

static __attribute__((noinline)) void init(void)
{
	conns = malloc(4 * sizeof(*conns));
	scratch = malloc(64);
	memset(scratch, 'x', 64);
	conns[0].fd = 7;
	conns[0].send = plain_send;
	conns[0].data = scratch;
	for (int i = 1; i < 4; i++) {
		conns[i].fd = -1;
		conns[i].data = NULL;
	}
	/* what recycled memory held */
	conns[1].send = (send_fn)(void *)((char *)commands + 80);
	conns[2].send = (send_fn)(void *)(scratch + 8);
	conns[3].send = NULL;
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	CHECK(conns[0].send == plain_send);
	CHECK(conns[0].send(&conns[0], "ab", 2) == 9);
	CHECK(conns[0].data == scratch);
	CHECK((void *)conns[1].send == (void *)((char *)commands + 80));
	CHECK((void *)conns[2].send == (void *)(scratch + 8));
	CHECK(conns[3].send == NULL);
	CHECK(!strcmp(commands[1].name, "set"));
	XT_V2_RESULT();
#endif
}
