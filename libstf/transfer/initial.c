/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * initial.c - a static integer the source version never moved from its
 * initializer, when the destination version initializes it differently,
 * keeps the destination's own value.
 *
 * `static size_t ncommands = sizeof commands / sizeof commands[0];` is
 * 5 in one release and 6 in the next, whose table gained an entry.  The
 * old process still holds 5: that is the old build's constant, not state
 * the program computed, and transferring it would leave the new entry
 * unreachable in a committed update.  Likewise a limit or a default whose
 * initializer a release changes.  The initializers are read from the
 * files each process maps.  The way back undoes exactly what the way
 * forward did: the statics the forward transfer kept (recorded by their
 * address in the new version, which does the backward transfer too)
 * give the reversed version its own value, and only they, so the round
 * trip compares equal.  A value the program moved is state and is
 * transferred both ways, also when it equals the new initializer
 * (a limit raised at run time to what the next release makes default).
 */
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "xfer.h"

/* The value of integer or enum type t at p (sign-extended), or -1. */
static int int_value(const struct stf_meta_unit *u, uint32_t t, const uint8_t *p, int64_t *v)
{
	const struct stf_type_rec *R = T(u, t);
	int sgn = R->kind == STF_K_ENUM || (R->flags & STF_TF_SIGNED);
	uint64_t raw = 0;
	if ((R->kind != STF_K_INT && R->kind != STF_K_ENUM) || !R->size || R->size > 8)
		return -1;
	memcpy(&raw, p, R->size);
	if (sgn && R->size < 8 && (raw >> (8 * R->size - 1)) & 1)
		raw |= ~0ULL << (8 * R->size);
	*v = (int64_t)raw;
	return 0;
}

/* The new version's statics the forward transfer left with their own
 * value: the backward transfer gives the reversed version its own. */
static uint64_t *kept;
static size_t nkept, kept_cap;

static int was_kept(uint64_t addr)
{
	for (size_t i = 0; i < nkept; i++)
		if (kept[i] == addr)
			return 1;
	return 0;
}

/* 0, or -1 when out of memory (the static is then transferred as usual:
 * both ways agree). */
static int remember_kept(uint64_t addr)
{
	if (nkept == kept_cap) {
		size_t ncap = kept_cap ? 2 * kept_cap : 16;
		uint64_t *n = stf__raw_realloc(kept, ncap * sizeof(*n));
		if (!n)
			return -1;
		kept = n;
		kept_cap = ncap;
	}
	kept[nkept++] = addr;
	return 0;
}

int stf__keep_changed_initial(struct stf_xfer *x, const struct stf_obj *so, const uint8_t *s,
			      const struct stf_obj *dobj, uint8_t *d)
{
	uint8_t cur[8], sinit[8], dinit[8], dcur[8];
	int64_t vcur, vsinit, vdinit;

	if (so->kind != STF_OBJ_STATIC || !so->unit || !dobj->unit ||
	    (so->flags & (STF_OBJF_IXFER | STF_OBJF_PXFER)))
		return 0;
	if (x->dir != STF_FORWARD) {
		if (!was_kept(so->addr))
			return 0;
		if (!x->dst->self) {
			if (stf__peer_read(x->dst, dobj->addr, dcur, dobj->size) < 0)
				return 0;
			memcpy(d, dcur, dobj->size);
		}
		return 1;
	}
	uint32_t st = strip(so->unit, so->type), dt = strip(dobj->unit, dobj->type);
	if (st >= so->unit->ntypes || dt >= dobj->unit->ntypes)
		return 0;
	const struct stf_type_rec *S = T(so->unit, st), *D = T(dobj->unit, dt);
	if ((S->kind != STF_K_INT && S->kind != STF_K_ENUM) || S->kind != D->kind ||
	    S->size != so->size || D->size != dobj->size || S->size > 8 || D->size > 8)
		return 0;
	if (!s) {
		if (stf__peer_read(x->src, so->addr, cur, so->size) < 0)
			return 0;
		s = cur;
	}
	if (stf__peer_initial_bytes(x->src, so->addr, sinit, so->size) < 0 ||
	    stf__peer_initial_bytes(x->dst, dobj->addr, dinit, dobj->size) < 0 ||
	    int_value(so->unit, st, s, &vcur) < 0 || int_value(so->unit, st, sinit, &vsinit) < 0 ||
	    int_value(dobj->unit, dt, dinit, &vdinit) < 0)
		return 0;
	/* an enum's initializer is compared by value: an enumerator renamed
	 * or moved is the transform's business, not this rule's */
	if (vcur != vsinit || vsinit == vdinit || !x->dst->self || remember_kept(dobj->addr) < 0)
		return 0;
	x->rep->new_values++;
	return 1;
}
