/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A member list that forgets without shrinking (evchat's rooms, wave 14):
 * a peer that leaves is freed, its pointer stays in the dead tail of the
 * array, and libevent's callback entry of a buffer (evbuffer_add_cb) gets
 * the freed peer's block.  Version 2 grows struct peer by a member before
 * its buffer: the entry, libevent's own, must keep its bytes where
 * libevent reads them. */
#include <stdint.h>
#include <event2/buffer.h>
#include "xt.h"

struct peer {
	int fd;
	struct evbuffer *out;
	void *joins; /* a count */
	struct peer *last;
	long lines;
};

static struct peer **members;  /* members[0, nmembers) live, the rest stale */
static int nmembers;
static struct evbuffer *buf;

static void count(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	struct peer *p = arg;
	(void)b;
	p->lines += (long)info->n_added;
}

static __attribute__((noinline)) void init(void)
{
	struct peer *a = calloc(1, sizeof *a), *gone = calloc(1, sizeof *gone);
	members = malloc(2 * sizeof *members);
	members[0] = a;
	members[1] = gone;
	nmembers = 2;
	a->fd = 7;
	a->joins = (void *)(uintptr_t)3;
	/* gone leaves: the list forgets it, the array keeps its pointer */
	nmembers--;
	free(gone);
	buf = evbuffer_new();
	/* the entry takes the freed peer's block (what the test is about) */
	if (evbuffer_add_cb(buf, count, a) != (void *)gone)
		abort();
	evbuffer_add(buf, "abc", 3);
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		if (nmembers != 1 || members[nmembers - 1]->lines != 3)
			abort();
	}
	XT_V1_LOOP();
}
