/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of bits.c: ihl narrowed to 3 bits, tos becomes a bitfield,
 * ttl a plain member, offset widened, id moved first, a flags field
 * added. */
#include <stdbool.h>
#include "xt.h"

enum proto { P_ICMP = 1, P_TCP = 6, P_UDP = 17 };

struct hdr {
	unsigned id;
	unsigned version : 4;
	unsigned ihl : 3;
	unsigned flags : 3;
	unsigned tos : 8;
	enum proto proto : 6;
	bool frag : 1;
	unsigned short ttl;
	long offset : 40;
};

static struct hdr hdrs[3];
static struct hdr *last = &hdrs[2];
static unsigned *id_of_1 = &hdrs[1].id;

static __attribute__((noinline)) void init(void)
{
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 3; i++) {
		CHECK(hdrs[i].version == 4);
		CHECK(hdrs[i].ihl == 5u + (unsigned)i);
		CHECK(hdrs[i].tos == 0x10u * (unsigned)i);
		CHECK(hdrs[i].ttl == 64 * i + 1);
		CHECK(hdrs[i].proto == (i & 1 ? P_UDP : P_TCP));
		CHECK(hdrs[i].frag == (i == 2));
		CHECK(hdrs[i].offset == -1000 * i);
		CHECK(hdrs[i].id == 50000u + (unsigned)i);
		CHECK(hdrs[i].flags == 0);
	}
	CHECK(last == &hdrs[2] && id_of_1 == &hdrs[1].id);
	XT_V2_RESULT();
}
