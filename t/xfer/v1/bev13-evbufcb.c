/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Buffers that count their traffic in a struct stats given to
 * evbuffer_add_cb as the callback's argument; the program keeps only the
 * buffers.  Version 2 grows struct stats past its malloc chunk. */
#include <stdint.h>
#include <event2/buffer.h>
#include "xt.h"

#define NBUFS 3

struct stats {
	void *number; /* an integer */
	uint64_t added;
	unsigned long calls;
};

static struct evbuffer *bufs[NBUFS];

static void count(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct stats *s = arg;
	(void)buf;
	s->added += info->n_added;
	s->calls++;
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
	if (!stf_is_updating()) {
		init();
		if (evbuffer_get_length(bufs[0]) != 3)
			abort();
	}
	XT_V1_LOOP();
}
