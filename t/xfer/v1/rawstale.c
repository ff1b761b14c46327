/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Stale addresses in a raw buffer's capacity (an untyped block reached
 * through void * only), as a client's input buffer holds after reusing
 * freed heap memory: inside members of typed heap objects (a byte inside a
 * number, a char of an array), in the padding after a member, one past a
 * member, one past the end of the objects.  Version 2 changes the objects'
 * layout: they keep their addresses (pinned) and each word keeps pointing
 * to the same member and distance in it (or the end), both ways. */
#include "xt.h"

struct slot {
	unsigned hash;
	unsigned short sum;
	char name[9];
	int seq;
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static void *raw; /* the untyped buffer */
static struct slot *slots[3];

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		slots[i] = malloc(sizeof(*slots[i]));
		slots[i]->hash = 100u + i;
		slots[i]->sum = 7u * i;
		snprintf(slots[i]->name, sizeof(slots[i]->name), "slot%d", i);
		slots[i]->seq = 1000L + i;
	}
	void **w = xalloc(16 * sizeof(*w));
	memset(w, 0, 16 * sizeof(*w));
	raw = w;
	w[0] = (char *)&slots[0]->sum + 1;    /* inside a number that widens */
	w[1] = slots[0]->name + 4;            /* inside an array */
	w[2] = slots[0]->name + 9;            /* one past it: padding */
	w[3] = (char *)(slots[1] + 1);        /* one past the end */
	w[4] = (char *)(slots[2] + 1);
	w[5] = (char *)&slots[1]->seq + 3;    /* inside a member that moves */
	w[6] = (char *)0x4242;                /* an integer */
	w[7] = (char *)&slots[2]->seq;        /* (slots[2] is kept at its address) */
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
