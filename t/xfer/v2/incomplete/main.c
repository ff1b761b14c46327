/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "xt.h"
#include "table.h"

struct table *tab; /* struct table is incomplete in this unit */

static void init(void)
{
	tab = table_new(40);
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(tab != NULL);
	if (tab) {
		CHECK(table_is_sane(tab));
		CHECK(table_apply(tab, 2) == 42);
	}
	XT_V2_RESULT();
}
