/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * size-headers.c - a size-prefixing wrapper's header and used-memory
 * counter follow the new size of its object.
 *
 * A wrapper's block (a prefix of the wrapper's own, then the one object it
 * handed out) moves whole to a block of the new size when the object's
 * size changes (stf__plan_subs).  The program reads the size back from the
 * prefix: an xrealloc copying `h->size` bytes would drop the tail of the
 * grown object, an xfree subtracting it from a `used_memory` counter the
 * wrapper added the old size to would leave the counter wrong.  The plugin
 * found in the wrapper's body which field of the prefix holds the size
 * (plus a constant) and which static counts it (gcc-plugin/size-header.cc,
 * STF_SF_SIZE_HEADER on the site of the block): the header is rewritten
 * with the new size and the counter takes the difference, both ways (the
 * round trip compares them with the past version's).  A wrapper whose
 * prefix the plugin did not understand (its body in a unit built without
 * the plugin, a size rounded or handed to another function) may keep the
 * size where the transfer cannot rewrite it: the update rolls back.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "remote.h"
#include "xfer.h"

/* The site record of block co (the wrapper's own allocator call), in
 * unit *u. */
static const struct stf_site_rec *block_site(const struct stf_peer *p, const struct stf_obj *co,
					     const struct stf_meta_unit **u)
{
	uint32_t idx;
	if (stf_meta_find_site(p->meta, co->id, u, &idx) < 0)
		return NULL;
	return &(*u)->sites[idx];
}

/* The wrapper: the function whose allocator call made block co. */
static const char *wrapper_of(const struct stf_peer *p, const struct stf_obj *co)
{
	const struct stf_meta_unit *u;
	const struct stf_site_rec *r = block_site(p, co, &u);
	return r ? stf_meta_str(u, r->func) : "its allocator";
}

int stf__size_header_said(const struct stf_peer *src, size_t i, size_t c)
{
	const struct stf_obj *o = &src->objs[i], *co = &src->objs[c];
	const struct stf_meta_unit *u;
	const struct stf_site_rec *r = block_site(src, co, &u);
	return r && (r->flags & STF_SF_SIZE_HEADER) && r->prefix == o->addr - co->addr;
}

int stf__size_header_known(struct stf_xfer *x, size_t i, size_t c, uint64_t dsize)
{
	if (stf__size_header_said(x->src, i, c))
		return 0;
	const struct stf_obj *o = &x->src->objs[i], *co = &x->src->objs[c];
	const struct stf_meta_unit *u;
	const struct stf_site_rec *r = block_site(x->src, co, &u);
	uint64_t prefix = o->addr - co->addr;
	char on[256], cn[256];
	const char *wrapper = wrapper_of(x->src, co);
	stf__xfail(x, "%s takes %" PRIu64 " bytes in the %s version instead of %" PRIu64
	      ", so its block %s moves whole to a block of the new size, but how %s keeps "
	      "the size in the %" PRIu64 " bytes before the object is not known (%s): the "
	      "program would read the old size from its header; store the size argument "
	      "(n, or n plus a constant) in one field of the prefix, in a body the plugin "
	      "compiles, or keep the type's size",
	      stf__obj_name(o, on, sizeof(on)), dsize,
	      x->dir == STF_FORWARD ? "new" : "old", o->size, stf__obj_name(co, cn, sizeof(cn)),
	      wrapper, prefix,
	      !r ? "its block has no site" :
	      !(r->flags & STF_SF_SIZE_HEADER) ? "its body does not show where the size goes" :
						 "its body returns another offset");
	return -1;
}

/* Counters and the difference the moved blocks make to each. */
struct counter_delta {
	const char *id;
	uint64_t delta; /* modulo 2^64 */
};
#define COUNTERS_MAX 16

static int add_delta(struct stf_xfer *x, struct counter_delta *cd, size_t *n,
		     const char *id, uint64_t delta)
{
	for (size_t k = 0; k < *n; k++)
		if (!strcmp(cd[k].id, id)) {
			cd[k].delta += delta;
			return 0;
		}
	if (*n == COUNTERS_MAX) {
		stf__xfail(x, "more than %d used-memory counters of size-prefixing wrappers",
			   COUNTERS_MAX);
		return -1;
	}
	cd[(*n)++] = (struct counter_delta){ id, delta };
	return 0;
}

/* Block c's header says the new size of its object (src: what it said
 * of the old). */
static int rewrite_header(struct stf_xfer *x, size_t c, const struct stf_site_rec *r,
			  uint64_t old_size, uint64_t new_size)
{
	const struct stf_obj *co = &x->src->objs[c];
	int64_t j = x->pair[c].dst;
	uint64_t at = r->prefix + (int64_t)r->size_at, v = 0;
	uint64_t mask = r->size_width == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * r->size_width)) - 1;
	if (stf__xfer_src_read(x, co->addr + at, &v, r->size_width) < 0) /* (little-endian) */
		return -1;
	if (v != ((old_size + (uint64_t)r->size_add) & mask)) {
		char cn[256];
		stf__xfail(x, "%s: the size header %s keeps at offset %" PRIu64 " (%u bytes) holds "
		      "%" PRIu64 ", not the size of the object after it (%" PRIu64 ") plus %" PRId64
		      " as %s stores it: the header cannot be rewritten for the object's new size "
		      "(%" PRIu64 "); keep the type's size",
		      stf__obj_name(co, cn, sizeof(cn)), wrapper_of(x->src, co), at, r->size_width,
		      v, old_size, r->size_add, wrapper_of(x->src, co), new_size);
		return -1;
	}
	if (j < 0 || !x->img[j])
		return 0;
	v = (new_size + (uint64_t)r->size_add) & mask;
	memcpy(x->img[j] + at, &v, r->size_width);
	return 0;
}

