/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xt.h - shared by the version-pair programs of t/xfer.  Version 1 builds
 * its state and loops at an update point; version 2 is only ever started
 * by an update: it parks at its update point while the state is
 * transferred, and once the update committed it checks the state it
 * received, prints the failed checks and "ok" or "FAILED", and runs on.
 */
#ifndef XT_H
#define XT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stf.h>

static int xt_fails;

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__,         \
				__LINE__, #c);                                \
			xt_fails++;                                           \
		}                                                             \
	} while (0)

/* version 1: serve "requests" forever */
#define XT_V1_LOOP()                                                          \
	for (;;) {                                                            \
		stf_update_point();                                           \
		usleep(2000);                                                 \
	}

/* The start of main in a pair written once (v2/NAME.c includes v1/NAME.c
 * with V2 defined): version 1 builds its state and serves (it never
 * returns); version 2 receives the state and goes on to its checks. */
#ifdef V2
#define XT_PAIR_START(init) XT_V2_RECEIVE(init)
#else
#define XT_PAIR_START(init)                                                   \
	do {                                                                  \
		init();                                                       \
		XT_V1_LOOP();                                                 \
	} while (0)
#endif

/* version 2: started normally it behaves like version 1 (the
 * initialization code must exist in both versions: the allocation sites
 * and the statics it writes are what the state is paired by); started by
 * an update it receives the state at its update point, then checks it */
#define XT_V2_RECEIVE(init)                                                   \
	do {                                                                  \
		if (!stf_is_updating()) {                                     \
			init();                                               \
			XT_V1_LOOP();                                         \
		}                                                             \
		stf_update_point();                                           \
	} while (0)

/* Report, then keep running like a server: the update has committed and
 * ttstd supervises this process now. */
#define XT_V2_RESULT()                                                        \
	do {                                                                  \
		printf(xt_fails ? "FAILED\n" : "ok\n");                       \
		fflush(stdout);                                               \
		XT_V1_LOOP();                                                 \
	} while (0)

/* The main() of a pair written once (version 2 includes version 1 with
 * V2 defined) whose state check() verifies with CHECK: version 1 builds
 * it with init() and runs check() at every pass of its loop (at -O2 state
 * it never read would be dropped), version 2 receives it and checks it. */
#ifdef V2
#define XT_MAIN_CHECKED(init, check)                                          \
	int main(void)                                                        \
	{                                                                     \
		XT_V2_RECEIVE(init);                                          \
		check();                                                      \
		XT_V2_RESULT();                                               \
	}
#else
#define XT_MAIN_CHECKED(init, check)                                          \
	int main(void)                                                        \
	{                                                                     \
		if (!stf_is_updating())                                       \
			init();                                               \
		for (;;) {                                                    \
			stf_update_point();                                   \
			usleep(2000);                                         \
			check();                                              \
		}                                                             \
	}
#endif

#endif
