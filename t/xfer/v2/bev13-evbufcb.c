/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of bev13-evbufcb.c: struct stats gains members (24 -> 48
 * bytes); adding to a buffer calls its callback with the moved stats. */
#include <stdint.h>
#include <event2/buffer.h>
#include "xt.h"

#define NBUFS 3

struct stats {
	void *number; /* an integer */
	unsigned long polled;
	char name[16];
	uint64_t added;
	unsigned long calls;
};

static struct evbuffer *bufs[NBUFS];
static struct stats *counted[NBUFS];

static void count(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct stats *s = arg;
	uintptr_t n = (uintptr_t)s->number;
	(void)buf;
	s->added += info->n_added;
	s->calls++;
	if (n >= 1 && n <= NBUFS)
		counted[n - 1] = s;
}

static __attribute__((noinline)) void init(void)
{
	for (long i = 0; i < NBUFS; i++) {
		struct stats *s = calloc(1, sizeof *s);
		s->number = (void *)(uintptr_t)(i + 1);
		bufs[i] = evbuffer_new();
		if (!evbuffer_add_cb(bufs[i], count, s))
			abort();
		evbuffer_add(bufs[i], "abc", 3);
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (long i = 0; i < NBUFS; i++) {
		struct stats *s;
		struct stf_object_info info;
		CHECK(evbuffer_add(bufs[i], "defg", 4) == 0);
		s = counted[i];
		CHECK(s && stf_lookup(s, &info) == 0 && info.size >= sizeof(*s));
		if (!s)
			continue;
		CHECK(s->added == 7 && s->calls == 2 && s->polled == 0 && s->name[0] == 0);
		CHECK(evbuffer_get_length(bufs[i]) == 7);
	}
	XT_V2_RESULT();
}
