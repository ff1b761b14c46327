/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unions whose members change between versions: argv[1] fills one that
 * no conversion can be right for. */
#include "xt.h"

struct v4 {
	unsigned char a[4];
	unsigned short port;
};

union addr {                /* a member's struct changes */
	struct v4 in4;
	unsigned char raw[8];
};

union grows {               /* a member is added */
	int i;
	float f;
};

union single {              /* one member, widened */
	int count;
};

struct msg {
	int kind;
	union {             /* anonymous, a member widened: the
	                       values agree whichever member holds them */
		int code;
		float level;
	};
	union single s;
	union {             /* anonymous, unchanged, first member smaller */
		int small;
		double real;
	};
	union {             /* a float member widened: int values too */
		int ivalue;
		float fvalue;
	};
};

static union addr peer;
static union grows g[2];
static struct msg msgs[2];

static __attribute__((noinline)) void init(const char *mode)
{
	g[0].i = -7;
	g[1].f = 2.5f;
	msgs[0].kind = 1;
	msgs[0].s.count = -40000;
	msgs[1].kind = 2;
	msgs[1].s.count = 3;
	msgs[0].real = 0.1;
	msgs[1].small = -9;
	msgs[0].ivalue = -5;      /* as a float: NaN */
	msgs[1].ivalue = 7;       /* as a float: subnormal */
	if (!strcmp(mode, "member-struct")) {
		peer.in4.a[0] = 10;
		peer.in4.port = 8080;
	} else if (!strcmp(mode, "anonymous")) {
		msgs[1].fvalue = 1.5f; /* or the int 1069547520? */
	}
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "");
	XT_V1_LOOP();
}
