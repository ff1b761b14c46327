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
 * the middle of the new object (t/xfer/tagleaf).
 */
#include "engine.h"

int stf__tag_on_start(const struct stf_meta_unit *u, uint32_t t, uint64_t off)
{
	if (off == 0 || off >= 8)
		return 0;
	for (int depth = 0; depth < 32; depth++) {
		t = strip(u, t);
		if (t >= u->ntypes)
			return 0;
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
				return 0;
			t = first->type;
			continue;
		case STF_K_INT:
			return !(R->flags & STF_TF_CHAR) && R->size > off;
		case STF_K_POINTER:
		case STF_K_FLOAT:
		case STF_K_ENUM:
			return R->size > off;
		default: /* a union (which member?), a function, void */
			return 0;
		}
	}
	return 0;
}
