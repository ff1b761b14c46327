/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Enum values travel by enumerator name.  Version 2 renames CS_NAMED to
 * CS_REGISTERED and inserts CS_AWAY before it (every value after it is
 * renumbered), and says so with stf_rename(STF_RENAME_ENUMERATOR): no
 * callback, exact in both directions (a static, a heap array, a
 * bitfield). */
#include "xt.h"

enum client_state { CS_CONNECTED, CS_NAMED, CS_CLOSING };

struct client {
	enum client_state state;
	unsigned flags : 3;
	enum client_state prev : 4;
};

static enum client_state server_state = CS_NAMED;
static struct client *clients;

static __attribute__((noinline)) void init(void)
{
	clients = calloc(3, sizeof(*clients));
	clients[0] = (struct client){ CS_CONNECTED, 1, CS_CONNECTED };
	clients[1] = (struct client){ CS_NAMED, 2, CS_CONNECTED };
	clients[2] = (struct client){ CS_CLOSING, 3, CS_NAMED };
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
