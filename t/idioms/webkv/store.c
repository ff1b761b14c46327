/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store.c - the key-value table of the HTTP servers on evhttp (see
 * store.h).
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define NBUCKETS 1024
static struct value *table[NBUCKETS];
static size_t nvalues;

static unsigned hash(const char *s)
{
	unsigned h = 0;
	while (*s)
		h = h * 37 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct value **lookup(const char *key)
{
	struct value **v = &table[hash(key)];
	while (*v && strcmp((*v)->key, key))
		v = &(*v)->next;
	return v;
}

struct value *store_get(const char *key)
{
	return *lookup(key);
}

int store_put(const char *key, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in);
	struct value **at = lookup(key), *v = malloc(sizeof(*v) + len + 1);
	if (!v || !(v->key = strdup(key))) {
		free(v);
		return -1;
	}
	v->len = len;
	evbuffer_remove(in, v->data, len);
	v->data[len] = 0;
	if (*at) {
		v->next = (*at)->next;
		free((*at)->key);
		free(*at);
	} else {
		v->next = NULL;
		nvalues++;
	}
	*at = v;
	return 0;
}

int store_delete(const char *key)
{
	struct value **at = lookup(key), *v = *at;
	if (!v)
		return -1;
	*at = v->next;
	free(v->key);
	free(v);
	nvalues--;
	return 0;
}

const char *store_check(size_t *n)
{
	*n = 0;
	for (unsigned b = 0; b < NBUCKETS; b++)
		for (struct value *v = table[b]; v; v = v->next, ++*n)
			if (hash(v->key) != b || strlen(v->data) != v->len)
				return v->key;
	return NULL;
}

size_t store_count(void)
{
	return nvalues;
}
