/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of bev13-evhttp.c: struct route and struct site gain
 * members; requests to the server reach the handlers with the moved
 * structs. */
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <event2/http.h>
#include "xt.h"

#define NROUTES 2

struct route {
	void *number; /* an integer */
	unsigned long polled;
	char name[16];
	uint64_t hits;
	unsigned status;
};

struct site {
	const char *name;
	char host[24];
	uint64_t misses;
};

static const char *const paths[NROUTES] = { "/a", "/b" };
static struct event_base *base;
static struct evhttp *http;
static struct evhttp_bound_socket *bound;
static struct route *routed[NROUTES];
static struct site *missed;

static void on_route(struct evhttp_request *req, void *arg)
{
	struct route *r = arg;
	uintptr_t n = (uintptr_t)r->number;
	r->hits++;
	if (n >= 1 && n <= NROUTES)
		routed[n - 1] = r;
	evhttp_send_reply(req, (int)r->status, "OK", NULL);
}

static void on_other(struct evhttp_request *req, void *arg)
{
	struct site *s = arg;
	s->misses++;
	missed = s;
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

/* Sends a request for path to the server; the client socket, or -1. */
static int request(const char *path)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	char line[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int n = snprintf(line, sizeof line, "GET %s HTTP/1.0\r\n\r\n", path);
	if (fd < 0 || getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&sin, &len) < 0 ||
	    connect(fd, (struct sockaddr *)&sin, len) < 0 || write(fd, line, (size_t)n) != n)
		return -1;
	return fd;
}

int main(void)
{
	int fds[NROUTES + 1];
	struct stf_object_info info;
	XT_V2_RECEIVE(init);
	for (int i = 0; i < NROUTES; i++)
		CHECK((fds[i] = request(paths[i])) >= 0);
	CHECK((fds[NROUTES] = request("/other")) >= 0);
	for (int round = 0; round < 100 && (!routed[0] || !routed[1] || !missed); round++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(2000);
	for (long i = 0; i < NROUTES; i++) {
		struct route *r = routed[i];
		CHECK(r && stf_lookup(r, &info) == 0 && info.size >= sizeof(*r));
		if (r)
			CHECK(r->hits == 1 && r->status == 200 && r->polled == 0 && r->name[0] == 0);
	}
	CHECK(missed && stf_lookup(missed, &info) == 0 && info.size >= sizeof(*missed));
	if (missed)
		CHECK(missed->misses == 1 && !strcmp(missed->name, "site") && missed->host[0] == 0);
	for (int i = 0; i <= NROUTES; i++)
		close(fds[i]);
	XT_V2_RESULT();
}
