/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cbsame: struct acct.timeout is in seconds now (see v1). */
#include "xt.h"

struct acct {
	int timeout;  /* seconds, was milliseconds */
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
	account.timeout = 5;
	account.name = "root";
	accounts = calloc(3, sizeof(*accounts));
	for (int i = 0; i < 3; i++) {
		accounts[i].timeout = i + 1;
		accounts[i].name = i ? "user" : "admin";
	}
	team.members[0] = accounts[1];
	team.members[1] = account;
	team.size = 2;
}

static int timeout_cb(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		      void *arg)
{
	int v;
	(void)arg;
	memcpy(&v, src->addr, sizeof(v));
	v = stf_xfer_direction(x) == STF_FORWARD ? v / 1000 : v * 1000;
	memcpy(dst->addr, &v, sizeof(v));
	return STF_CB_DONE;
}

int main(void)
{
	if (stf_is_updating())
		stf_on_member("struct acct", "timeout", STF_BOTH, timeout_cb, NULL);
	XT_V2_RECEIVE(init);
	CHECK(account.timeout == 5);
	CHECK(strcmp(account.name, "root") == 0);
	for (int i = 0; i < 3; i++)
		CHECK(accounts[i].timeout == i + 1);
	CHECK(strcmp(accounts[0].name, "admin") == 0 && strcmp(accounts[2].name, "user") == 0);
	CHECK(team.members[0].timeout == 2 && team.members[1].timeout == 5);
	CHECK(team.size == 2);
	XT_V2_RESULT();
}
