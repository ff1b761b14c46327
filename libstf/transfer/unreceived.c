/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * unreceived.c - the new version's statics and locals the forward
 * transfer gave no value, left out of the way back.
 *
 * Threads are paired by the function holding the point they are parked
 * at (metadata.c), and their locals and thread-specific data are named
 * by it ("pthread key 2@main").  A running server parks where its loop
 * waits (memcached's main thread and workers in the callback libevent
 * calls for stf_update_fd()); the new version, starting, parks at the
 * first update point of its loop, and so does the reversed version, its
 * twin.  The new version's frame then receives nothing of the old
 * version's, whose frame goes to no one: what it holds is its own
 * startup's (new state).  Pushed back, it would pair with the reversed
 * version's same frame, which the old version has no counterpart of:
 * its pointers to the new startup's own objects could not be relocated,
 * its words would pin the new version's blocks at the new version's
 * addresses, and the differencing would find it in the reversed version
 * only.  So the way back leaves it out: the reversed version keeps what
 * its own startup computed there, and the old version's state is
 * differenced whole as before (a static that received nothing because
 * the new version added it has no counterpart in the reversed version
 * anyway).
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "remote.h"

static struct stf_strmap unreceived;

static void forget(void)
{
	for (size_t j = 0; j < unreceived.cap; j++)
		stf__raw_free((void *)unreceived.keys[j]);
	stf__strmap_free(&unreceived);
}

int stf__unreceived_note(const struct stf_xfer *x)
{
	const struct stf_peer *src = x->src, *dst = x->dst;
	uint8_t *written = stf__raw_malloc(dst->nobjs + 1);

	forget();
	if (!written)
		return -1;
	memset(written, 0, dst->nobjs + 1);
	for (size_t i = 0; i < src->nobjs; i++)
		if (x->pair[i].scheduled && x->pair[i].dst >= 0)
			written[x->pair[i].dst] = 1;
	int rc = 0;
	for (size_t k = 0; k < dst->nobjs && !rc; k++) {
		const struct stf_obj *d = &dst->objs[k];
		if (written[k] || (d->kind != STF_OBJ_STATIC && d->kind != STF_OBJ_LOCAL))
			continue;
		size_t n = strlen(d->id) + 1;
		char *id = stf__raw_malloc(n);
		if (!id || stf__strmap_put(&unreceived, memcpy(id, d->id, n), 1) < 0) {
			stf__raw_free(id);
			rc = -1;
		}
	}
	stf__raw_free(written);
	if (rc)
		forget();
	return rc;
}

int stf__unreceived(const char *id)
{
	uint64_t v;
	return stf__strmap_get(&unreceived, id, &v) == 0;
}
