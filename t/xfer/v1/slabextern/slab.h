/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The slab of slabextern, defined in slab.c: slab_alloc's address is
 * taken in no unit of its own (its callers are in main.c). */
#ifndef SLABEXTERN_SLAB_H
#define SLABEXTERN_SLAB_H
#include <stddef.h>
#include <stf.h>

struct slab {
	size_t size;              /* bytes of a slot: sizeof the object */
	void *free;               /* free slots, linked through their first word */
	char *cursor;             /* next never-used slot of the newest chunk */
	unsigned left;            /* never-used slots left there */
};

struct slab *slab_create(size_t size);
STF_ALLOCATOR void *slab_alloc(struct slab *s);
void slab_free(struct slab *s, void *p);

#endif
