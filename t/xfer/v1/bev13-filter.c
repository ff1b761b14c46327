/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Filtered bufferevents (bufferevent_filter_new over a socket bufferevent
 * on a socketpair): a struct codec is the filter's context, a struct
 * conn the filtered bufferevent's callback argument (bufferevent_setcb);
 * the program keeps only the filtered bufferevents and the sockets' other
 * ends.  Version 2 grows both structs past their malloc chunks. */
#include <stdint.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include "xt.h"

#define NCONNS 2

struct codec {
	unsigned key;
	uint64_t bytes;
};

struct conn {
	void *number; /* an integer */
	struct codec *codec;
	uint64_t reads;
	unsigned long bytes;
};

static struct event_base *base;
static struct bufferevent *filtered[NCONNS];
static int peers[NCONNS];

static enum bufferevent_filter_result decode(struct evbuffer *src, struct evbuffer *dst,
					     ev_ssize_t limit, enum bufferevent_flush_mode mode,
					     void *ctx)
{
	struct codec *k = ctx;
	(void)limit, (void)mode;
	k->bytes += evbuffer_get_length(src);
	evbuffer_remove_buffer(src, dst, evbuffer_get_length(src));
	return BEV_OK;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	c->reads++;
	c->bytes += evbuffer_get_length(bufferevent_get_input(bev));
}

static __attribute__((noinline)) void init(void)
{
	base = event_base_new();
	for (long i = 0; i < NCONNS; i++) {
		int sv[2];
		struct codec *k = calloc(1, sizeof *k);
		struct conn *c = calloc(1, sizeof *c);
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			abort();
		evutil_make_socket_nonblocking(sv[0]);
		peers[i] = sv[1];
		k->key = 0x40 + i;
		c->number = (void *)(uintptr_t)(i + 1);
		c->codec = k;
		filtered[i] = bufferevent_filter_new(bufferevent_socket_new(base, sv[0], 0), decode,
						     NULL, 0, NULL, k);
		bufferevent_setcb(filtered[i], on_read, NULL, NULL, c);
		bufferevent_enable(filtered[i], EV_READ);
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		void *arg;
		init();
		bufferevent_getcb(filtered[0], NULL, NULL, NULL, &arg);
		if (((struct conn *)arg)->codec->key != 0x40 || peers[1] < 0 ||
		    bufferevent_get_base(filtered[0]) != base)
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
