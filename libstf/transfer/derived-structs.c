/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * derived-structs.c - a block behind a `void *` that the code reading it
 * types by a head every module's struct begins with, while the block is a
 * module's own larger struct.
 *
 * lighttpd 1.4's plugins: each module's init function returns
 * `calloc(1, sizeof(plugin_data))` (a site of no type), the core keeps it
 * in `struct plugin.data` and reads it only as `plugin_data_base`, the
 * members every module's plugin_data begins with (the PLUGIN_DATA macro);
 * the module reads it as its own struct through function pointers the
 * core calls, which the plugin cannot follow across units.  Typed by the
 * head alone, the block's bytes past it (the module's configuration
 * pointers) would be raw bytes (the update rolled back), or, when the
 * block is twice the head's size, the block would be read as two heads
 * (a module's pointers taken for the second head's members).
 *
 * The block's site is in the module's unit, and that unit declares the
 * module's struct: a struct of the block's size whose first members are
 * the head's (the same names, offsets and types), or whose first member
 * is the head itself (`struct derived { struct base b; ... }`).  When
 * exactly one such struct (by structure) exists there, the block is of
 * it: converted as it, and as the new version's struct of that name when
 * it changes.  None or several: the head's type as before.
 */
#include <string.h>

#include "engine.h"
#include "remote.h"

/* Whether struct s of su begins with head h of hu: h's members first, or
 * h as its first member. */
static int begins_with(const struct stf_meta_unit *hu, uint32_t h,
		       const struct stf_meta_unit *su, uint32_t s)
{
	const struct stf_type_rec *H = &hu->types[h], *S = &su->types[s];
	if (!S->nmembers)
		return 0;
	const struct stf_member_rec *first = &su->members[S->members];
	uint32_t ft = stf_meta_strip_typedefs(su, first->type);
	if (!first->offset && ft < su->ntypes && su->types[ft].hash == H->hash)
		return 1;
	return S->nmembers > H->nmembers && stf__shared_prefix(su, s, hu, h) == H->nmembers;
}

int stf__derived_struct(const struct stf_peer *p, const struct stf_obj *o,
			const struct stf_meta_unit **u, uint32_t *t)
{
	const struct stf_meta_unit *hu = *u;
	const struct stf_type_rec *h = &hu->types[*t];
	if (h->kind != STF_K_STRUCT || o->size <= h->size || o->site >= p->nsites ||
	    !p->site_unit || p->site_type[o->site] != STF_NONE)
		return 0;
	const struct stf_meta_unit *su = p->site_unit[o->site];
	if (!su)
		return 0;
	uint32_t found = STF_NONE;
	for (uint32_t i = 0; i < su->ntypes; i++) {
		const struct stf_type_rec *s = &su->types[i];
		if (s->kind != STF_K_STRUCT || s->size != o->size ||
		    (s->flags & (STF_TF_SYSTEM | STF_TF_INCOMPLETE)) || !begins_with(hu, *t, su, i))
			continue;
		if (found != STF_NONE && su->types[found].hash != s->hash)
			return 0; /* two candidates: no guess */
		found = i;
	}
	if (found == STF_NONE)
		return 0;
	*u = su;
	*t = found;
	return 1;
}
