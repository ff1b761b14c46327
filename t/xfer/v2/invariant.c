/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/invariant.c: every change below makes one piece of state
 * impossible to transfer. */
#include "xt.h"

enum mode { OFF, SLOW };  /* FAST is gone */

struct rec {
	int keep;             /* gone_member is gone */
};

struct A {
	int x;
};

struct B {
	int x;
};

struct holder {
	int pad;
	struct B a;   /* was struct A */
};

union ambiguous {
	void *p;
	long n;
};

static int lossy_int;      /* was long */
static float lossy_double; /* was double */
static enum mode mode;
/* gone_static is gone */
static int *to_gone_static;
static struct rec rec;
static long *to_gone_member;
static int *wild;
/* helper is gone */
static int (*to_gone_function)(void);
static union ambiguous amb;
static int shrinking[3];
static long negative_dst;  /* was unsigned long */
static struct holder holder;
static struct A *to_a;

static __attribute__((noinline)) void init(void)
{
	rec.keep = 1;
	lossy_int = 1;
	lossy_double = 1;
	mode = SLOW;
	to_gone_static = &rec.keep;
	to_gone_member = &negative_dst;
	wild = &rec.keep;
	to_gone_function = NULL;
	amb.n = 1;
	shrinking[2] = 1;
	negative_dst = 1;
	holder.pad = 1;
	to_a = NULL;
}

/* holder.a changed from struct A to struct B: converted by a callback,
 * except in the renamed-type case */
static int a_to_b(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		  void *arg)
{
	(void)x;
	(void)arg;
	memcpy(dst->addr, src->addr, sizeof(struct B));
	return STF_CB_DONE;
}

int main(int argc, char **argv)
{
	if (stf_is_updating() && !(argc > 1 && !strcmp(argv[1], "renamed-type")))
		stf_on_member("struct holder", "a", STF_BOTH, a_to_b, NULL);
	XT_V2_RECEIVE(init);
	fprintf(stderr, "this update should have rolled back\n");
	return 1;
}
