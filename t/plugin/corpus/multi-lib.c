/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit 2 of a two-unit program. */
#include "multi.h"

struct shared lib_item = { 7, 0, "item" };
static int counter;

int lib_touch(int v)
{
	counter += v;
	return lib_item.id + v;
}
