/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Packet header bitfields: widened, narrowed (values fit), turned into
 * plain members and back, enum and bool bitfields; argv[1] "overflow"
 * stores a value the narrower field cannot hold. */
#include <stdbool.h>
#include "xt.h"

enum proto { P_TCP = 6, P_UDP = 17 };

struct hdr {
	unsigned version : 4;
	unsigned ihl : 4;
	unsigned char tos;
	unsigned ttl : 8;
	enum proto proto : 8;
	bool frag : 1;
	int offset : 13;
	unsigned id;
};

static struct hdr hdrs[3];
static struct hdr *last = &hdrs[2];
static unsigned *id_of_1 = &hdrs[1].id;

static __attribute__((noinline)) void init(const char *mode)
{
	for (int i = 0; i < 3; i++) {
		hdrs[i].version = 4;
		hdrs[i].ihl = 5 + (unsigned)i;
		hdrs[i].tos = (unsigned char)(0x10 * i);
		hdrs[i].ttl = 64u * (unsigned)i + 1;
		hdrs[i].proto = i & 1 ? P_UDP : P_TCP;
		hdrs[i].frag = i == 2;
		hdrs[i].offset = -1000 * i;
		hdrs[i].id = 50000u + (unsigned)i;
	}
	if (!strcmp(mode, "overflow"))
		hdrs[2].ihl = 9;
	last = &hdrs[2];
	id_of_1 = &hdrs[1].id;
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "");
	XT_V1_LOOP();
}
