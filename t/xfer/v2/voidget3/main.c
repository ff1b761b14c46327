/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of voidget3: struct session gains a member. */
#include "xt.h"
#include "vec.h"

struct session {
	long id;
	int state;
	long bytes;
};

static struct vec *sessions;

static __attribute__((noinline)) void init(void)
{
	sessions = vec_new(sizeof(struct session));
	for (int i = 0; i < 9; i++) {
		struct session *s = vec_push(sessions);
		s->id = 100 + i;
		s->bytes = 1000L * i;
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(sessions->len == 9 && sessions->size == sizeof(struct session));
	for (unsigned i = 0; i < sessions->len; i++) {
		struct session *s = vec_at(sessions, i);
		CHECK(s->id == 100 + i && s->state == 0 && s->bytes == 1000L * i);
	}
	XT_V2_RESULT();
}
