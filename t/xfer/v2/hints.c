/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of hints.c: struct job reordered and grown (the prio member
 * moves, the STF_PXFER integers must follow it), struct value gains a
 * member before its union; a type callback transfers struct value by
 * its tag in both directions. */
#include <stdint.h>
#include "xt.h"

enum vtype { V_INT, V_STR, V_REAL };

struct value {
	enum vtype type;
	unsigned flags;
	union {
		long i;
		char *s;
		double r;
	} u;
};

struct value_v1 {
	enum vtype type;
	union {
		long i;
		char *s;
		double r;
	} u;
};

struct job {
	struct value arg;
	long owner STF_PXFER;
	char name[8];
	long prio;
	int id;
};

union num {
	int i;
	float f;
	unsigned char b[8];
} STF_IXFER;

static struct job *jobs;
static long cur_prio STF_PXFER;
static uintptr_t cookie STF_IXFER;
static uintptr_t saved_ptr STF_PXFER;
static struct value settings[3];
static union num nums[2];
static int value_cbs;

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

static int value_cb(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		    void *arg)
{
	enum vtype type;
	long raw;
	uint64_t p;
	(void)arg;
	if (stf_xfer_direction(x) == STF_FORWARD) {
		const struct value_v1 *s = src->addr;
		if (src->size != sizeof(*s) || dst->size != sizeof(struct value))
			return STF_CB_ERROR;
		type = s->type;
		memcpy(&raw, &s->u, sizeof(raw));
	} else {
		const struct value *s = src->addr;
		if (src->size != sizeof(*s) || dst->size != sizeof(struct value_v1))
			return STF_CB_ERROR;
		type = s->type;
		memcpy(&raw, &s->u, sizeof(raw));
	}
	if (type == V_STR && raw) {
		if (stf_xfer_pointer(x, (uint64_t)raw, &p) < 0)
			return STF_CB_ERROR;
		raw = (long)p;
	}
	if (stf_xfer_direction(x) == STF_FORWARD) {
		struct value *d = dst->addr;
		d->type = type;
		d->flags = 0;
		memcpy(&d->u, &raw, sizeof(raw));
	} else {
		struct value_v1 *d = dst->addr;
		d->type = type;
		memcpy(&d->u, &raw, sizeof(raw));
	}
	value_cbs++;
	return STF_CB_DONE;
}

int main(void)
{
	if (stf_is_updating())
		stf_on_type("struct value", STF_BOTH, value_cb, NULL);
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 3; i++) {
		CHECK(jobs[i].id == 100 + i && jobs[i].prio == 10 - i && !jobs[i].name[0]);
		CHECK(jobs[i].owner == (i ? (long)(intptr_t)&jobs[i - 1] : 0));
	}
	CHECK(jobs[0].arg.type == V_STR && !strcmp(jobs[0].arg.u.s, "argument zero"));
	CHECK(jobs[1].arg.type == V_INT && jobs[1].arg.u.i == -77);
	CHECK(jobs[2].arg.type == V_REAL && jobs[2].arg.u.r == 2.5);
	CHECK(cur_prio == (long)(intptr_t)&jobs[2].prio);
	/* copied as it was: an address of the old version */
	CHECK(cookie != (uintptr_t)jobs + 8 && cookie != 0);
	CHECK(saved_ptr == (uintptr_t)&jobs[1]);
	CHECK(settings[0].type == V_STR && !strcmp(settings[0].u.s, "literal setting"));
	CHECK(settings[1].type == V_INT && settings[1].u.i == 0x7fff0000deadLL);
	CHECK(settings[2].type == V_STR && settings[2].u.s == jobs[0].arg.u.s + 9);
	CHECK(nums[0].f == 1.25f && nums[1].i == -5);
	/* 3 settings and 3 job arguments, forward and backward */
	CHECK(value_cbs == 12);
	XT_V2_RESULT();
}
