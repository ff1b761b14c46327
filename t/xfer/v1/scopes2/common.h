/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "xt.h"

/* an inline function with a static local, in two files */
static inline int next_ticket(void)
{
	static int ticket;
	return ++ticket;
}

int part_a(void);
int part_b(void);
extern int *ticket_a;
