/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Pointers to string literals whose text changes in version 2: a version
 * string behind a static pointer (a static initializer's literal), a
 * banner set in the code, and a literal whose rank in its function an
 * added literal shifts (its text stays).
 */
#include "xt.h"

static const char *version = "literal/1.0.3";
static const char *banner;
static const char *mode;
static const char *mode_tail;
static const char *slow;
static const char *gone_p;

static __attribute__((noinline)) void init(void)
{
	banner = "welcome to version one";
	mode = "fast";
	mode_tail = mode + 2;
}

static __attribute__((noinline)) void init_more(void)
{
	slow = "slow";
}

/* literal-gone: a literal whose text changed where version 2 added one */
static __attribute__((noinline)) void init_gone(int on)
{
	gone_p = on ? "gone in two" : NULL;
}

int main(int argc, char **argv)
{
	init();
	init_more();
	init_gone(argc > 1);
	XT_V1_LOOP();
}
