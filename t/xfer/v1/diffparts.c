/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A list of 100,000 heap objects: enough for the state differencing to be
 * cut in several parts run at once (see diffparts.sh). */
#include "xt.h"

struct item {
	int val;
	struct item *next;
};

static struct item *head;

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 100000; i++) {
		struct item *it = malloc(sizeof(*it));
		it->val = i;
		it->next = head;
		head = it;
	}
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
