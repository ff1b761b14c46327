/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Allocator wrappers of another unit (autowrap-lib.c), without STF_ALLOCATOR. */
#ifndef AUTOWRAP_H
#define AUTOWRAP_H
#include <stddef.h>

struct item {
	int id;
	struct item *next;
};

void lib_free(void *p);
/* GCC's malloc attribute on the declaration: a wrapper in every unit. */
void *lib_alloc(size_t n) __attribute__((malloc, alloc_size(1)));
/* The malloc (deallocator) form. */
char *lib_name(const char *s) __attribute__((malloc(lib_free, 1)));
/* Declared plainly: only its own unit can tell it is a wrapper. */
void *lib_zalloc(size_t n);
struct item *lib_items(void);

#endif
