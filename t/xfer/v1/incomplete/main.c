/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "xt.h"
#include "table.h"

struct table *tab; /* struct table is incomplete in this unit */

int main(void)
{
	if (!stf_is_updating())
		tab = table_new(40);
	XT_V1_LOOP();
}
