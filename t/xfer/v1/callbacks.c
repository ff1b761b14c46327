/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Callbacks and renames (registered by version 2, see v2/callbacks.c). */
#include "xt.h"

struct temp {
	int celsius;
};

struct acct {
	char owner[16];
	long count;
	int timeout_ms;
};

struct point {
	int x, y;
};

struct ref {
	int *target;
};

static struct temp room;
static struct acct account;
static int old_name;
static struct point origin;
static int secret;
static int pointee = 77;
static struct ref ref;

static __attribute__((noinline)) void init(void)
{
	room.celsius = 20;
	snprintf(account.owner, sizeof(account.owner), "alice");
	account.count = 12;
	account.timeout_ms = 5000;
	old_name = 5;
	origin.x = 3;
	origin.y = 4;
	secret = 1234;
	ref.target = &pointee;
	pointee++;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
