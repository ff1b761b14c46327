/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Two vectors of different structs behind `void *items`, touched only
 * through accessors returning `void *`: each vector's element type is
 * known from the calls on its own static.  Version 2 grows both. */
#include "xt.h"

struct vec {
	void *items;
	unsigned len, cap;
	size_t size;
};

struct session {
	long id;
	long bytes;
};

struct route {
	int port;
	char name[8];
};

static struct vec *sessions, *routes;

static __attribute__((noinline)) struct vec *vec_new(size_t size)
{
	struct vec *v = calloc(1, sizeof *v);
	v->size = size;
	return v;
}

static __attribute__((noinline)) void *vec_push(struct vec *v)
{
	if (v->len == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 4;
		v->items = realloc(v->items, v->cap * v->size);
	}
	return (char *)v->items + v->size * v->len++;
}

static __attribute__((noinline)) void *vec_at(struct vec *v, unsigned i)
{
	return (char *)v->items + v->size * i;
}

static __attribute__((noinline)) void init(void)
{
	sessions = vec_new(sizeof(struct session));
	for (int i = 0; i < 9; i++) {
		struct session *s = vec_push(sessions);
		s->id = 100 + i;
		s->bytes = 1000L * i;
	}
	routes = vec_new(sizeof(struct route));
	for (int i = 0; i < 5; i++) {
		struct route *r = vec_push(routes);
		r->port = 8000 + i;
		snprintf(r->name, sizeof(r->name), "r%d", i);
	}
}

static __attribute__((noinline)) long serve(void)
{
	long sum = 0;
	for (unsigned i = 0; i < sessions->len; i++) {
		struct session *s = vec_at(sessions, i);
		sum += s->id + s->bytes;
	}
	for (unsigned i = 0; i < routes->len; i++) {
		struct route *r = vec_at(routes, i);
		sum += r->port + r->name[1];
	}
	return sum;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	long want = stf_is_updating() ? 0 : serve();
	for (;;) {
		stf_update_point();
		if (want && serve() != want)
			abort();
		usleep(2000);
	}
}
