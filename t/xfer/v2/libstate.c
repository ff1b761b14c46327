/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of libstate.c: the clock struct reordered. */
#define _GNU_SOURCE
#include <signal.h>
#include <time.h>
#include "xt.h"

struct clock {
	long offset;
	const char *zone;
	struct tm *now;
};

static struct clock clk;
static const char *errtext;
static const char *home;
static const char *signame;

static __attribute__((noinline)) void init(void)
{
	time_t t = 86400 * 365;
	setenv("TZ", "UTC", 1);
	tzset();
	clk.now = gmtime(&t);
	clk.zone = tzname[0];
	clk.offset = 3600;
	errtext = strerror(2);
	home = getenv("HOME");
	signame = sigabbrev_np(SIGTERM);
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(clk.offset == 3600);
	/* the same place in libc (its .bss, no symbol): what is there is
	 * libc's business, not the program's state */
	CHECK(clk.now && clk.now == gmtime(&(time_t){ 86400 * 365 }));
	CHECK(clk.now->tm_year == 71 && clk.now->tm_yday == 0);
	CHECK(clk.zone && !strcmp(clk.zone, "UTC")); /* a block libc allocated */
	CHECK(errtext && !strcmp(errtext, "No such file or directory"));
	CHECK(home == getenv("HOME"));
	CHECK(signame && !strcmp(signame, "TERM"));
	XT_V2_RESULT();
}
