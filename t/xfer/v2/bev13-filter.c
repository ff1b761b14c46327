/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of bev13-filter.c: struct codec and struct conn gain
 * members; bytes written into a socket's other end pass the filter with
 * the moved codec and reach the read callback with the moved conn. */
#include <stdint.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include "xt.h"

#define NCONNS 2

struct codec {
	unsigned key;
	unsigned long calls;
	char name[16];
	uint64_t bytes;
};

struct conn {
	void *number; /* an integer */
	unsigned long polled;
	char name[16];
	struct codec *codec;
	uint64_t reads;
	unsigned long bytes;
};

static struct event_base *base;
static struct bufferevent *filtered[NCONNS];
static int peers[NCONNS];
static struct codec *decoded_with[NCONNS];
static struct conn *read_by[NCONNS];

static int index_of(struct bufferevent *bev)
{
	for (int i = 0; i < NCONNS; i++)
		if (filtered[i] == bev || bufferevent_get_underlying(filtered[i]) == bev)
			return i;
	return 0;
}

static enum bufferevent_filter_result decode(struct evbuffer *src, struct evbuffer *dst,
					     ev_ssize_t limit, enum bufferevent_flush_mode mode,
					     void *ctx)
{
	struct codec *k = ctx;
	(void)limit, (void)mode;
	k->calls++;
	k->bytes += evbuffer_get_length(src);
	decoded_with[k->key - 0x40 < NCONNS ? k->key - 0x40 : 0] = k;
	evbuffer_remove_buffer(src, dst, evbuffer_get_length(src));
	return BEV_OK;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	c->reads++;
	c->bytes += evbuffer_get_length(bufferevent_get_input(bev));
	read_by[index_of(bev)] = c;
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
	XT_V2_RECEIVE(init);
	for (int i = 0; i < NCONNS; i++)
		CHECK(write(peers[i], "hello", 5 + i) == 5 + i);
	for (int round = 0; round < 50 && (!read_by[0] || !read_by[1]); round++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(2000);
	for (long i = 0; i < NCONNS; i++) {
		struct conn *c = read_by[i];
		struct codec *k = decoded_with[i];
		struct stf_object_info info;
		CHECK(c && stf_lookup(c, &info) == 0 && info.size >= sizeof(*c));
		CHECK(k && stf_lookup(k, &info) == 0 && info.size >= sizeof(*k));
		if (!c || !k)
			continue;
		CHECK(c->number == (void *)(uintptr_t)(i + 1) && c->codec == k);
		CHECK(c->reads == 1 && c->bytes == 5u + i && c->polled == 0 && c->name[0] == 0);
		CHECK(k->key == 0x40 + i && k->calls == 1 && k->bytes == 5u + i && k->name[0] == 0);
	}
	XT_V2_RESULT();
}
