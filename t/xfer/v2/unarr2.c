/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of unarr2.c: union val gains a double, struct tv a name. */
#include <stdint.h>
#include "xt.h"

union val {
	int i;
	float f;
	char s[4];
	double d;          /* new */
};

struct tv {
	short tag;
	char name[6];      /* new */
	union {
		long n;
		uintptr_t p STF_PXFER;
	} u;
};

static union val *vals;
static size_t nvals;
static union val *v5;
static float *f3;
static char *s2;
static union val svals[4];
static union val *sv3 = &svals[3];
static struct tv *tvs;
static int targets[3] = { 11, 22, 33 };

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 9; i++) {
		vals = realloc(vals, (nvals + 1) * sizeof(*vals));
		if (i % 3 == 0)
			vals[nvals].i = -i;
		else if (i % 3 == 1)
			vals[nvals].f = (float)i + 0.25f;
		else
			snprintf(vals[nvals].s, 4, "v%d", i);
		nvals++;
	}
	v5 = &vals[5];
	f3 = &vals[4].f;
	s2 = vals[8].s + 1;
	svals[1].i = 123;
	svals[3].f = -0.5f;
	sv3 = &svals[3];
	tvs = calloc(3, sizeof(*tvs));
	tvs[0].tag = 0;
	tvs[0].u.n = -77;
	tvs[1].tag = 1;
	tvs[1].u.p = (uintptr_t)&targets[2];
	tvs[2].tag = 1;
	tvs[2].u.p = (uintptr_t)&tvs[0].u.n;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	struct stf_object_info info;
	CHECK(nvals == 9 && stf_lookup(vals, &info) == 0 && info.count == 9);
	for (int i = 0; i < 9; i++) {
		char want[4];
		snprintf(want, 4, "v%d", i);
		if (i % 3 == 0)
			CHECK(vals[i].i == -i);
		else if (i % 3 == 1)
			CHECK(vals[i].f == (float)i + 0.25f);
		else
			CHECK(!strcmp(vals[i].s, want));
	}
	CHECK(v5 == &vals[5] && f3 == &vals[4].f && s2 == vals[8].s + 1);
	CHECK(svals[1].i == 123 && svals[3].f == -0.5f && sv3 == &svals[3]);
	CHECK(stf_lookup(tvs, &info) == 0 && info.count == 3);
	CHECK(tvs[0].tag == 0 && tvs[0].u.n == -77 && !tvs[0].name[0]);
	CHECK(tvs[1].tag == 1 && tvs[1].u.p == (uintptr_t)&targets[2]);
	CHECK(tvs[2].tag == 1 && tvs[2].u.p == (uintptr_t)&tvs[0].u.n);
	XT_V2_RESULT();
}
