/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * blob.c - inflating the deflated part of a unit's blob (see blob.h).
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "blob.h"

struct allocator {
	void *(*alloc)(size_t);
	void (*release)(void *);
};

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	return ((struct allocator *)opaque)->alloc((size_t)items * size);
}

static void z_free(voidpf opaque, voidpf p)
{
	((struct allocator *)opaque)->release(p);
}

int stf_blob_expand(const void *blob, size_t blob_size, void *out,
		    void *(*alloc)(size_t), void (*release)(void *),
		    char *err, size_t errlen)
{
	const struct stf_blob_hdr *h = blob;

	if (blob_size < sizeof *h || h->stored < sizeof *h || h->stored > h->size ||
	    h->stored > blob_size || (h->stored == h->size && blob_size != h->size)) {
		snprintf(err, errlen, "blob sizes disagree: %zu bytes in the unit header, "
			 "%u stored as they are and %u in all in the blob header",
			 blob_size, blob_size >= sizeof *h ? h->stored : 0,
			 blob_size >= sizeof *h ? h->size : 0);
		return -1;
	}
	memcpy(out, blob, h->stored);
	if (h->stored == h->size)
		return 0;

	z_stream z;
	struct allocator a = { alloc, release };
	memset(&z, 0, sizeof z);
	if (alloc && release) {
		z.zalloc = z_alloc;
		z.zfree = z_free;
		z.opaque = &a;
	}
	if (inflateInit2(&z, -15) != Z_OK) {
		snprintf(err, errlen, "cannot inflate the blob: %s", z.msg ? z.msg : "no memory");
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)((const char *)blob + h->stored);
	z.avail_in = (uInt)(blob_size - h->stored);
	z.next_out = (Bytef *)out + h->stored;
	z.avail_out = h->size - h->stored;
	int rc = inflate(&z, Z_FINISH);
	int ok = rc == Z_STREAM_END && z.avail_out == 0 && z.avail_in == 0;
	if (!ok)
		snprintf(err, errlen, "the blob's deflated part is damaged: %s "
			 "(%lu of %u bytes inflated, %u of %zu bytes left over)",
			 z.msg ? z.msg : rc == Z_STREAM_END ? "wrong length" : "truncated",
			 z.total_out, h->size - h->stored, z.avail_in, blob_size - h->stored);
	inflateEnd(&z);
	return ok ? 0 : -1;
}
