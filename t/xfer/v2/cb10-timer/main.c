/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cb10-timer: struct session gains members before expired. */
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
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 3; i++) {
		struct session *s = timer_arg(2 - i);
		struct stf_object_info info;
		char want[16];
		snprintf(want, sizeof(want), "user%d", i);
		CHECK(s && stf_lookup(s, &info) == 0 && info.size >= sizeof(*s));
		CHECK(s && s->id == i && s->expired == 40u + i && !strcmp(s->user, want));
		CHECK(s && s->flags == 0 && s->created == 0);
	}
	XT_V2_RESULT();
}
