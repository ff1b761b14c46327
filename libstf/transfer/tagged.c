/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tagged.c - pointers carrying tag bits in their low bits.
 *
 * A value pointing 1 to 7 bytes into an object whose first scalar (at
 * offset 0) is wider than that and is no byte is not a pointer to a byte
 * inside a number: it is the object's address with tag bits set
 * (`(void *)((uintptr_t)leaf | 1)`: the Linux radix tree's leaves, a
 * pointer and a flag in one word).  It follows the object's start and
 * keeps its tag, whatever the new layout puts at offset 0; followed as a
 * pointer into the first member, it would come back as a pointer into
 * the middle of the new object (t/xfer/tagleaf).  Into an object whose
 * first member is text, a `void *` (or a struct's pointer) 1 to 7 bytes in
 * is as likely a cursor into the text as a tagged address: when the text
 * moves in the new layout the two land in different places, and the
 * update rolls back (t/xfer/hunt19-tagptr; before, it committed with the
 * tagged words untagging into the text).
 */
#include <inttypes.h>

#include "engine.h"

/* The first scalar of type (u, t), at its offset 0: NULL when there is
 * none or it is a union's (which member?), a function, void. */
static const struct stf_type_rec *first_scalar(const struct stf_meta_unit *u, uint32_t t)
{
	for (int depth = 0; depth < 32; depth++) {
		t = strip(u, t);
		if (t >= u->ntypes)
			return NULL;
		const struct stf_type_rec *R = T(u, t);
		const struct stf_member_rec *first = NULL;
		switch (R->kind) {
		case STF_K_ARRAY:
			t = R->target;
			continue;
		case STF_K_STRUCT:
			for (uint32_t i = 0; i < R->nmembers && !first; i++)
				if (u->members[R->members + i].offset == 0 &&
				    !u->members[R->members + i].bit_size)
					first = &u->members[R->members + i];
			if (!first)
				return NULL;
			t = first->type;
			continue;
		case STF_K_INT:
		case STF_K_POINTER:
		case STF_K_FLOAT:
		case STF_K_ENUM:
			return R;
		default:
			return NULL;
		}
	}
	return NULL;
}

static int is_byte(const struct stf_type_rec *R)
{
	return R->kind == STF_K_INT && (R->flags & STF_TF_CHAR);
}

int stf__tag_on_start(const struct stf_meta_unit *u, uint32_t t, uint64_t off)
{
	if (off == 0 || off >= 8)
		return 0;
	const struct stf_type_rec *R = first_scalar(u, t);
	return R && !is_byte(R) && R->size > off;
}

int stf__tag_ambiguous(struct stf_xfer *x, const struct stf_obj *so, uint64_t off,
		       uint64_t doff, const struct pointee *pe)
{
	if (off == 0 || off >= 8 || doff == off || !so->unit)
		return 0;
	const struct stf_type_rec *R = first_scalar(so->unit, so->type);
	if (!R || !is_byte(R))
		return 0;
	if (pe && pe->unit && pe->type < pe->unit->ntypes) {
		const struct stf_type_rec *P = T(pe->unit, strip(pe->unit, pe->type));
		if (P->kind != STF_K_VOID && P->kind != STF_K_STRUCT && P->kind != STF_K_UNION)
			return 0; /* a char * (or int *...) into the text: a cursor */
	}
	char on[256];
	stf__xfail(x, "%s: points at byte %" PRIu64 " of %s, whose first member is text that "
	      "lies at another offset in the %s version: a cursor into that text or the "
	      "object's address with tag bits set, which nothing tells apart; keep a tagged "
	      "address in an integer (uintptr_t: it keeps the object at its address), point "
	      "into text with a char *, or keep the text first",
	      stf__cur_path(x), off, stf__obj_name(so, on, sizeof(on)),
	      x->dir == STF_FORWARD ? "new" : "old");
	return -1;
}
