/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Scalar kinds and layouts: long double, _Bool, plain char that becomes
 * signed/unsigned char, signed bitfields reordered and widened, an enum
 * bitfield whose enumerators are renumbered, arrays of unions inside a
 * changed struct, nested anonymous structs and unions that move, three
 * levels of nesting with pointers into the innermost level. */
#include <stdbool.h>
#include "xt.h"

enum color { RED, GREEN, BLUE };

struct flags {
	int a : 3;
	int b : 5;
	unsigned c : 7;
	enum color col : 2;
	bool on : 1;
	signed char d : 4;
};

union num {
	int i;
	float f;
	char s[4];
};

struct cell {
	short kind;
	union num vals[3];
};

struct anon {
	int id;
	struct {
		short x, y;
	};
	union {
		int u;
		float uf;
	};
	char end;
};

struct inner {
	short v;
	const char *s;
};

struct mid {
	struct inner in[2];
	int m;
};

struct outer {
	char name[6];
	struct mid mids[3];
};

static long double ld = 1.0L / 3.0L;
static long double lds[2];
static _Bool yes = 1, no;
static bool bs[3];
static char ch[4] = { 'a', 'z', 65, 0x7f };
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
