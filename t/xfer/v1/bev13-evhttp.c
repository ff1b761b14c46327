/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An HTTP server (evhttp on 127.0.0.1, any port) whose handlers' state
 * is reached only as callback arguments kept by evhttp: a struct route
 * per path (evhttp_set_cb) and a struct site for every other path
 * (evhttp_set_gencb).  Version 2 grows both structs past their malloc
 * chunks. */
#include <stdint.h>
#include <event2/event.h>
#include <event2/http.h>
#include "xt.h"

#define NROUTES 2

struct route {
	void *number; /* an integer */
	uint64_t hits;
	unsigned status;
};

struct site {
	const char *name;
	uint64_t misses;
};

static const char *const paths[NROUTES] = { "/a", "/b" };
static struct event_base *base;
static struct evhttp *http;
static struct evhttp_bound_socket *bound;

static void on_route(struct evhttp_request *req, void *arg)
{
	struct route *r = arg;
	r->hits++;
	evhttp_send_reply(req, (int)r->status, "OK", NULL);
}

static void on_other(struct evhttp_request *req, void *arg)
{
	struct site *s = arg;
	s->misses++;
	evhttp_send_error(req, 404, NULL);
}

static __attribute__((noinline)) void init(void)
{
	struct site *s = calloc(1, sizeof *s);
	base = event_base_new();
	http = evhttp_new(base);
	for (long i = 0; i < NROUTES; i++) {
		struct route *r = calloc(1, sizeof *r);
		r->number = (void *)(uintptr_t)(i + 1);
		r->status = 200;
		evhttp_set_cb(http, paths[i], on_route, r);
	}
	s->name = "site";
	evhttp_set_gencb(http, on_other, s);
	bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		if (!bound || evhttp_bound_socket_get_fd(bound) < 0 || !base)
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
