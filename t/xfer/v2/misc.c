/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of misc.c: next_seq renamed next_id (its static local follows
 * by an object rename), the hook struct reordered, the release string
 * changed. */
#include <stdint.h>
#include "xt.h"

struct hook {
	long fn STF_PXFER;
	int calls;
	const char *name;
};

static int on_reload(int v) { return v * 3; }
static int on_start(int v) { return v + 100; }
static int on_stop(int v) { return v - 100; }

static struct hook hooks[2];
static int *seq_p;
static const char *version_p;
static const char *motd;

static __attribute__((noinline)) int next_id(void)
{
	static int seq = 40;
	seq_p = &seq;
	return ++seq;
}

static __attribute__((noinline)) void init(void)
{
	hooks[0].name = "start";
	hooks[0].fn = (long)(intptr_t)on_start;
	hooks[1].name = "stop";
	hooks[1].fn = (long)(intptr_t)on_stop;
	next_id();
	motd = "Welcome!";
	version_p = "release 1.1";
}

int main(int argc, char **argv)
{
	/* misc-literal: v1 pointed version_p to its "release 1.0", at the
	 * place of "release 1.1" here */
	int literal = argc > 1 && !strcmp(argv[1], "literal");

	if (stf_is_updating())
		stf_rename(STF_RENAME_OBJECT, "misc.c:next_seq/seq", "misc.c:next_id/seq");
	XT_V2_RECEIVE(init);
	CHECK(!strcmp(hooks[0].name, "start") && !strcmp(hooks[1].name, "stop"));
	CHECK(hooks[0].fn == (long)(intptr_t)on_start && hooks[1].fn == (long)(intptr_t)on_stop);
	CHECK(((int (*)(int))(intptr_t)hooks[1].fn)(150) == 50 && hooks[0].calls == 0);
	CHECK(seq_p && *seq_p == 42);
	CHECK(next_id() == 43 && seq_p && *seq_p == 43);
	CHECK(!strcmp(motd, "Welcome!"));
	CHECK(literal ? version_p && !strcmp(version_p, "release 1.1") : !version_p);
	CHECK(on_reload(1) == 3);
	XT_V2_RESULT();
}
