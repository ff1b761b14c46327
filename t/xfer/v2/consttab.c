/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of consttab.c: the route struct reordered and grown, a route
 * and a MIME type inserted in the middle of the tables. */
#include "xt.h"

static int h_get(int a) { return a + 1; }
static int h_head(int a) { return a + 10; }
static int h_put(int a) { return a + 2; }
static int h_del(int a) { return a + 3; }

struct route {
	long methods;
	int (*fn)(int);
	const char *path;
	int flags;
};

static const struct route routes[] = {
	{ 1, h_get, "/get", 0 },
	{ 2, h_put, "/put", 0 },
	{ 4, h_del, "/del", 0 },
	{ 8, h_head, "/head", 0 },
};

static const char *const mime[] = { "text/html", "image/png", "text/css", "text/plain" };

struct conn {
	const struct route *route;
	const char *const *type;
	const long *methods;
};

static struct conn *conns;
static const struct route *routes_end = routes + 3;

static __attribute__((noinline)) void init(void)
{
	conns = calloc(3, sizeof(*conns));
	for (int i = 0; i < 3; i++) {
		conns[i].route = &routes[2 - i];
		conns[i].type = &mime[i];
		conns[i].methods = &routes[i].methods;
	}
	routes_end = routes + 3;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 3; i++) {
		CHECK(conns[i].route == &routes[2 - i]);
		CHECK(conns[i].type == &mime[i]);
		CHECK(conns[i].methods == &routes[i].methods);
	}
	CHECK(conns[0].route->fn(0) == 3 && !strcmp(*conns[1].type, "image/png"));
	CHECK(routes_end == routes + 3);
	XT_V2_RESULT();
}
