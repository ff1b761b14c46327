/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "timers.h"

struct timer {
	unsigned due;
	void (*fn)(void *);
	void *arg;
};

static struct timer wheel[8];
static int ntimers;

void timer_add(unsigned ms, void (*fn)(void *), void *arg)
{
	struct timer *t = &wheel[ntimers++];
	t->due = ms;
	t->fn = fn;
	t->arg = arg;
}

void timers_run(void)
{
	for (int i = 0; i < ntimers; i++)
		wheel[i].fn(wheel[i].arg);
}
