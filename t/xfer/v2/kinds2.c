/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of kinds2.c: bitfields reordered and widened, enum
 * renumbered with a new first enumerator, unions gain a member, the
 * anonymous members move, every nesting level gains a member in front. */
#include <stdbool.h>
#include "xt.h"

enum color { NONE, BLUE, GREEN, RED };

struct flags {
	bool on : 1;
	unsigned c : 9;
	signed char d : 5;
	enum color col : 3;
	long b : 12;
	int a : 4;
};

union num {
	int i;
	float f;
	char s[4];
};

struct cell {
	long pad;
	short kind;
	union num vals[3];
};

struct anon {
	union {
		int u;
		float uf;
	};
	char end;
	struct {
		int z;
		short y, x;
	};
	int id;
};

struct inner {
	int extra;
	short v;
	const char *s;
};

struct mid {
	long before;
	struct inner in[2];
	int m;
};

struct outer {
	double first;
	char name[6];
	struct mid mids[3];
};

static long double ld = 1.0L / 3.0L;
static long double lds[2];
static _Bool yes = 1, no;
static bool bs[3];
static unsigned char ch[4] = { 'a', 'z', 65, 0x7f };
static struct flags fl[4];
static struct cell cells[2];
static struct anon an[2];
static struct outer *outer;
static struct inner *deep;
static const char **deep_s;
static int *mid_m;
static short *anon_y;

static __attribute__((noinline)) void init(void)
{
	lds[0] = -2.5L;
	lds[1] = 1e300L * 1e300L; /* beyond double */
	bs[1] = true;
	for (int i = 0; i < 4; i++) {
		fl[i].a = -4 + i;
		fl[i].b = -16 + 7 * i;
		fl[i].c = 127u - (unsigned)i;
		fl[i].col = (enum color)(i % 3);
		fl[i].on = i & 1;
		fl[i].d = (signed char)(-8 + 5 * i);
	}
	cells[0].kind = 1;
	cells[0].vals[0].i = -123;
	cells[0].vals[1].i = 7;
	cells[0].vals[2].i = 0x41424300;
	cells[1].kind = 2;
	memcpy(cells[1].vals[0].s, "xyz", 4);
	cells[1].vals[1].i = 99;
	cells[1].vals[2].i = -1;
	for (int i = 0; i < 2; i++) {
		an[i].id = 10 + i;
		an[i].x = (short)(-i - 1);
		an[i].y = (short)(200 + i);
		an[i].u = 5000 + i;
		an[i].end = (char)('A' + i);
	}
	outer = malloc(sizeof(*outer));
	strcpy(outer->name, "outer");
	static const char *strs[] = { "s0", "s1", "s2", "s3", "s4", "s5" };
	for (int i = 0; i < 3; i++) {
		outer->mids[i].m = 1000 * i;
		for (int j = 0; j < 2; j++) {
			outer->mids[i].in[j].v = (short)(10 * i + j);
			outer->mids[i].in[j].s = strs[2 * i + j];
		}
	}
	deep = &outer->mids[2].in[1];
	deep_s = &outer->mids[1].in[0].s;
	mid_m = &outer->mids[1].m;
	anon_y = &an[1].y;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(ld == 1.0L / 3.0L);
	CHECK(lds[0] == -2.5L && lds[1] == 1e300L * 1e300L);
	CHECK(yes == 1 && no == 0 && !bs[0] && bs[1] && !bs[2]);
	CHECK(ch[0] == 'a' && ch[1] == 'z' && ch[2] == 65 && ch[3] == 0x7f);
	static const enum color cols[] = { RED, GREEN, BLUE, RED };
	for (int i = 0; i < 4; i++) {
		CHECK(fl[i].a == -4 + i);
		CHECK(fl[i].b == -16 + 7 * i);
		CHECK(fl[i].c == 127u - (unsigned)i);
		CHECK(fl[i].col == cols[i]);
		CHECK(fl[i].on == (i & 1));
		CHECK(fl[i].d == -8 + 5 * i);
	}
	CHECK(cells[0].kind == 1 && cells[0].pad == 0);
	CHECK(cells[0].vals[0].i == -123 && cells[0].vals[1].i == 7 &&
	      cells[0].vals[2].i == 0x41424300);
	CHECK(cells[1].kind == 2 && !strcmp(cells[1].vals[0].s, "xyz") &&
	      cells[1].vals[1].i == 99 && cells[1].vals[2].i == -1);
	for (int i = 0; i < 2; i++) {
		CHECK(an[i].id == 10 + i && an[i].x == -i - 1 &&
		      an[i].y == 200 + i && an[i].z == 0);
		CHECK(an[i].u == 5000 + i && an[i].end == 'A' + i);
	}
	CHECK(anon_y == &an[1].y);
	struct stf_object_info info;
	CHECK(stf_lookup(outer, &info) == 0 && info.size >= sizeof(*outer));
	CHECK(!strcmp(outer->name, "outer") && outer->first == 0);
	for (int i = 0; i < 3; i++) {
		CHECK(outer->mids[i].m == 1000 * i && outer->mids[i].before == 0);
		for (int j = 0; j < 2; j++) {
			char want[3] = { 's', (char)('0' + 2 * i + j), 0 };
			CHECK(outer->mids[i].in[j].v == 10 * i + j);
			CHECK(!strcmp(outer->mids[i].in[j].s, want));
			CHECK(outer->mids[i].in[j].extra == 0);
		}
	}
	CHECK(deep == &outer->mids[2].in[1]);
	CHECK(deep_s == &outer->mids[1].in[0].s);
	CHECK(mid_m == &outer->mids[1].m);
	XT_V2_RESULT();
}
