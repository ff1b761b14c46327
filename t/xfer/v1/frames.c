/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pointers to the update-point function's locals kept in statics and on
 * the heap; a union of structs whose member struct changed; a pointer to
 * a string literal's middle. */
#include "xt.h"

struct ctx {
	int nreq;
	char name[8];
	struct ctx *self;
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
	int *counter;
};

static struct ctx *g_ctx;
static int *g_counter;
static struct holder *h;
static union addr peer;
static const char *suffix;

static __attribute__((noinline)) void init(struct ctx *c, int *counter)
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
	struct ctx ctx = { 5, "main", NULL };
	int counter = 17;

	if (!stf_is_updating())
		init(&ctx, &counter);
	for (;;) {
		stf_update_point();
		usleep(2000);
		if (ctx.nreq < 0)
			counter++;
	}
}
