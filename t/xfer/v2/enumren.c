/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of enumren: CS_NAMED is CS_REGISTERED now, after a new
 * CS_AWAY (see v1). */
#include "xt.h"

enum client_state { CS_CONNECTED, CS_AWAY, CS_REGISTERED, CS_CLOSING };

struct client {
	enum client_state state;
	unsigned flags : 3;
	enum client_state prev : 4;
};

static enum client_state server_state = CS_REGISTERED;
static struct client *clients;

static __attribute__((noinline)) void init(void)
{
	clients = calloc(3, sizeof(*clients));
	clients[0] = (struct client){ CS_CONNECTED, 1, CS_CONNECTED };
	clients[1] = (struct client){ CS_REGISTERED, 2, CS_CONNECTED };
	clients[2] = (struct client){ CS_CLOSING, 3, CS_REGISTERED };
}

int main(int argc, char **argv)
{
	/* started with "norename": the rename is forgotten */
	if (stf_is_updating() && !(argc > 1 && strcmp(argv[1], "norename") == 0))
		stf_rename(STF_RENAME_ENUMERATOR, "CS_NAMED", "CS_REGISTERED");
	XT_V2_RECEIVE(init);
	CHECK(server_state == CS_REGISTERED);
	CHECK(clients[0].state == CS_CONNECTED && clients[0].flags == 1 &&
	      clients[0].prev == CS_CONNECTED);
	CHECK(clients[1].state == CS_REGISTERED && clients[1].flags == 2 &&
	      clients[1].prev == CS_CONNECTED);
	CHECK(clients[2].state == CS_CLOSING && clients[2].flags == 3 &&
	      clients[2].prev == CS_REGISTERED);
	XT_V2_RESULT();
}
