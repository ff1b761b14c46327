/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Updates that must roll back, each naming the object and member path of
 * the offending value, deep in heap objects: version 1 builds the state
 * named by argv[1]. */
#include "xt.h"

enum kind { K_PLAIN, K_LEGACY, K_FAST };

struct peer {
	int id;
	char addr[16];
};

struct conn {
	int fd;
	int port;
	enum kind kind;
	struct peer *peer;
	int (*on_read)(int);
	long legacy;
	int *cursor;
	short hist[8];
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
static int on_read_legacy(int v) { return v - 1; }

static struct server *srv;
static char *scratch;

static __attribute__((noinline)) void init(const char *mode)
{
	srv = malloc(sizeof(*srv));
	srv->nconns = 4;
	srv->conns = calloc(4, sizeof(struct conn));
	for (int i = 0; i < 4; i++) {
		struct conn *c = &srv->conns[i];
		c->fd = 3 + i;
		c->port = 8000 + i;
		c->peer = malloc(sizeof(*c->peer));
		c->peer->id = i;
		snprintf(c->peer->addr, sizeof(c->peer->addr), "10.0.0.%d", i);
		c->on_read = on_read_v1;
		c->cursor = &c->peer->id;
		c->val.n = i;
	}
	scratch = malloc(64);
	if (!strcmp(mode, "freed")) {
		srv->conns[2].cursor = (int *)(scratch + 8);
		free(scratch);
		scratch = NULL;
	} else if (!strcmp(mode, "dropped-member")) {
		srv->conns[1].legacy = 0;
		srv->conns[3].cursor = (int *)&srv->conns[1].legacy;
	} else if (!strcmp(mode, "lossy")) {
		srv->conns[3].port = 70000;
	} else if (!strcmp(mode, "gone-function")) {
		srv->conns[1].on_read = on_read_legacy;
	} else if (!strcmp(mode, "ambiguous")) {
		srv->conns[2].val.s = scratch + 5;
	} else if (!strcmp(mode, "truncated")) {
		srv->conns[0].hist[6] = 9;
	} else if (!strcmp(mode, "gone-element")) {
		srv->conns[2].cursor = (int *)&srv->conns[1].hist[6];
	} else if (!strcmp(mode, "enumerator")) {
		srv->conns[3].kind = K_LEGACY;
	}
	on_read_legacy(0);
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "");
	XT_V1_LOOP();
}
