/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "xt.h"
#include "entry.h"

struct entry *table[8];
int store_made(void);

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
	XT_V2_RECEIVE(init);
	int n = 0;
	for (int b = 0; b < 8; b++)
		for (struct entry *e = table[b]; e; e = e->next, n++)
			CHECK(e->key % 8 == b && e->hits == 0);
	CHECK(n == 20);
	CHECK(store_made() == 20);
	XT_V2_RESULT();
}
