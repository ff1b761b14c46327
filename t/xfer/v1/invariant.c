/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Invariant violations: version 1 builds the state named by argv[1];
 * version 2 changed the types so that this state cannot be transferred
 * and the update must roll back with a precise message. */
#include "xt.h"

enum mode { OFF, SLOW, FAST };

struct rec {
	int keep;
	long gone_member;
};

struct A {
	int x;
};

struct holder {
	int pad;
	struct A a;
};

union ambiguous {
	void *p;
	long n;
};

static long lossy_int;
static double lossy_double;
static enum mode mode;
static int gone_static;
static int *to_gone_static;
static struct rec rec;
static long *to_gone_member;
static int *wild;
static int helper(void) { return 1; }
static int (*to_gone_function)(void);
static union ambiguous amb;
static int shrinking[4];
static unsigned long negative_dst;
static struct holder holder;
static struct A *to_a;

static __attribute__((noinline)) void init(const char *what)
{
	rec.keep = 1;
	if (!strcmp(what, "lossy-int"))
		lossy_int = 1L << 40;
	else if (!strcmp(what, "lossy-double"))
		lossy_double = 0.1;
	else if (!strcmp(what, "enumerator"))
		mode = FAST;
	else if (!strcmp(what, "gone-static"))
		to_gone_static = &gone_static;
	else if (!strcmp(what, "gone-member"))
		to_gone_member = &rec.gone_member;
	else if (!strcmp(what, "wild"))
		wild = (int *)0x10000000; /* above the lowest mappable address */
	else if (!strcmp(what, "gone-function"))
		to_gone_function = helper;
	else if (!strcmp(what, "ambiguous"))
		amb.p = &rec;
	else if (!strcmp(what, "shrink"))
		shrinking[3] = 42;
	else if (!strcmp(what, "sign"))
		negative_dst = (unsigned long)-1;
	else if (!strcmp(what, "type-mismatch"))
		to_a = &holder.a;
	gone_static++;
	holder.pad = 1;
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "");
	XT_V1_LOOP();
}
