/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A pointer whose declared pointee type changes while its target keeps
 * its type (argv[1] "retyped"), or to a struct whose member changed
 * type (argv[1] "member"). */
#include "xt.h"

struct conn {
	int fd;
	int state;
};

struct session {
	long uid;
	char name[8];
};

struct peer {
	struct conn c;
	int weight;
};

static struct conn *conns;
static struct session *sessions;
static struct conn *cur;
static struct peer peers[2];
static struct conn *peer_conn;

static __attribute__((noinline)) void init(const char *mode)
{
	conns = calloc(2, sizeof(*conns));
	sessions = calloc(2, sizeof(*sessions));
	conns[1].fd = 7;
	sessions[0].uid = 1000;
	if (!strcmp(mode, "retyped"))
		cur = &conns[1];
	else if (!strcmp(mode, "member"))
		peer_conn = &peers[1].c;
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "");
	XT_V1_LOOP();
}
