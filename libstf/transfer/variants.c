/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * variants.c - blocks allocated as a shorter struct sharing the first
 * members of the struct their pointers (and so their site) are typed
 * with.  dnsmasq keeps `struct server`, `struct serv_addr4`,
 * `struct serv_addr6` and `struct serv_local` ("the first four fields must
 * match struct server") in one list of `struct server *`, allocated by
 * `whine_malloc(size)` with the size of the variant a flag chose: the
 * site says struct server, the block is shorter.  Its allocated type is
 * the struct of exactly its size that shares the typed struct's leading
 * members (same names, offsets and types: at least two, or all of its
 * own); it is converted as that struct into that struct's new version,
 * which must still share them with the typed struct's.  Two such structs
 * of the same size leave the block's type unknown: unless both are
 * unchanged (the block's bytes are then copied as before), the update
 * rolls back naming both.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "remote.h"

uint32_t stf__shared_prefix(const struct stf_meta_unit *vu, uint32_t v,
			      const struct stf_meta_unit *tu, uint32_t t)
{
	const struct stf_type_rec *V = T(vu, v), *S = T(tu, t);
	uint32_t k = 0;
	for (; k < V->nmembers && k < S->nmembers; k++) {
		const struct stf_member_rec *a = &vu->members[V->members + k];
		const struct stf_member_rec *b = &tu->members[S->members + k];
		uint32_t at = strip(vu, a->type), bt = strip(tu, b->type);
		if (a->offset != b->offset || a->bit_size != b->bit_size ||
		    a->bit_offset != b->bit_offset || at >= vu->ntypes || bt >= tu->ntypes ||
		    T(vu, at)->hash != T(tu, bt)->hash ||
		    strcmp(stf_meta_str(vu, a->name), stf_meta_str(tu, b->name)))
			break;
	}
	return k;
}

static int shares_prefix(const struct stf_meta_unit *vu, uint32_t v,
			 const struct stf_meta_unit *tu, uint32_t t)
{
	uint32_t k = stf__shared_prefix(vu, v, tu, t);
	return k >= 2 || (k && k == T(vu, v)->nmembers);
}

/* The variants of struct t (unit u) of exactly `size` bytes, shorter than
 * t: 0 none, 1 one (*v), 2 several (*v and *other, two of them). */
static int find_variants(const struct stf_meta_unit *u, uint32_t t, uint64_t size, uint32_t *v,
			 uint32_t *other)
{
	t = strip(u, t);
	if (t >= u->ntypes || T(u, t)->kind != STF_K_STRUCT || size >= T(u, t)->size)
		return 0;
	int n = 0;
	for (uint32_t i = 0; i < u->ntypes && n < 2; i++) {
		const struct stf_type_rec *V = T(u, i);
		if (V->kind != STF_K_STRUCT || V->size != size || !V->name || !V->nmembers ||
		    V->hash == T(u, t)->hash || (n && V->hash == T(u, *v)->hash) ||
		    !shares_prefix(u, i, u, t))
			continue;
		*(n ? other : v) = i;
		n++;
	}
	return n;
}

/* Struct v of unit su in unit du: the complete struct of its tag sharing
 * its prefix with struct dt there, or STF_NONE. */
static uint32_t variant_in(const struct stf_meta_unit *su, uint32_t v,
			   const struct stf_meta_unit *du, uint32_t dt)
{
	const char *tag = stf_meta_str(su, T(su, v)->name);
	dt = strip(du, dt);
	if (dt >= du->ntypes)
		return STF_NONE;
	for (uint32_t i = 0; i < du->ntypes; i++) {
		const struct stf_type_rec *V = T(du, i);
		if (V->kind == STF_K_STRUCT && V->size && V->name &&
		    !strcmp(stf_meta_str(du, V->name), tag) && shares_prefix(du, i, du, dt))
			return i;
	}
	return STF_NONE;
}

/* Struct v of unit su has the same layout in dobj's version. */
static int unchanged(const struct stf_meta_unit *su, uint32_t v, const struct stf_obj *dobj)
{
	uint32_t dv = variant_in(su, v, dobj->unit, dobj->type);
	return dv != STF_NONE && T(dobj->unit, dv)->hash == T(su, v)->hash;
}

uint64_t stf__variant_dst_size(const struct stf_obj *so, const struct stf_meta_unit *du, uint32_t dt)
{
	uint32_t v, other, dv;
	if (!stf__is_dynamic(so) || find_variants(so->unit, so->type, so->size, &v, &other) != 1 ||
	    (dv = variant_in(so->unit, v, du, dt)) == STF_NONE)
		return UINT64_MAX;
	return T(du, dv)->size;
}

int stf__variant_type(const struct stf_obj *o, uint32_t *v)
{
	uint32_t other;
	return stf__is_dynamic(o) && find_variants(o->unit, o->type, o->size, v, &other) == 1;
}

int stf__xfer_variant(struct stf_xfer *x, const struct stf_obj *so, const uint8_t *s,
		      const struct stf_obj *dobj, uint8_t *d)
{
	char a[256], b[256], c[256];
	uint32_t v, other, dv;
	int n = find_variants(so->unit, so->type, so->size, &v, &other);
	if (!n)
		return 1;
	if (n > 1 && unchanged(so->unit, v, dobj) && unchanged(so->unit, other, dobj))
		return 1; /* either one: copied as the typed struct's bytes */
	if (n > 1) {
		stf__xfail(x, "%s: a block of %" PRIu64 " bytes typed %s may be a %s or a %s "
		      "(both share its first members); allocate it where a pointer of its own "
		      "type receives it, or register a callback (stf_on_object)", stf__cur_path(x),
		      so->size, stf__type_str(so->unit, so->type, a, sizeof(a)),
		      stf__type_str(so->unit, v, b, sizeof(b)),
		      stf__type_str(so->unit, other, c, sizeof(c)));
		return -1;
	}
	dv = variant_in(so->unit, v, dobj->unit, dobj->type);
	if (dv == STF_NONE || T(dobj->unit, dv)->size != dobj->size) {
		stf__xfail(x, "%s: a block of %" PRIu64 " bytes typed %s is a %s (its size, its "
		      "first members), which the new version has no longer sharing the first "
		      "members of its %s; keep them shared, or register a callback "
		      "(stf_on_object)", stf__cur_path(x), so->size,
		      stf__type_str(so->unit, so->type, a, sizeof(a)),
		      stf__type_str(so->unit, v, b, sizeof(b)),
		      stf__type_str(dobj->unit, dobj->type, c, sizeof(c)));
		return -1;
	}
	memset(d, 0, dobj->size);
	return stf__xform(x, so->unit, v, s, dobj->unit, dv, d, 0);
}
