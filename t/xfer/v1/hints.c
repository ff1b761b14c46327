/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Annotations and callbacks on realistic state: integers holding
 * pointers (STF_PXFER) to members that move, integers that only look
 * like addresses (STF_IXFER), a tagged union holding a string pointer
 * handled by a type callback, a union of numbers copied as bytes. */
#include <stdint.h>
#include "xt.h"

enum vtype { V_INT, V_STR, V_REAL };

struct value {
	enum vtype type;
	union {
		long i;
		char *s;
		double r;
	} u;
};

struct job {
	int id;
	int prio;
	long owner STF_PXFER;   /* struct job * of the parent */
	struct value arg;
};

union num {
	int i;
	float f;
	unsigned char b[8];
} STF_IXFER;

static struct job *jobs;
static long cur_prio STF_PXFER;      /* &jobs[k].prio */
static uintptr_t cookie STF_IXFER;   /* an old address used as a key */
static uintptr_t saved_ptr STF_PXFER;
static struct value settings[3];
static union num nums[2];

static __attribute__((noinline)) void init(void)
{
	jobs = calloc(3, sizeof(struct job));
	for (int i = 0; i < 3; i++) {
		jobs[i].id = 100 + i;
		jobs[i].prio = 10 - i;
		jobs[i].owner = i ? (long)(intptr_t)&jobs[i - 1] : 0;
	}
	jobs[0].arg.type = V_STR;
	jobs[0].arg.u.s = strdup("argument zero");
	jobs[1].arg.type = V_INT;
	jobs[1].arg.u.i = -77;
	jobs[2].arg.type = V_REAL;
	jobs[2].arg.u.r = 2.5;
	cur_prio = (long)(intptr_t)&jobs[2].prio;
	cookie = (uintptr_t)jobs + 8;
	saved_ptr = (uintptr_t)&jobs[1];
	settings[0].type = V_STR;
	settings[0].u.s = "literal setting";
	settings[1].type = V_INT;
	settings[1].u.i = 0x7fff0000deadLL;
	settings[2].type = V_STR;
	settings[2].u.s = jobs[0].arg.u.s + 9;
	nums[0].f = 1.25f;
	nums[1].i = -5;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
