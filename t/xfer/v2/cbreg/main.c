/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cbreg: struct session and struct outbuf grow. */
#include "xt.h"
#include "timers.h"
#include "session.h"

struct outbuf {
	unsigned len;
	unsigned cap;
	unsigned long sent;
	unsigned long flushes;
	char data[24];
};

struct conn {
	int fd;
	void *ctx;
	void *out;
};

static struct conn *conns[3];

static void on_flush(void *arg)
{
	struct outbuf *b = arg;
	if (!b->len) {
		strcpy(b->data, "hello");
		b->len = 5;
	}
	b->flushes++;
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		struct conn *c = calloc(1, sizeof(*c));
		c->fd = 10 + i;
		c->ctx = calloc(1, sizeof(struct session));
		c->out = calloc(1, sizeof(struct outbuf));
		timer_add(100, session_expire, c->ctx);
		timer_add(10, on_flush, c->out);
		conns[i] = c;
	}
	timers_run();
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 3; i++) {
		struct conn *c = conns[i];
		struct session *s = c->ctx;
		struct outbuf *b = c->out;
		struct stf_object_info info;
		CHECK(c->fd == 10 + i);
		CHECK(stf_lookup(s, &info) == 0 && info.size >= sizeof(*s));
		CHECK(stf_lookup(b, &info) == 0 && info.size >= sizeof(*b));
		CHECK(s->id == 1 + i && s->ticks == 1 && !strcmp(s->user, "guest"));
		CHECK(s->flags == 0 && s->created == 0);
		CHECK(b->len == 5 && b->flushes == 1 && !strcmp(b->data, "hello"));
		CHECK(b->cap == 0 && b->sent == 0);
	}
	timers_run();
	CHECK(((struct session *)conns[2]->ctx)->ticks == 2);
	CHECK(((struct outbuf *)conns[2]->out)->flushes == 2);
	XT_V2_RESULT();
}
