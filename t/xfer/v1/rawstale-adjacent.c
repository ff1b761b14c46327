/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A stale address one past the end of a typed heap object in a raw buffer
 * (an untyped block), the object followed by another one in the next heap
 * slot.  Version 2 grows the object to fill its slot: one past its end is
 * where the next object starts. */
#include "xt.h"

struct slot {
	long key;
	long value;
	char name[24];
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static void *raw; /* the untyped buffer */
static struct slot *slots[2];

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 2; i++) {
		slots[i] = malloc(sizeof(*slots[i]));
		slots[i]->key = i;
		slots[i]->value = 10L * i;
		snprintf(slots[i]->name, sizeof(slots[i]->name), "slot%d", i);
	}
	void **w = xalloc(4 * sizeof(*w));
	memset(w, 0, 4 * sizeof(*w));
	raw = w;
	w[0] = (char *)(slots[0] + 1);
	w[1] = (char *)slots[1];   /* both keep their addresses */
	w[2] = slots[0]->name;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
