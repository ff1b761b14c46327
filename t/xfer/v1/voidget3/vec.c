/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The vector of voidget3: its accessors are defined here and used only by
 * main.c, whose code alone knows the element type. */
#include <stdlib.h>
#include "vec.h"

struct vec *vec_new(size_t size)
{
	struct vec *v = calloc(1, sizeof *v);
	v->size = size;
	return v;
}

void *vec_push(struct vec *v)
{
	if (v->len == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 4;
		v->items = realloc(v->items, v->cap * v->size);
	}
	return (char *)v->items + v->size * v->len++;
}

void *vec_at(struct vec *v, unsigned i)
{
	return (char *)v->items + v->size * i;
}
