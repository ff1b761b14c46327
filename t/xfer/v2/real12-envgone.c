/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of real12-envgone.c: no array of its own. */
#include "xt.h"

static void init(void)
{
}

int main(void)
{
	XT_V2_RECEIVE(init);
	XT_V2_RESULT();
}
