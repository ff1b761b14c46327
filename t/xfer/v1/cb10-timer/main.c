/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sessions allocated at a site of no type (`void *s = malloc(sizeof(struct
 * session))`) and registered with a timer list of another unit
 * (`timer_add(ms, session_expire, s)`, timers.c keeping fn and arg in its
 * own struct timer), the callback and the initializer in a third
 * (session.c).  The timer's `void *arg` is the only pointer to a session.
 * Version 2 extends struct session: the sessions must arrive as version
 * 2's struct, or the update must refuse them. */
#include "xt.h"
#include "timers.h"
#include "session.h"

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		void *s = malloc(sizeof(struct session));
		session_init(s, i);
		timer_add(1000 + i, session_expire, s);
	}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
