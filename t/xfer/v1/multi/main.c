/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "xt.h"
#include "entry.h"

struct entry *table[8];

static __attribute__((noinline)) void init(void)
{
	for (int k = 0; k < 20; k++) {
		struct entry *e = make_entry(k);
		e->next = table[k % 8];
		table[k % 8] = e;
	}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
