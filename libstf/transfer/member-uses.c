/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * member-uses.c - blocks of unknown type behind a `void *` member S.m,
 * typed by what the program's code does with that member's value (the
 * plugin's stf_use_rec records, gcc-plugin/member-uses.cc): an array of
 * the one struct type it is used as, or, when none was chosen and a type
 * it is used as changed between the versions, a refused transfer naming
 * S.m (its bytes would be read with the new layout).
 *
 * The element type is per path: a record may say through what the code
 * reached the struct holding S.m (a member z->entries, an embedding
 * member z->tags, a static variable zones).  The path of a struct in the
 * source is found from the typed pointers to its start (stf__use_paths)
 * or from the struct embedding it (stf__leaf_path); the records of that
 * path and those without one apply to it, all of them when its path is
 * not known.
 */
#include <inttypes.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "remote.h"
#include "xfer.h"

static int is_dyn(const struct stf_obj *o)
{
	return o->kind == STF_OBJ_HEAP || o->kind == STF_OBJ_MMAP || o->kind == STF_OBJ_USER;
}

/* The source name of a static object ("count" of "kvd.c:handle/count"). */
static const char *static_name(const struct stf_obj *o)
{
	const char *n = o->id, *c;
	if ((c = strrchr(n, ':')))
		n = c + 1;
	if ((c = strrchr(n, '/')))
		n = c + 1;
	return n;
}

/* Does record r of unit ru apply to a struct reached through path? A
 * record without a path applies to every path; any record applies to an
 * unknown path. */
static int on_path(const struct stf_meta_unit *ru, const struct stf_use_rec *r,
		   const struct stf_use_path *path)
{
	if (!r->flags || !path || !path->name)
		return 1;
	if (strcmp(stf_meta_str(ru, r->via), path->name))
		return 0;
	if (r->flags & STF_USE_VIA_VAR)
		return !path->hash;
	return path->hash && ru->types[r->via_type].hash == path->hash;
}

unsigned stf__member_uses(const struct stf_meta *m, const struct stf_leaf *f,
			  const struct stf_use_path *path, const struct stf_meta_unit **tu,
			  uint32_t *t)
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
			    strcmp(stf_meta_str(ru, r->member), name) || !on_path(ru, r, path))
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

/* A path that is not one: the object is reached through several. */
static const char several_paths[] = "";

/* Whether some use record of m has a path, and whether struct type hash
 * is the struct holding the member of one. */
static int has_paths(const struct stf_meta *m, uint64_t hash, int any)
{
	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *ru = &m->units[k];
		for (uint32_t i = 0; i < ru->nuses; i++)
			if (ru->uses[i].flags && (any || ru->types[ru->uses[i].type].hash == hash))
				return 1;
	}
	return 0;
}

/* The innermost struct member at exactly offset off of type t (unit u)
 * holding a pointer: 1 with its struct's hash and its name in *path. */
static int member_at(const struct stf_meta_unit *u, uint32_t t, uint64_t off,
		     struct stf_use_path *path, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 16)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (R->kind == STF_K_ARRAY) {
		uint32_t et = strip(u, R->target);
		uint64_t esz = et < u->ntypes ? T(u, et)->size : 0;
		return esz && member_at(u, et, off % esz, path, depth + 1);
	}
	if (R->kind != STF_K_STRUCT)
		return 0;
	for (uint32_t i = 0; i < R->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[R->members + i];
		uint32_t mt = strip(u, m->type);
		if (m->bit_size || mt >= u->ntypes || (uint64_t)m->offset > off ||
		    off - m->offset >= T(u, mt)->size)
			continue;
		if (T(u, mt)->kind == STF_K_POINTER) {
			if (off != (uint64_t)m->offset)
				return 0;
			path->hash = R->hash;
			path->name = stf_meta_str(u, m->name);
			return 1;
		}
		return member_at(u, mt, off - m->offset, path, depth + 1);
	}
	return 0;
}

int stf__use_paths(struct stf_peer *p, struct stf_layouts *layouts, struct stf_use_path **out)
{
	struct stf_use_path *paths;

	*out = NULL;
	if (!has_paths(p->meta, 0, 1))
		return 0;
	paths = stf__raw_malloc((p->nobjs + 1) * sizeof(*paths));
	if (!paths)
		return -1;
	memset(paths, 0, (p->nobjs + 1) * sizeof(*paths));
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (!o->unit || !o->bytes || (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_IXFER)) ||
		    !(o->kind == STF_OBJ_STATIC || o->kind == STF_OBJ_LOCAL || is_dyn(o)))
			continue;
		const struct stf_layout *l = stf__layout(layouts, o->unit, o->type);
		if (!l) {
			stf__raw_free(paths);
			return -1;
		}
		if (!l->nptrs || !l->size)
			continue;
		uint64_t count = (is_dyn(o) && o->size >= l->size) ? o->size / l->size : 1;
		for (size_t k = 0; k < l->n; k++) {
			const struct stf_leaf *f = &l->leaves[k];
			struct stf_use_path via = { 0, NULL };
			if (f->kind != STF_LEAF_PTR || f->type >= f->unit->ntypes)
				continue;
			uint32_t pt = strip(f->unit, f->type);
			if (pt >= f->unit->ntypes || T(f->unit, pt)->kind != STF_K_STRUCT ||
			    !has_paths(p->meta, T(f->unit, pt)->hash, 0))
				continue;
			if (o->kind == STF_OBJ_STATIC && count == 1 && f->off == 0 &&
			    T(o->unit, strip(o->unit, o->type))->kind == STF_K_POINTER)
				via.name = static_name(o);
			else if (!member_at(o->unit, o->type, f->off, &via, 0))
				continue; /* a path the code does not name */
			for (uint64_t e = 0; e < count; e++) {
				uint64_t v;
				memcpy(&v, o->bytes + e * l->size + f->off, 8);
				const struct stf_range *r = v ? stf__index_find(&p->index, v, 0) : NULL;
				if (!r || p->objs[r->value].addr != v)
					continue;
				struct stf_use_path *to = &paths[r->value];
				if (!to->name)
					*to = via;
				else if (to->hash != via.hash || strcmp(to->name, via.name))
					to->name = several_paths;
			}
		}
	}
	*out = paths;
	return 0;
}

