/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cbfail.c: cents -> euros by a member callback, both
 * directions; a value with cents makes the callback fail the update. */
#include "xt.h"

struct account {
	char owner[8];
	long euros;
};

static struct account *accounts;

static __attribute__((noinline)) void init(void)
{
	accounts = calloc(3, sizeof(*accounts));
}

static int euros_cb(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		    void *arg)
{
	long v;
	(void)arg;
	memcpy(&v, src->addr, sizeof(v));
	if (stf_xfer_direction(x) == STF_FORWARD) {
		if (v % 100) {
			stf_xfer_fail(x, "%s: %ld cents is not a whole number of euros",
				      src->path, v);
			return STF_CB_ERROR;
		}
		v /= 100;
	} else {
		v *= 100;
	}
	memcpy(dst->addr, &v, sizeof(v));
	return STF_CB_DONE;
}

int main(void)
{
	if (stf_is_updating()) {
		stf_rename(STF_RENAME_MEMBER, "struct account.cents", "euros");
		stf_on_member("struct account", "euros", STF_BOTH, euros_cb, NULL);
	}
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 3; i++) {
		char want[8];
		snprintf(want, sizeof(want), "acc%d", i);
		CHECK(!strcmp(accounts[i].owner, want) && accounts[i].euros == i + 1);
	}
	XT_V2_RESULT();
}
