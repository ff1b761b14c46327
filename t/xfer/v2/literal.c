/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of literal.c: the version string and the banner changed
 * their text at the same places; init_more() gained a literal before
 * "slow".
 */
#include "xt.h"

static const char *version = "literal/2.0.0";
static const char *banner;
static const char *mode;
static const char *mode_tail;
static const char *slow;
static const char *added;
static const char *gone_p, *other_p;

static __attribute__((noinline)) void init(void)
{
	banner = "welcome to version two!";
	mode = "fast";
	mode_tail = mode + 2;
}

static __attribute__((noinline)) void init_more(void)
{
	added = "added";
	slow = "slow";
}

static __attribute__((noinline)) void init_gone(int on)
{
	other_p = "other";
	gone_p = on ? "replaced in two" : NULL;
}

static void init_all(void)
{
	init();
	init_more();
	init_gone(0);
}

int main(void)
{
	XT_V2_RECEIVE(init_all);
	CHECK(!strcmp(version, "literal/2.0.0"));
	CHECK(!strcmp(banner, "welcome to version two!"));
	CHECK(!strcmp(mode, "fast"));
	CHECK(mode_tail == mode + 2);
	CHECK(!strcmp(slow, "slow"));
	CHECK(!gone_p);
	XT_V2_RESULT();
}
