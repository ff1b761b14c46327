/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The vector of voidget3, in its own unit. */
#ifndef VEC_H
#define VEC_H
#include <stddef.h>

struct vec {
	void *items;
	unsigned len, cap;
	size_t size;
};

struct vec *vec_new(size_t size);
void *vec_push(struct vec *v);
void *vec_at(struct vec *v, unsigned i);

#endif
