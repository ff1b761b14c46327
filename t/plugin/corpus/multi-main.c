/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit 1 of a two-unit program. */
#include "multi.h"

struct shared *head = &lib_item;
static int counter;

int main(int argc, char **argv)
{
	(void)argv;
	counter += argc;
	return lib_touch(counter) != head->id + counter;
}
