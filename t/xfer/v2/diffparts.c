/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of diffparts: a forward-only member callback changes one value
 * in 997, so the round trip finds differences all over the list (the
 * update rolls back; see diffparts.sh). */
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

static int val_cb(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		  void *arg)
{
	int v;
	(void)x;
	(void)arg;
	memcpy(&v, src->addr, sizeof(v));
	if (v % 997 == 0)
		v = -v - 1;
	memcpy(dst->addr, &v, sizeof(v));
	return STF_CB_DONE;
}

int main(void)
{
	if (stf_is_updating())
		stf_on_member("struct item", "val", STF_FORWARD, val_cb, NULL);
	XT_V2_RECEIVE(init);
	XT_V2_RESULT();
}
