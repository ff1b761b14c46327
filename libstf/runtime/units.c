/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * units.c - whole blobs of the executable's own units (units.h), inflated
 * once, when stf_lookup, the signal handlers' carry or a description of
 * a type first needs them: never on the allocation or update-point paths.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "blob.h"
#include "heap.h"
#include "units.h"

struct whole_blob {
	const struct stf_unit *unit;
	const struct stf_blob_hdr *blob;
	struct whole_blob *next;
};

static _Atomic(struct whole_blob *) whole_blobs;
static pthread_mutex_t inflate_lock = PTHREAD_MUTEX_INITIALIZER;

/* What a blob that cannot be inflated reads as: no records, no strings. */
static const struct stf_blob_hdr empty_blob = {
	.magic = STF_BLOB_MAGIC, .version = STF_FORMAT_VERSION,
	.size = sizeof empty_blob, .stored = sizeof empty_blob,
};

static const struct stf_blob_hdr *find(const struct stf_unit *u)
{
	for (struct whole_blob *w = atomic_load(&whole_blobs); w; w = w->next)
		if (w->unit == u)
			return w->blob;
	return NULL;
}

static const struct stf_blob_hdr *inflate_locked(const struct stf_unit *u)
{
	const struct stf_blob_hdr *stored = stf_unit_blob(u);
	struct whole_blob *w = __libc_malloc(sizeof *w);
	void *whole = __libc_malloc(stored->size);
	char msg[256];

	if (!w || !whole ||
	    stf_blob_expand(stored, u->blob_size, whole, __libc_malloc, __libc_free,
			    msg, sizeof msg)) {
		if (!w || !whole)
			snprintf(msg, sizeof msg, "out of memory");
		char warning[400];
		snprintf(warning, sizeof warning,
			 "a metadata blob of the executable cannot be inflated (%s); "
			 "its types and static objects stay unknown", msg);
		stf__warn(warning);
		__libc_free(whole);
		if (!w)
			return &empty_blob;
		whole = (void *)&empty_blob;  /* remembered: warned once */
	}
	w->unit = u;
	w->blob = whole;
	w->next = atomic_load(&whole_blobs);
	atomic_store(&whole_blobs, w);
	return whole;
}

const struct stf_blob_hdr *stf__unit_blob(const struct stf_unit *u)
{
	const struct stf_blob_hdr *stored = stf_unit_blob(u);
	if (stored->stored == stored->size)
		return stored;
	const struct stf_blob_hdr *b = find(u);
	if (b)
		return b;
	pthread_mutex_lock(&inflate_lock);
	b = find(u);
	if (!b)
		b = inflate_locked(u);
	pthread_mutex_unlock(&inflate_lock);
	return b;
}
