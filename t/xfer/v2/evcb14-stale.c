/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of evcb14-stale.c: struct peer gains a name before its buffer
 * (40 -> 64 bytes); adding to the buffer must still call its callback
 * with the moved peer. */
#include <stdint.h>
#include <event2/buffer.h>
#include "xt.h"

struct peer {
	int fd;
	char nick[16];
	int flags;
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
	nmembers--;
	free(gone);
	buf = evbuffer_new();
	if (evbuffer_add_cb(buf, count, a) != (void *)gone)
		abort();
	evbuffer_add(buf, "abc", 3);
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(nmembers == 1 && members[0]->fd == 7 && (uintptr_t)members[0]->joins == 3);
	CHECK(members[0]->lines == 3);
	CHECK(evbuffer_add(buf, "defg", 4) == 0);
	/* the entry's callback ran: libevent read it where it left it */
	CHECK(members[0]->lines == 7);
	CHECK(evbuffer_get_length(buf) == 7);
	XT_V2_RESULT();
}