/* The path of the struct of hash owner embedded at offset off of type t
 * (unit u): the innermost struct member it is; 1 with *path if found. */
static int embedded_path(const struct stf_meta_unit *u, uint32_t t, uint64_t off,
			 uint64_t owner, struct stf_use_path *path, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 16)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (R->kind == STF_K_ARRAY) {
		uint32_t et = strip(u, R->target);
		uint64_t esz = et < u->ntypes ? T(u, et)->size : 0;
		return esz && embedded_path(u, et, off % esz, owner, path, depth + 1);
	}
	if (R->kind != STF_K_STRUCT)
		return 0;
	for (uint32_t i = 0; i < R->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[R->members + i];
		uint32_t mt = strip(u, m->type);
		if (m->bit_size || mt >= u->ntypes || (uint64_t)m->offset > off ||
		    off - m->offset >= T(u, mt)->size)
			continue;
		if (T(u, mt)->hash == owner && off - m->offset == 0) {
			path->hash = R->hash;
			path->name = stf_meta_str(u, m->name);
			return 1;
		}
		return embedded_path(u, mt, off - m->offset, owner, path, depth + 1);
	}
	return 0;
}

void stf__leaf_path(const struct stf_use_path *paths, const struct stf_peer *p, size_t i,
		    uint64_t off, const struct stf_leaf *f, struct stf_use_path *path)
{
	const struct stf_obj *o = &p->objs[i];
	const struct stf_meta_unit *u = f->unit;
	uint64_t owner = u->types[f->owner].hash;
	uint64_t moff = u->members[f->member - 1].offset;
	uint32_t t = strip(o->unit, o->type);

	path->hash = 0;
	path->name = NULL;
	if (!paths || off < moff)
		return;
	if (o->unit->types[t].hash == owner) {
		/* the object is the struct holding the member */
		if (o->kind == STF_OBJ_STATIC)
			path->name = static_name(o);
		else if (paths[i].name != several_paths)
			*path = paths[i];
		return;
	}
	embedded_path(o->unit, t, off - moff, owner, path, 0);
}

/* A struct type the value of f's member is used as, on path, that the
 * destination gives another layout (or no longer has): 1 with its name in
 * buf. */
static int member_use_changed(const struct stf_meta *m, const struct stf_meta *dst,
			      const struct stf_leaf *f, const struct stf_use_path *path,
			      char *buf, size_t len)
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
			    strcmp(stf_meta_str(ru, r->member), name) || !ut->name ||
			    !on_path(ru, r, path))
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
	struct stf_use_path *paths, path;
	int found = 0;
	char on[256], sn[256], tn[256], pn[256];

	for (size_t k = 0; k < p->meta->nunits && !found; k++)
		found = p->meta->units[k].nuses > 0;
	if (!found || !x->dst || !x->dst->meta)
		return 0;
	if (stf__use_paths(p, x->layouts, &paths) < 0) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (!o->unit || !o->bytes || (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_IXFER)) ||
		    !(o->kind == STF_OBJ_STATIC || o->kind == STF_OBJ_LOCAL || is_dyn(o)))
			continue;
		const struct stf_layout *l = stf__layout(x->layouts, o->unit, o->type);
		if (!l) {
			stf__raw_free(paths);
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
				if (!is_dyn(t) || t->unit || (t->flags & STF_OBJF_INTERNAL))
					continue;
				stf__leaf_path(paths, p, i, f->off, f, &path);
				if (!member_use_changed(p->meta, x->dst->meta, f, &path, tn, sizeof(tn)))
					continue;
				stf__type_str(f->unit, f->owner, sn, sizeof(sn));
				pn[0] = 0;
				if (path.name && path.name != several_paths && path.hash)
					snprintf(pn, sizeof(pn), " (reached through member %s)", path.name);
				else if (path.name && path.name != several_paths)
					snprintf(pn, sizeof(pn), " (reached through %s)", path.name);
				stf__xfail(x, "%s.%s: the untyped block %s (%" PRIu64 " bytes) it "
				      "points to%s is used by the program as %s, whose layout changed "
				      "in the new version; its bytes would be copied as they are and "
				      "read with the new layout: keep one element type per `void *` "
				      "member and path (read the member through the struct member or "
				      "static variable that holds that one type, or use a typed "
				      "pointer member such as `%s *`), or register a callback "
				      "(stf_on_object) for the block", sn,
				      stf_meta_str(f->unit, f->unit->members[f->member - 1].name),
				      stf__obj_name(t, on, sizeof(on)), t->size, pn, tn, tn);
				stf__raw_free(paths);
				return -1;
			}
	}
	stf__raw_free(paths);
	return 0;
}
