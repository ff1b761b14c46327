/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A function pointer kept in an STF_PXFER integer, a static local of a
 * function renamed in version 2, a string literal whose text changes in
 * version 2 (argv[1] "literal" points to it). */
#include <stdint.h>
#include "xt.h"

struct hook {
	const char *name;
	long fn STF_PXFER;       /* int (*)(int) */
};

static int on_start(int v) { return v + 100; }
static int on_stop(int v) { return v - 100; }

static struct hook hooks[2];
static int *seq_p;
static const char *version_p;
static const char *motd;

static __attribute__((noinline)) int next_seq(void)
{
	static int seq = 40;
	seq_p = &seq;
	return ++seq;
}

static __attribute__((noinline)) void init(const char *mode)
{
	hooks[0].name = "start";
	hooks[0].fn = (long)(intptr_t)on_start;
	hooks[1].name = "stop";
	hooks[1].fn = (long)(intptr_t)on_stop;
	next_seq();
	next_seq();
	motd = "Welcome!";
	version_p = !strcmp(mode, "literal") ? "release 1.0" : NULL;
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "");
	XT_V1_LOOP();
}
