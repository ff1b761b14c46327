/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Account balances in cents; version 2 stores whole euros and refuses
 * amounts with cents (argv[1] "cents"). */
#include "xt.h"

struct account {
	char owner[8];
	long cents;
};

static struct account *accounts;

static __attribute__((noinline)) void init(const char *mode)
{
	accounts = calloc(3, sizeof(*accounts));
	for (int i = 0; i < 3; i++) {
		snprintf(accounts[i].owner, sizeof(accounts[i].owner), "acc%d", i);
		accounts[i].cents = 100L * (i + 1);
	}
	if (!strcmp(mode, "cents"))
		accounts[2].cents += 5;
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "");
	XT_V1_LOOP();
}
