/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * member-uses.c - blocks of unknown type behind a `void *` member S.m,
 * typed by what the program's code does with that member's value (the
 * plugin's stf_use_rec records, gcc-plugin/member-uses.cc): an array of
 * the one struct type it is used as, or, when none was chosen and a type
 * it is used as changed between the versions, a refused transfer naming
 * S.m (its bytes would be read with the new layout).
 */
#include <inttypes.h>
#include <string.h>

#include "engine.h"
#include "remote.h"
#include "xfer.h"

static int is_dyn(const struct stf_obj *o)
{
	return o->kind == STF_OBJ_HEAP || o->kind == STF_OBJ_MMAP || o->kind == STF_OBJ_USER;
}

/* The struct types the value of a `void *` member (leaf f) is used as by
 * the program's code (stf_use_rec of every unit, matched by the struct's
 * structural hash and the member's name): how many distinct ones (0, 1 or
 * 2 for several), the first in *tu, *t. */
unsigned stf__member_uses(const struct stf_meta *m, const struct stf_leaf *f,
			  const struct stf_meta_unit **tu, uint32_t *t)
{
	const struct stf_meta_unit *u = f->unit;
	uint64_t owner = u->types[f->owner].hash, first = 0;
	const char *name = stf_meta_str(u, u->members[f->member - 1].name);
	unsigned n = 0;

	for (size_t k = 0; k < m->nunits && n < 2; k++) {
		const struct stf_meta_unit *ru = &m->units[k];
		for (uint32_t i = 0; i < ru->nuses && n < 2; i++) {
			const struct stf_use_rec *r = &ru->uses[i];
			if (ru->types[r->type].hash != owner ||
			    strcmp(stf_meta_str(ru, r->member), name))
				continue;
			if (!n) {
				first = ru->types[r->used].hash;
				*tu = ru;
				*t = r->used;
				n = 1;
			} else if (ru->types[r->used].hash != first) {
				n = 2;
			}
		}
	}
	return n;
}

/* A struct type the value of f's member is used as that the destination
 * gives another layout (or no longer has): 1 with its name in buf. */
static int member_use_changed(const struct stf_meta *m, const struct stf_meta *dst,
			      const struct stf_leaf *f, char *buf, size_t len)
{
	const struct stf_meta_unit *u = f->unit, *du;
	uint64_t owner = u->types[f->owner].hash;
	const char *name = stf_meta_str(u, u->members[f->member - 1].name);
	uint32_t dt;

	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *ru = &m->units[k];
		for (uint32_t i = 0; i < ru->nuses; i++) {
			const struct stf_use_rec *r = &ru->uses[i];
			const struct stf_type_rec *ut = &ru->types[r->used];
			if (ru->types[r->type].hash != owner ||
			    strcmp(stf_meta_str(ru, r->member), name) || !ut->name)
				continue;
			snprintf(buf, len, "struct %s", stf_meta_str(ru, ut->name));
			if (stf_meta_find_type(dst, buf, &du, &dt) < 0 ||
			    du->types[stf_meta_strip_typedefs(du, dt)].hash != ut->hash)
				return 1;
		}
	}
	return 0;
}

/* Untyped blocks reached through a `void *` member S.m whose value the
 * program uses as a pointer to a struct that changed between the
 * versions (several types recorded, so none was chosen; or the block did
 * not fit the one): their bytes would be copied as they are and the new
 * version would read them with the new layout.  Refused, naming S.m. */
int stf__check_member_uses(struct stf_xfer *x)
{
	struct stf_peer *p = x->src;
	int found = 0;
	char on[256], sn[256], tn[256];

	for (size_t k = 0; k < p->meta->nunits && !found; k++)
		found = p->meta->units[k].nuses > 0;
	if (!found || !x->dst || !x->dst->meta)
		return 0;
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (!o->unit || !o->bytes || (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_IXFER)) ||
		    !(o->kind == STF_OBJ_STATIC || o->kind == STF_OBJ_LOCAL || is_dyn(o)))
			continue;
		const struct stf_layout *l = stf__layout(x->layouts, o->unit, o->type);
		if (!l) {
			stf__xfail(x, "out of memory");
			return -1;
		}
		if (!l->nptrs || !l->size)
			continue;
		uint64_t count = (is_dyn(o) && o->size >= l->size) ? o->size / l->size : 1;
		for (uint64_t e = 0; e < count; e++)
			for (size_t k = 0; k < l->n; k++) {
				const struct stf_leaf *f = &l->leaves[k];
				uint64_t v;
				if (f->kind != STF_LEAF_PTR || !f->member)
					continue;
				memcpy(&v, o->bytes + e * l->size + f->off, 8);
				const struct stf_range *r = v ? stf__index_find(&p->index, v, 0) : NULL;
				if (!r)
					continue;
				const struct stf_obj *t = &p->objs[r->value];
				if (!is_dyn(t) || t->unit || (t->flags & STF_OBJF_INTERNAL) ||
				    !member_use_changed(p->meta, x->dst->meta, f, tn, sizeof(tn)))
					continue;
				stf__type_str(f->unit, f->owner, sn, sizeof(sn));
				stf__xfail(x, "%s.%s: the untyped block %s (%" PRIu64 " bytes) it "
				      "points to is used by the program as %s, whose layout changed "
				      "in the new version; its bytes would be copied as they are and "
				      "read with the new layout: keep one element type per `void *` "
				      "member (a member of its own for each type, or a typed pointer "
				      "member such as `%s *`), or register a callback "
				      "(stf_on_object) for the block", sn,
				      stf_meta_str(f->unit, f->unit->members[f->member - 1].name),
				      stf__obj_name(t, on, sizeof(on)), t->size, tn, tn);
				return -1;
			}
	}
	return 0;
}
