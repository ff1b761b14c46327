/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pointers to libc's own static data: localtime()'s result, strerror()'s
 * text, tzname, getenv()'s result, signal names. */
#define _GNU_SOURCE
#include <signal.h>
#include <time.h>
#include "xt.h"

struct clock {
	struct tm *now;
	const char *zone;
	long offset;
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
