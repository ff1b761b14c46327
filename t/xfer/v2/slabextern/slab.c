/* SPDX-License-Identifier: GPL-3.0-or-later */
/* slabextern's slab allocator, in a file of its own as libusual's
 * slab.c is pgbouncer's (see main.c). */
#include <stdlib.h>
#include "slab.h"

#define PER_CHUNK 16

struct slab *slab_create(size_t size)
{
	struct slab *s = calloc(1, sizeof(*s));
	s->size = size;
	return s;
}

void *slab_alloc(struct slab *s)
{
	if (s->free) {
		void *p = s->free;
		s->free = *(void **)p;
		return p;
	}
	if (!s->left) {
		s->cursor = malloc(PER_CHUNK * s->size);
		s->left = PER_CHUNK;
	}
	void *p = s->cursor;
	s->cursor += s->size;
	s->left--;
	return p;
}

void slab_free(struct slab *s, void *p)
{
	*(void **)p = s->free;
	s->free = p;
}
