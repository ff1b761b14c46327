/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of newvals.c: struct config gains backlog and name (with
 * initializers) and workers (computed at startup, before the update
 * point); table gains two elements; limits is new.  The transferred
 * values replace the old ones, the new ones keep version 2's values. */
#include "xt.h"

struct config {
	int port;
	int backlog;
	const char *name;
	int verbose;
	int workers;
};

static struct config cfg = { 80, 128, "srv", 0, 0 };
static int table[5] = { 1, 2, 3, 4, 5 };
static int limits[2] = { 7, 9 };

static __attribute__((noinline)) void init(void)
{
	cfg.port = 8080;
	cfg.verbose = 1;
	for (int i = 0; i < 3; i++)
		table[i] = 10 * (i + 1);
}

int main(void)
{
	cfg.workers = 6; /* what the startup computes, in every start */
	XT_V2_RECEIVE(init);
	CHECK(cfg.port == 8080 && cfg.verbose == 1);
	CHECK(cfg.backlog == 128 && cfg.name && !strcmp(cfg.name, "srv"));
	CHECK(cfg.workers == 6);
	CHECK(table[0] == 10 && table[1] == 20 && table[2] == 30);
	CHECK(table[3] == 4 && table[4] == 5);
	CHECK(limits[0] == 7 && limits[1] == 9);
	XT_V2_RESULT();
}
