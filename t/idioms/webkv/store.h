/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store.h - the key-value table of the HTTP servers on evhttp (webkv,
 * pubweb): values by key in chained buckets.
 */
#ifndef WEBKV_STORE_H
#define WEBKV_STORE_H

#include <stddef.h>
#include <event2/buffer.h>

struct value {
	struct value *next;
	char *key;
	size_t len;
	char data[];
};

/* The value of key, or NULL. */
struct value *store_get(const char *key);
/* Stores what in holds (drained) as key's value: 0, or -1 out of memory. */
int store_put(const char *key, struct evbuffer *in);
/* Deletes key's value: 0, or -1 if it has none. */
int store_delete(const char *key);
/* Checks every value's bucket and length: NULL and the number of values
 * in *n, or the key of the first bad one. */
const char *store_check(size_t *n);
/* The number of values stored, as counted by put and delete. */
size_t store_count(void);

#endif
