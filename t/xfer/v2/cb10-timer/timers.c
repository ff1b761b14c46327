/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A timer list keeping each callback and its argument in its own struct
 * (`t->fn = fn; t->arg = arg;`), fired by `t->fn(t->arg)`: this unit never
 * sees which functions its list holds, nor what the arguments are. */
#include <stdlib.h>
#include "timers.h"

struct timer {
	long due;
	void (*fn)(void *);
	void *arg;
	struct timer *next;
};

static struct timer *timers;

void timer_add(long ms, void (*fn)(void *), void *arg)
{
	struct timer *t = calloc(1, sizeof(*t));
	t->due = ms;
	t->fn = fn;
	t->arg = arg;
	t->next = timers;
	timers = t;
}

void *timer_arg(int i)
{
	struct timer *t = timers;
	while (t && i--)
		t = t->next;
	return t ? t->arg : NULL;
}

int timer_run(long now)
{
	int n = 0;
	for (struct timer *t = timers; t; t = t->next)
		if (t->due <= now) {
			t->fn(t->arg);
			n++;
		}
	return n;
}
