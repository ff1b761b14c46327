/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * member-tail.c - a struct whose last member runs past the struct's end.
 * Real C code allocates a struct ending in bytes (`char name[1]`, or
 * dnsmasq's `union { char sname[SMALLDNAME]; union bigname *bname;
 * char *namep; } name`) with the size its name needs, not the struct's:
 * `offsetof(T, name) + len + 1` or `sizeof(T) - SMALLDNAME + len` is
 * shorter than the struct for a short name, `sizeof(*p) + len` longer.
 * The name's bytes start at the member and run on through the struct's
 * tail padding and past its end, so when the struct changes they follow
 * the member, not the struct's end: the block keeps its members before
 * the name whole (converted like a whole struct's, from and into copies
 * padded with zeros), the member itself converted as its type says (a
 * union holding a pointer has it relocated) and the name's further bytes
 * copied after it.  Its new size keeps the name's length: a block shorter
 * than its struct ends as far past the new member's offset as it did past
 * the old one's, a longer one as far past the new struct's end (so the
 * way back gives the old size whichever way the member moved).  A block
 * of two or more whole structs is an array of them (dnsmasq's cache is
 * one of struct crec), so a name whose block is exactly such a size is
 * not told apart; the round trip then differs and the update rolls back.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "remote.h"

/* The struct hack's array: `char name[1]` (or `[0]`).  Not more: an
 * array of structs ending in `char code[4]` or `char name[8]` is common
 * and is an array. */
#define HACK_BYTES 1

/* An array of bytes (not a flexible one: those are element arrays). */
static int byte_array(const struct stf_meta_unit *u, uint32_t t)
{
	t = strip(u, t);
	if (t >= u->ntypes || T(u, t)->kind != STF_K_ARRAY || stf__is_flexible(u, t))
		return 0;
	uint32_t e = strip(u, T(u, t)->target);
	return e < u->ntypes && T(u, e)->size == 1;
}

/* An array of bytes, or a union with one among its members (a name kept
 * in place or, by a flag, behind a pointer). */
static int holds_text(const struct stf_meta_unit *u, uint32_t t)
{
	t = strip(u, t);
	if (t >= u->ntypes)
		return 0;
	if (T(u, t)->kind != STF_K_UNION)
		return byte_array(u, t);
	for (uint32_t i = 0; i < T(u, t)->nmembers; i++)
		if (byte_array(u, u->members[T(u, t)->members + i].type))
			return 1;
	return 0;
}

int stf__tail_member(const struct stf_meta_unit *u, uint32_t t, uint64_t *off, uint64_t *msize)
{
	t = strip(u, t);
	if (t >= u->ntypes || T(u, t)->kind != STF_K_STRUCT || !T(u, t)->nmembers ||
	    !T(u, t)->size || T(u, t)->size > STF_HACK_MAX)
		return 0;
	const struct stf_member_rec *m = &u->members[T(u, t)->members + T(u, t)->nmembers - 1];
	if (m->bit_size || m->offset < 0 || !holds_text(u, m->type))
		return 0;
	*off = (uint64_t)m->offset;
	*msize = T(u, strip(u, m->type))->size;
	return 1;
}

/* A block of whole structs, two or more, is an array of them, unless the
 * last member is the struct hack's few bytes (`char name[1]`: no array
 * of such structs holds a name).  A block typed by what the code reads a
 * `void *` as (infer-types.c) is an array of its elements, slack after
 * them included (an `elts` array of `struct { ...; char name[8]; }`):
 * its site does not say it holds one struct with a name. */
int stf__tail_object(const struct stf_obj *o, uint64_t *off, uint64_t *msize)
{
	if ((o->kind != STF_OBJ_HEAP && o->kind != STF_OBJ_USER) || !o->unit || o->inferred ||
	    !stf__tail_member(o->unit, o->type, off, msize) || o->size < *off)
		return 0;
	uint32_t t = strip(o->unit, o->type);
	uint64_t esz = T(o->unit, t)->size;
	const struct stf_member_rec *m = &o->unit->members[T(o->unit, t)->members +
							   T(o->unit, t)->nmembers - 1];
	int hack = *msize <= HACK_BYTES && byte_array(o->unit, m->type);
	if (o->size == esz && !hack)
		return 0; /* the struct itself: after a `char text[24]` its tail
			   * padding is padding, never written, not text; after
			   * `char name[1]` the name may run through it */
	return o->size < 2 * esz || o->size % esz || hack;
}

uint64_t stf__tail_dst_size(const struct stf_obj *so, const struct stf_meta_unit *du, uint32_t dt)
{
	uint64_t soff, sm, doff, dm;
	if (!stf__tail_object(so, &soff, &sm) ||
	    !stf__tail_member(du, dt, &doff, &dm))
		return UINT64_MAX;
	uint64_t esz = T(so->unit, strip(so->unit, so->type))->size, desz = T(du, strip(du, dt))->size;
	return so->size < esz ? doff + (so->size - soff) : desz + (so->size - esz);
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a < b ? a : b;
	return m < c ? m : c;
}

int stf__xfer_member_tail(struct stf_xfer *x, const struct stf_obj *so, const uint8_t *s,
			  const struct stf_obj *dobj, uint8_t *d)
{
	uint32_t st = strip(so->unit, so->type), dt = strip(dobj->unit, dobj->type);
	uint64_t soff, sm, doff, dm;
	stf__tail_object(so, &soff, &sm);
	stf__tail_member(dobj->unit, dt, &doff, &dm);
	uint64_t esz = T(so->unit, st)->size;
	uint64_t len = so->size - soff, dlen = dobj->size > doff ? dobj->size - doff : 0;
	/* the member's own bytes converted; the name's further ones raw */
	uint64_t k = min3(sm < dm ? sm : dm, len, dlen), fit = len < dlen ? len : dlen;
	if (soff + k < so->size) {
		int r = stf__check_tail(x, so, soff + k);
		if (r < 0)
			return r;
	}
	if (dobj->size < doff || !stf__all_zero(s + soff + fit, len - fit)) {
		char tn[256];
		stf__xfail(x, "%s: the %" PRIu64 " bytes of its last member (%s, running past the "
		      "end of the block's %s) do not fit in the new block of %" PRIu64 " bytes; "
		      "allocate the block by its new size (stf_on_object)", stf__cur_path(x), len,
		      stf_meta_str(so->unit, so->unit->members[T(so->unit, st)->members +
							  T(so->unit, st)->nmembers - 1].name),
		      stf__type_str(so->unit, st, tn, sizeof(tn)), dobj->size);
		return -1;
	}
	uint8_t sb[STF_HACK_MAX] = { 0 }, db[STF_HACK_MAX] = { 0 };
	memcpy(sb, s, so->size < esz ? so->size : esz);
	if (stf__xform(x, so->unit, st, sb, dobj->unit, dt, db, 0) < 0)
		return -1;
	memcpy(d, db, doff);
	memcpy(d + doff, db + doff, k);
	memcpy(d + doff + k, s + soff + k, fit - k);
	memset(d + doff + fit, 0, dlen - fit);
	return 0;
}
