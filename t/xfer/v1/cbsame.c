/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A purely semantic change: struct acct keeps its C type, but version 2
 * counts timeout in seconds where version 1 counts milliseconds, and says
 * so with a member callback.  The callback must run although the type is
 * unchanged (it used to be skipped by the unchanged-type fast paths, and
 * the round trip could not notice), for a static, a heap array and an
 * array member. */
#include "xt.h"

struct acct {
	int timeout;
	const char *name;
};

struct team {
	struct acct members[2];
	int size;
};

static struct acct account;
static struct acct *accounts;
static struct team team;

static __attribute__((noinline)) void init(void)
{
	account.timeout = 5000;
	account.name = "root";
	accounts = calloc(3, sizeof(*accounts));
	for (int i = 0; i < 3; i++) {
		accounts[i].timeout = (i + 1) * 1000;
		accounts[i].name = i ? "user" : "admin";
	}
	team.members[0] = accounts[1];
	team.members[1] = account;
	team.size = 2;
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
