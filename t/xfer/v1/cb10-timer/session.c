/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the timers' arguments are: only this unit says. */
#include <stdio.h>
#include "session.h"

void session_init(void *arg, int i)
{
	struct session *s = arg;
	s->id = i;
	s->expired = 40 + i;
	snprintf(s->user, sizeof(s->user), "user%d", i);
}

void session_expire(void *arg)
{
	struct session *s = arg;
	s->expired++;
}
