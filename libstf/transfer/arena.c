/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * arena.c - the engine's own memory and lookups (see remote.h): an arena
 * freed as a whole and a string map (open addressing, FNV-1a), both on
 * libstf's raw allocator so that none of it is program state.
 */
#include <string.h>

#include "alloc.h"
#include "remote.h"

/* ------------------------------------------------------------------ */
/* Arena.                                                              */

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	uint8_t data[];
};

struct stf_arena {
	struct arena_chunk *head;
	size_t next; /* size of the next chunk */
};

/* Chunks double from 1 MiB up to this: a transfer staging a million
 * objects takes a few large mappings (or the transfer's freed arrays,
 * whole), not hundreds of small ones. */
#define CHUNK_MAX ((size_t)64 << 20)

struct stf_arena *stf__arena_new(void)
{
	struct stf_arena *a = stf__raw_malloc(sizeof(*a));
	if (a) {
		a->head = NULL;
		a->next = (size_t)1 << 20;
	}
	return a;
}

void *stf__arena_alloc(struct stf_arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	size = (size + 15) & ~(size_t)15;
	if (!c || c->used + size > c->size) {
		size_t csize = (size > a->next ? size : a->next) + 16, usable;
		c = stf__bulk_alloc_most(sizeof(*c) + csize, &usable);
		if (!c)
			return NULL;
		if (a->next < CHUNK_MAX)
			a->next *= 2;
		/* bytes of data[], alignment padding included */
		c->size = usable - sizeof(*c);
		/* keep data 16-aligned */
		c->used = (16 - ((uintptr_t)c->data & 15)) & 15;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *stf__arena_strdup(struct stf_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = stf__arena_alloc(a, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

void stf__arena_free(struct stf_arena *a)
{
	if (!a)
		return;
	while (a->head) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
		stf__bulk_free(c);
	}
	stf__raw_free(a);
}

/* ------------------------------------------------------------------ */
/* String map (open addressing, FNV-1a).                               */

uint64_t stf__hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static int strmap_grow(struct stf_strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	const char **keys = stf__raw_malloc(ncap * sizeof(*keys));
	uint64_t *vals = stf__raw_malloc(ncap * sizeof(*vals));
	if (!keys || !vals) {
		stf__raw_free(keys);
		stf__raw_free(vals);
		return -1;
	}
	memset(keys, 0, ncap * sizeof(*keys));
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = stf__hash_str(m->keys[i]) & (ncap - 1);
		while (keys[j])
			j = (j + 1) & (ncap - 1);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	stf__raw_free(m->keys);
	stf__raw_free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = ncap;
	return 0;
}

int stf__strmap_put(struct stf_strmap *m, const char *key, uint64_t val)
{
	if (2 * (m->n + 1) > m->cap && strmap_grow(m) < 0)
		return -1;
	size_t j = stf__hash_str(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (!strcmp(m->keys[j], key)) {
			m->vals[j] = val;
			return 0;
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->keys[j] = key;
	m->vals[j] = val;
	m->n++;
	return 0;
}

int stf__strmap_get(const struct stf_strmap *m, const char *key, uint64_t *val)
{
	if (!m->cap)
		return -1;
	size_t j = stf__hash_str(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (!strcmp(m->keys[j], key)) {
			*val = m->vals[j];
			return 0;
		}
		j = (j + 1) & (m->cap - 1);
	}
	return -1;
}

void stf__strmap_free(struct stf_strmap *m)
{
	stf__raw_free(m->keys);
	stf__raw_free(m->vals);
	memset(m, 0, sizeof(*m));
}
