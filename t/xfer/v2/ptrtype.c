/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of ptrtype.c: cur now points to sessions, the peer's
 * connection became an index. */
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
static struct session *cur;
static struct peer peers[2];
static struct conn *peer_conn;

static __attribute__((noinline)) void init(void)
{
	conns = calloc(2, sizeof(*conns));
	sessions = calloc(2, sizeof(*sessions));
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(conns[1].fd == 7 && sessions[0].uid == 1000 && !cur && !peer_conn);
	XT_V2_RESULT();
}
