/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Arrays of 16 structs ending in `char code[4]` and `char name[8]`,
 * allocated by typed sites (see tail21-array8.xfer).  Version 2 (this
 * file with V2 defined) adds a member in the middle of each struct and
 * finds every element's members. */
#include "xt.h"

#define N 16

struct code {
	int id;
#ifdef V2
	int hits;
#endif
	char code[4];
};

struct name {
	long id;
#ifdef V2
	long hits;
#endif
	char name[8];
};

static struct code *codes;
static struct name *names;

static __attribute__((noinline)) void init(void)
{
	codes = malloc(N * sizeof(*codes));
	names = calloc(N, sizeof(*names));
	for (int i = 0; i < N; i++) {
		codes[i].id = i;
		snprintf(codes[i].code, sizeof(codes[i].code), "c%d", i);
		names[i].id = 100L * i;
		snprintf(names[i].name, sizeof(names[i].name), "name%d", i);
	}
}

#ifndef V2
int main(void)
{
	init();
	XT_V1_LOOP();
}
#else
int main(void)
{
	XT_V2_RECEIVE(init);
	char want[8];
	for (int i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "c%d", i);
		CHECK(codes[i].id == i && codes[i].hits == 0 && !strcmp(codes[i].code, want));
		snprintf(want, sizeof(want), "name%d", i);
		CHECK(names[i].id == 100L * i && names[i].hits == 0 && !strcmp(names[i].name, want));
	}
	XT_V2_RESULT();
}
#endif
