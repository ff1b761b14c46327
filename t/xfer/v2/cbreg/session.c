/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>
#include "session.h"

static int next_id = 1;

/* The timer's callback: only it says what its argument is. */
void session_expire(void *arg)
{
	struct session *s = arg;
	if (!s->id) {
		s->id = next_id++;
		strcpy(s->user, "guest");
	}
	s->ticks++;
}
