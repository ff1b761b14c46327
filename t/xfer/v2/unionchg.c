/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of unionchg.c. */
#include "xt.h"

struct v4 {
	unsigned short port;
	unsigned char a[4];
};

union addr {
	struct v4 in4;
	unsigned char raw[8];
};

union grows {
	int i;
	float f;
	char text[16];
};

union single {
	long count;
};

struct msg {
	union {
		long code;
		float level;
	};
	union single s;
	int kind;
	union {
		double real;
		int small;
	};
	union {
		int ivalue;
		double fvalue;
	};
};

static union addr peer;
static union grows g[2];
static struct msg msgs[2];

static __attribute__((noinline)) void init(void)
{
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(peer.in4.port == 0 && peer.in4.a[0] == 0);
	CHECK(g[0].i == -7 && g[1].f == 2.5f && !g[0].text[4] && !g[1].text[15]);
	CHECK(msgs[0].kind == 1 && msgs[0].s.count == -40000 && msgs[0].code == 0);
	CHECK(msgs[1].kind == 2 && msgs[1].s.count == 3);
	CHECK(msgs[0].real == 0.1 && msgs[1].small == -9);
	CHECK(msgs[0].ivalue == -5 && msgs[1].ivalue == 7);
	XT_V2_RESULT();
}
