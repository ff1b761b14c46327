/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of frames.c: the context struct reordered and grown, the
 * counter widened. */
#include "xt.h"

struct ctx {
	struct ctx *self;
	char name[12];
	long nreq;
	int flags;
};

struct v4 {
	unsigned char a[4];
	unsigned short port;
};

union addr {
	struct v4 in4;
	unsigned char raw[16];
};

struct holder {
	struct ctx *ctx;
	long *counter;
};

static struct ctx *g_ctx;
static long *g_counter;
static struct holder *h;
static union addr peer;
static const char *suffix;

static __attribute__((noinline)) void init(struct ctx *c, long *counter)
{
	g_ctx = c;
	g_counter = counter;
	h = malloc(sizeof(*h));
	h->ctx = c;
	h->counter = counter;
	c->self = c;
	peer.in4.a[0] = 10;
	peer.in4.a[3] = 7;
	peer.in4.port = 8080;
	suffix = "index.html" + 5;
}

int main(void)
{
	struct ctx ctx = { NULL, "", 0, 0 };
	long counter = 0;

	if (!stf_is_updating()) {
		init(&ctx, &counter);
		XT_V1_LOOP();
	}
	stf_update_point();
	CHECK(ctx.nreq == 5 && !strcmp(ctx.name, "main") && ctx.flags == 0);
	CHECK(ctx.self == &ctx);
	CHECK(counter == 17);
	CHECK(g_ctx == &ctx && g_counter == &counter);
	CHECK(h && h->ctx == &ctx && h->counter == &counter);
	CHECK(peer.in4.a[0] == 10 && peer.in4.a[3] == 7 && peer.in4.port == 8080);
	CHECK(!strcmp(suffix, ".html"));
	XT_V2_RESULT();
}
