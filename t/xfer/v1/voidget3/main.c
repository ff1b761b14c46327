/* SPDX-License-Identifier: GPL-3.0-or-later */
/* voidget with the vector's accessors in another unit (vec.c): the uses
 * of their results in this unit are joined to the member they return by
 * the accessors' names. */
#include "xt.h"
#include "vec.h"

struct session {
	long id;
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

static __attribute__((noinline)) long serve(void)
{
	long sum = 0;
	for (unsigned i = 0; i < sessions->len; i++) {
		struct session *s = vec_at(sessions, i);
		sum += s->id + s->bytes;
	}
	return sum;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	long want = stf_is_updating() ? 0 : serve();
	for (;;) {
		stf_update_point();
		if (want && serve() != want)
			abort();
		usleep(2000);
	}
}
