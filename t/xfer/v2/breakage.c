/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of breakage.c: the port narrowed to unsigned short, legacy
 * member, legacy handler and legacy enumerator removed, the history
 * shortened to 4. */
#include "xt.h"

enum kind { K_PLAIN, K_FAST };

struct peer {
	int id;
	char addr[16];
};

struct conn {
	int fd;
	unsigned short port;
	enum kind kind;
	struct peer *peer;
	int (*on_read)(int);
	int *cursor;
	short hist[4];
	union {
		long n;
		char *s;
	} val;
};

struct server {
	int nconns;
	struct conn *conns;
};

static int on_read_v1(int v) { return v + 1; }

static struct server *srv;
static char *scratch;

static __attribute__((noinline)) void init(void)
{
	srv = malloc(sizeof(*srv));
	srv->nconns = 4;
	srv->conns = calloc(4, sizeof(struct conn));
	for (int i = 0; i < 4; i++) {
		struct conn *c = &srv->conns[i];
		c->fd = 3 + i;
		c->port = (unsigned short)(8000 + i);
		c->peer = malloc(sizeof(*c->peer));
		c->peer->id = i;
		snprintf(c->peer->addr, sizeof(c->peer->addr), "10.0.0.%d", i);
		c->on_read = on_read_v1;
		c->cursor = &c->peer->id;
		c->val.n = i;
	}
	scratch = malloc(64);
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 4; i++) {
		struct conn *c = &srv->conns[i];
		CHECK(c->fd == 3 + i && c->port == 8000 + i && c->kind == K_PLAIN);
		CHECK(c->peer->id == i && c->cursor == &c->peer->id);
		CHECK(c->on_read == on_read_v1 && c->val.n == i);
	}
	XT_V2_RESULT();
}
