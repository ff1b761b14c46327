/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of voidget.c: struct session gains a member between the two. */
#include "xt.h"

struct vec {
	void *items;
	unsigned len, cap;
	size_t size;
};

struct session {
	long id;
	int state;
	long bytes;
};

static struct vec *sessions;

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
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(sessions->len == 9 && sessions->size == sizeof(struct session));
	for (unsigned i = 0; i < sessions->len; i++) {
		struct session *s = vec_at(sessions, i);
		CHECK(s->id == 100 + i && s->state == 0 && s->bytes == 1000L * i);
	}
	XT_V2_RESULT();
}
