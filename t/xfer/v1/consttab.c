/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pointers into read-only tables (const arrays of structs), whose
 * struct and contents change in version 2. */
#include "xt.h"

static int h_get(int a) { return a + 1; }
static int h_put(int a) { return a + 2; }
static int h_del(int a) { return a + 3; }

struct route {
	const char *path;
	int (*fn)(int);
	int methods;
};

static const struct route routes[] = {
	{ "/get", h_get, 1 },
	{ "/put", h_put, 2 },
	{ "/del", h_del, 4 },
};

static const char *const mime[] = { "text/html", "image/png", "text/css" };

struct conn {
	const struct route *route;
	const char *const *type;
	const int *methods;
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