/* Counter id (a static of the destination) takes delta. */
static int adjust_counter(struct stf_xfer *x, const char *id, uint64_t delta)
{
	uint64_t j, v = 0;
	const struct stf_obj *d;
	if (stf__strmap_get(&x->dst_ids, id, &j) < 0 || !(d = &x->dst->objs[j]) ||
	    (d->size != 4 && d->size != 8) || !x->img[j]) {
		stf__xfail(x, "%s: a size-prefixing wrapper adds the sizes of its objects to it, "
		      "and objects changed size, but the %s version has no integer of that name "
		      "to count them in: keep the counter (or the types' sizes)", id,
		      x->dir == STF_FORWARD ? "new" : "old");
		return -1;
	}
	memcpy(&v, x->img[j], d->size);
	v += delta;
	memcpy(x->img[j], &v, d->size);
	return 0;
}

int stf__size_headers_follow(struct stf_xfer *x)
{
	if (!x->resize)
		return 0;
	const struct stf_peer *src = x->src;
	struct counter_delta cd[COUNTERS_MAX];
	size_t ncd = 0;
	for (size_t c = 0; c < src->nobjs; c++) {
		if (!x->resize[c])
			continue;
		const struct stf_obj *co = &src->objs[c];
		const struct stf_meta_unit *u;
		const struct stf_site_rec *r = block_site(src, co, &u);
		if (!r || !(r->flags & STF_SF_SIZE_HEADER))
			continue; /* refused by stf__size_header_known */
		uint64_t old_size = co->size - r->prefix, new_size = x->resize[c] - r->prefix;
		if (r->size_width && rewrite_header(x, c, r, old_size, new_size) < 0)
			return -1;
		if (r->counter && add_delta(x, cd, &ncd, stf_meta_str(u, r->counter), new_size - old_size) < 0)
			return -1;
	}
	for (size_t k = 0; k < ncd; k++)
		if (cd[k].delta && adjust_counter(x, cd[k].id, cd[k].delta) < 0)
			return -1;
	return 0;
}
