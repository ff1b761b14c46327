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
 *
 * The records of allocation sites of no type (STF_USE_SITE: the types
 * their results are used as in their unit, the functions of other units
 * they are passed to) are joined here too (stf__site_uses); infer-types.c
 * types the untyped blocks and sub-objects these records, and typed
 * pointers, say.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "remote.h"
#include "xfer.h"

int stf__ptr_walk_start(struct stf_ptr_walk *w, struct stf_layouts *layouts,
			const struct stf_obj *o, unsigned kinds)
{
	if (!o->unit || !o->bytes || (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_IXFER)) ||
	    !(o->kind == STF_OBJ_STATIC || o->kind == STF_OBJ_LOCAL || stf__is_dynamic(o)))
		return 0;
	const struct stf_layout *l = w->last_layout;
	if (!l || w->last_unit != o->unit || w->last_type != o->type) {
		l = stf__layout(layouts, o->unit, o->type);
		if (!l)
			return -1;
		w->last_unit = o->unit;
		w->last_type = o->type;
		w->last_layout = l;
	}
	if (!l->nptrs || !l->size)
		return 0;
	w->o = o;
	w->l = l;
	w->count = stf__is_dynamic(o) && o->size >= l->size ? o->size / l->size : 1;
	w->e = 0;
	w->k = SIZE_MAX;
	w->kinds = kinds;
	return 1;
}

int stf__ptr_walk_next(struct stf_ptr_walk *w, const struct stf_leaf **f, uint64_t *v)
{
	while (w->e < w->count) {
		if (++w->k >= w->l->n) { /* SIZE_MAX + 1: the first leaf */
			w->k = SIZE_MAX;
			w->e++;
			continue;
		}
		const struct stf_leaf *g = &w->l->leaves[w->k];
		uint64_t at = w->e * w->l->size + g->off;
		if (!(w->kinds & (1u << g->kind)) || at + 8 > w->o->size)
			continue; /* (a block shorter than its struct ends before) */
		memcpy(v, w->o->bytes + at, 8);
		*f = g;
		return 1;
	}
	return 0;
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
	if (!(r->flags & STF_USE_VIA) || !path || !path->name)
		return 1;
	if (strcmp(stf_meta_str(ru, r->via), path->name))
		return 0;
	if (r->flags & STF_USE_VIA_VAR)
		return !path->hash;
	return path->hash && ru->types[r->via_type].hash == path->hash;
}

/* Does record r of unit ru name leaf f's member (struct hash owner,
 * member name): the member, or f's element of it? */
static int of_member(const struct stf_meta_unit *ru, const struct stf_use_rec *r,
		     const struct stf_leaf *f, uint64_t owner, const char *name)
{
	if (ru->types[r->type].hash != owner || strcmp(stf_meta_str(ru, r->member), name))
		return 0;
	return !(r->flags & STF_USE_ELEMENT) || STF_USE_INDEX(r->flags) + 1 == f->element;
}

/* Calls use(arg, cu, type) for the records of m joined to function fn by
 * its name: the uses of its results (kind STF_USE_RESULT), or of its
 * parameter number param (STF_USE_PARAM); 1 when use returned nonzero. */
static int each_joined(const struct stf_meta *m, const char *fn, uint32_t kind, uint32_t param,
		       int (*use)(void *, const struct stf_meta_unit *, uint32_t), void *arg)
{
	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *cu = &m->units[k];
		for (uint32_t i = 0; i < cu->nuses; i++) {
			const struct stf_use_rec *r = &cu->uses[i];
			if ((r->flags & kind) && !strcmp(stf_meta_str(cu, r->member), fn) &&
			    (kind != STF_USE_PARAM || STF_USE_INDEX(r->flags) == param) &&
			    use(arg, cu, r->used))
				return 1;
		}
	}
	return 0;
}

/* Whether record r is visited in a walk of the records of a value: the
 * fallback ones (STF_USE_FALLBACK: a library's pool of user data) only in
 * the walk of those. */
static int in_walk(const struct stf_use_rec *r, int fallback)
{
	return !(r->flags & STF_USE_FALLBACK) == !fallback;
}

/* Calls use(arg, unit, type index) for each struct type the value of leaf
 * f's member is used as on path, until use returns nonzero (then 1): the
 * records of the member, then the uses of the results of the functions
 * returning it, joined by the function's name across units (an accessor
 * defined in vec.c, its results used in main.c), and the uses of the
 * parameters of the functions it is passed to in other units (a callback
 * defined in conn.c registered with the value in main.c).  With fallback,
 * the fallback records only. */
static int each_use(const struct stf_meta *m, const struct stf_leaf *f,
		    const struct stf_use_path *path,
		    int (*use)(void *, const struct stf_meta_unit *, uint32_t), void *arg,
		    int fallback)
{
	const struct stf_meta_unit *u = f->unit;
	uint64_t owner = u->types[f->owner].hash;
	const char *name = stf_meta_str(u, u->members[f->member - 1].name);

	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *ru = &m->units[k];
		for (uint32_t i = 0; i < ru->nuses; i++) {
			const struct stf_use_rec *r = &ru->uses[i];
			if ((r->flags & (STF_USE_STRIDE | STF_USE_RESULT | STF_USE_PARAM | STF_USE_CAST |
					 STF_USE_SITE | STF_USE_OFFSET | STF_USE_ADDR_KEY |
					 STF_USE_BYTES_READ)) ||
			    !in_walk(r, fallback) || !of_member(ru, r, f, owner, name))
				continue;
			if (r->flags & STF_USE_RETURNED) {
				if (each_joined(m, stf_meta_str(ru, r->via), STF_USE_RESULT, 0, use, arg))
					return 1;
			} else if (r->flags & STF_USE_PASSED) {
				if (each_joined(m, stf_meta_str(ru, r->via), STF_USE_PARAM, r->via_type,
						use, arg))
					return 1;
			} else if (on_path(ru, r, path) && use(arg, ru, r->used)) {
				return 1;
			}
		}
	}
	return 0;
}

struct use_count {
	const struct stf_meta_unit *unit;
	uint32_t type;
	uint64_t first;
	unsigned n;
};

static int count_use(void *arg, const struct stf_meta_unit *ru, uint32_t used)
{
	struct use_count *c = arg;
	if (!c->n) {
		c->first = ru->types[used].hash;
		c->unit = ru;
		c->type = used;
		c->n = 1;
	} else if (ru->types[used].hash != c->first) {
		c->n = 2;
	}
	return c->n == 2;
}

/* Whether the walk of the fallback records of a value is its walk: its
 * other records give no type. */
static int falls_back(const struct stf_meta *m, const struct stf_leaf *f,
		      const struct stf_use_path *path)
{
	struct use_count c = { 0 };
	return !each_use(m, f, path, count_use, &c, 0) && !c.n;
}

/* The distinct struct types (by structural hash, like count_use) a
 * member's value is used as, to tell apart by a block's size or row. */
#define USED_MAX 16
struct used_types {
	const struct stf_meta_unit *unit[USED_MAX];
	uint32_t type[USED_MAX];
	unsigned n;
	int more; /* past USED_MAX: not told apart */
};

static void add_used(struct used_types *s, const struct stf_meta_unit *ru, uint32_t used)
{
	for (unsigned k = 0; k < s->n; k++)
		if (s->unit[k]->types[s->type[k]].hash == ru->types[used].hash)
			return;
	if (s->n == USED_MAX) {
		s->more = 1;
		return;
	}
	s->unit[s->n] = ru;
	s->type[s->n++] = used;
}

static int collect_used(void *arg, const struct stf_meta_unit *ru, uint32_t used)
{
	add_used(arg, ru, used);
	return 0;
}

/* The types the value of f's member is used as on path: those of the
 * fallback records when the others give none. */
static void used_types_of(const struct stf_meta *m, const struct stf_leaf *f,
			  const struct stf_use_path *path, struct used_types *s)
{
	s->n = 0;
	s->more = 0;
	each_use(m, f, path, collect_used, s, 0);
	if (!s->n)
		each_use(m, f, path, collect_used, s, 1);
}

/* The types the functions of block b's row use f's member as (the
 * handler `cmd_get` of the row `.fn = cmd_get`: STF_USE_IN_FN records). */
static void row_types(const struct stf_meta *m, const struct stf_leaf *f,
		      const struct stf_use_block *b, struct used_types *s)
{
	const struct stf_meta_unit *u = f->unit;
	uint64_t owner = u->types[f->owner].hash;
	const char *name = stf_meta_str(u, u->members[f->member - 1].name);

	s->n = 0;
	s->more = 0;
	for (size_t k = 0; k < m->nunits && b->nfns; k++) {
		const struct stf_meta_unit *ru = &m->units[k];
		for (uint32_t i = 0; i < ru->nuses; i++) {
			const struct stf_use_rec *r = &ru->uses[i];
			if (!(r->flags & STF_USE_IN_FN) || !of_member(ru, r, f, owner, name))
				continue;
			for (size_t q = 0; q < b->nfns; q++)
				if (!strcmp(b->fns[q], stf_meta_str(ru, r->via)))
					add_used(s, ru, r->used);
		}
	}
}

/* The one of the types s a block of size bytes can be: -1 when none or
 * several (two structs of one size are never guessed between).  A struct
 * and a slack after it (`calloc(1, sizeof(struct log) + 24)`, text the
 * code finds at `log + 1`) is one only when no type fits better, and is
 * as likely as whole elements of another (120 bytes: that log and 32
 * bytes, or three 40-byte structs). */
static int one_of_size(const struct used_types *s, uint64_t size)
{
	int fit = -1, slack = -1, nfit = 0, nslack = 0;
	enum stf_block_fit fit_how = STF_FIT_NONE;
	if (s->more)
		return -1;
	for (unsigned k = 0; k < s->n; k++) {
		enum stf_block_fit how = stf__block_fit(s->unit[k], s->type[k], size);
		if (how == STF_FIT_SLACK) {
			slack = (int)k;
			nslack++;
		} else if (how != STF_FIT_NONE) {
			fit = (int)k;
			fit_how = how;
			nfit++;
		}
	}
	if (nfit == 1)
		return nslack && fit_how == STF_FIT_ELEMENTS ? -1 : fit;
	return !nfit && nslack == 1 ? slack : -1;
}

unsigned stf__member_uses(const struct stf_meta *m, const struct stf_leaf *f,
			  const struct stf_use_path *path, const struct stf_use_block *b,
			  const struct stf_meta_unit **tu, uint32_t *t)
{
	struct use_count c = { 0 };
	struct used_types s, row;

	/* one type, none, or several without a block: counted, stopping at
	 * the second (the common cases, for every pointer) */
	if (!each_use(m, f, path, count_use, &c, 0) && !c.n)
		each_use(m, f, path, count_use, &c, 1);
	if (c.n == 1) {
		*tu = c.unit;
		*t = c.type;
	}
	if (c.n != 2 || !b)
		return c.n;
	/* several: the row's handlers say it, else the block's size */
	used_types_of(m, f, path, &s);
	row_types(m, f, b, &row);
	if (row.n)
		s = row;
	int at = s.n == 1 && !s.more ? 0 : one_of_size(&s, b->size);
	if (at < 0)
		return 2;
	*tu = s.unit[at];
	*t = s.type[at];
	return 1;
}

/* Is leaf g a function pointer? */
static int function_pointer(const struct stf_leaf *g)
{
	if (g->kind != STF_LEAF_PTR || !g->unit || g->type >= g->unit->ntypes)
		return 0;
	uint32_t pt = strip(g->unit, g->type);
	return pt < g->unit->ntypes && T(g->unit, pt)->kind == STF_K_FUNCTION;
}

/* The name of the function at address v of p, NULL if none: a function
 * object of the program, else a symbol. */
static const char *function_at(struct stf_peer *p, uint64_t v)
{
	const struct stf_range *r = v ? stf__index_find(&p->index, v, 0) : NULL;
	const char *lib, *sym;
	uint64_t off;
	if (r) {
		const struct stf_obj *o = &p->objs[r->value];
		return o->kind == STF_OBJ_FUNC && o->addr == v ? static_name(o) : NULL;
	}
	return v && !stf__peer_lib_symbol(p, v, &lib, &sym, &off) && sym && !off ? sym : NULL;
}

void stf__use_block(struct stf_peer *p, const struct stf_ptr_walk *w, const struct stf_leaf *f,
		    uint64_t size, struct stf_use_block *b)
{
	const struct stf_meta_unit *u = f->unit;
	uint64_t at = u->members[f->member - 1].offset +
		      (f->element ? (uint64_t)(f->element - 1) * 8 : 0);

	b->size = size;
	b->nfns = 0;
	if (f->off < at)
		return;
	/* the struct holding the member, in the element the walk is at */
	uint64_t lo = f->off - at, hi = lo + T(u, f->owner)->size;
	const uint8_t *elem = w->o->bytes + w->e * w->l->size;
	for (size_t k = 0; k < w->l->n && b->nfns < STF_ROW_FNS; k++) {
		const struct stf_leaf *g = &w->l->leaves[k];
		uint64_t v;
		if (g->off < lo || g->off >= hi || !function_pointer(g))
			continue;
		memcpy(&v, elem + g->off, 8);
		const char *name = function_at(p, v);
		if (name)
			b->fns[b->nfns++] = name;
	}
}

/* The types f's member is used as on path, when several: "struct a (48
 * bytes) or struct b (80 bytes)" in buf; how many. */
static unsigned several_types(const struct stf_meta *m, const struct stf_leaf *f,
			      const struct stf_use_path *path, char *buf, size_t len)
{
	struct used_types s;
	char tn[256];
	size_t at = 0;

	used_types_of(m, f, path, &s);
	buf[0] = 0;
	for (unsigned k = 0; k < s.n && s.n > 1 && at < len; k++)
		at += snprintf(buf + at, len - at, "%s%s (%" PRIu64 " bytes)",
			       !k ? "" : k + 1 < s.n ? ", " : " or ",
			       stf__type_str(s.unit[k], s.type[k], tn, sizeof(tn)),
			       T(s.unit[k], strip(s.unit[k], s.type[k]))->size);
	return s.more ? USED_MAX + 1 : s.n;
}

/* A path that is not one: the object is reached through several. */
static const char several_paths[] = "";

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

/* The hashes of the structs holding the members of m's use records with
 * a path, sorted: looked up for every pointer leaf of every object. */
struct via_hashes {
	uint64_t *v;
	size_t n;
};

static int by_hash(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int via_hashes_of(const struct stf_meta *m, struct via_hashes *vh)
{
	size_t n = 0;
	for (size_t k = 0; k < m->nunits; k++)
		n += m->units[k].nuses;
	vh->n = 0;
	vh->v = stf__raw_malloc((n + 1) * sizeof(*vh->v));
	if (!vh->v)
		return -1;
	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *ru = &m->units[k];
		for (uint32_t i = 0; i < ru->nuses; i++)
			if (ru->uses[i].flags & STF_USE_VIA)
				vh->v[vh->n++] = ru->types[ru->uses[i].type].hash;
	}
	qsort(vh->v, vh->n, sizeof(*vh->v), by_hash);
	return 0;
}

static int via_hash(const struct via_hashes *vh, uint64_t hash)
{
	return bsearch(&hash, vh->v, vh->n, sizeof(*vh->v), by_hash) != NULL;
}

/* The path a typed pointer at leaf f of an element of o gives the struct
 * it points to: the member holding it, or o's name for a static pointer
 * variable; no name when f does not point to a struct a record has a path
 * for, or the code does not name the place. */
static struct stf_use_path leaf_via(const struct via_hashes *vh, const struct stf_obj *o,
				    const struct stf_leaf *f, uint64_t count)
{
	struct stf_use_path via = { 0, NULL };
	if (f->type >= f->unit->ntypes)
		return via;
	uint32_t pt = strip(f->unit, f->type);
	if (pt >= f->unit->ntypes || T(f->unit, pt)->kind != STF_K_STRUCT ||
	    !via_hash(vh, T(f->unit, pt)->hash))
		return via;
	return stf__pointer_path(o, f, count);
}

struct stf_use_path stf__pointer_path(const struct stf_obj *o, const struct stf_leaf *f,
				      uint64_t count)
{
	struct stf_use_path via = { 0, NULL };
	if (o->kind == STF_OBJ_STATIC && count == 1 && f->off == 0 &&
	    T(o->unit, strip(o->unit, o->type))->kind == STF_K_POINTER)
		via.name = static_name(o);
	else if (!member_at(o->unit, o->type, f->off, &via, 0))
		via = (struct stf_use_path){ 0, NULL };
	return via;
}

int stf__use_paths(struct stf_peer *p, struct stf_layouts *layouts, struct stf_use_path **out)
{
	struct stf_use_path *paths, *vias = NULL;
	size_t nvias = 0;

	struct via_hashes vh;

	*out = NULL;
	if (via_hashes_of(p->meta, &vh) < 0)
		return -1;
	if (!vh.n) { /* no use record has a path */
		stf__raw_free(vh.v);
		return 0;
	}
	/* an entry per object, asked for by every pass of the inference and
	 * by the member uses' check: kept pages (bulk.c), where raw malloc
	 * mapped fresh ones each time (16 MB for a million objects: 4,000
	 * page faults a call, 20,000 in a Redis-shaped update) */
	paths = stf__bulk_alloc((p->nobjs + 1) * sizeof(*paths));
	if (!paths) {
		stf__raw_free(vh.v);
		return -1;
	}
	memset(paths, 0, (p->nobjs + 1) * sizeof(*paths));
	struct stf_ptr_walk w = { 0 };
	for (size_t i = 0; i < p->nobjs; i++) {
		int rc = stf__ptr_walk_start(&w, layouts, &p->objs[i], 1u << STF_LEAF_PTR);
		if (rc > 0 && w.l->n > nvias) {
			struct stf_use_path *nv = stf__raw_realloc(vias, w.l->n * sizeof(*nv));
			if (nv) {
				vias = nv;
				nvias = w.l->n;
			} else {
				rc = -1;
			}
		}
		if (rc < 0) {
			stf__raw_free(vh.v);
			stf__raw_free(vias);
			stf__bulk_free(paths);
			return -1;
		}
		const struct stf_leaf *f;
		uint64_t v;
		size_t named = 0;
		while (rc && stf__ptr_walk_next(&w, &f, &v)) {
			struct stf_use_path *via = &vias[w.k];
			if (!w.e) { /* the leaf's path, the same in every element */
				*via = leaf_via(&vh, w.o, f, w.count);
				named += via->name != NULL;
			} else if (!named) {
				break; /* no leaf of this type gives a path */
			}
			const struct stf_range *r = via->name && v ? stf__index_find(&p->index, v, 0)
								   : NULL;
			if (!r || p->objs[r->value].addr != v)
				continue;
			struct stf_use_path *to = &paths[r->value];
			if (!to->name)
				*to = *via;
			else if (to->hash != via->hash || strcmp(to->name, via->name))
				to->name = several_paths;
		}
	}
	stf__raw_free(vh.v);
	stf__raw_free(vias);
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

struct use_change {
	const struct stf_meta *dst;
	char *buf;
	size_t len;
};

int stf__struct_changed(const struct stf_meta_unit *u, uint32_t t, const struct stf_meta *dst,
			char *buf, size_t len)
{
	const struct stf_type_rec *ut = &u->types[t];
	const struct stf_meta_unit *du;
	uint32_t dt;

	if (!ut->name)
		return 0;
	snprintf(buf, len, "struct %s", stf_meta_str(u, ut->name));
	return stf_meta_find_type(dst, buf, &du, &dt) < 0 ||
	       du->types[stf_meta_strip_typedefs(du, dt)].hash != ut->hash;
}

static int use_changed(void *arg, const struct stf_meta_unit *ru, uint32_t used)
{
	struct use_change *c = arg;
	return stf__struct_changed(ru, used, c->dst, c->buf, c->len);
}

/* A struct type the value of f's member is used as, on path, that the
 * destination gives another layout (or no longer has): 1 with its name in
 * buf. */
static int member_use_changed(const struct stf_meta *m, const struct stf_meta *dst,
			      const struct stf_leaf *f, const struct stf_use_path *path,
			      char *buf, size_t len)
{
	struct use_change c = { dst, buf, len };
	return each_use(m, f, path, use_changed, &c, falls_back(m, f, path));
}

/* Leaves and paths member_use_changed found unchanged: every entry of a
 * dictionary asks the same question (Redis's dictEntry.key, once per key)
 * and each answer walks every use record of every unit.  Direct-mapped:
 * a collision only asks again. */
#define UNCHANGED_SLOTS 256

struct unchanged_use {
	const struct stf_leaf *f;
	uint64_t hash;
	const char *name;
};

static struct unchanged_use *unchanged_slot(struct unchanged_use *memo,
					    const struct stf_leaf *f,
					    const struct stf_use_path *path)
{
	uint64_t h = ((uint64_t)(uintptr_t)f ^ path->hash ^
		      ((uint64_t)(uintptr_t)path->name << 7)) * 0x9e3779b97f4a7c15ULL;
	return &memo[h >> 56];
}

/* Untyped blocks reached through a `void *` member S.m whose value the
 * program uses as a pointer to a struct that changed between the
 * versions (several types recorded, so none was chosen; or the block did
 * not fit the one): their bytes would be copied as they are and the new
 * version would read them with the new layout.  Refused, naming S.m. */
int stf__check_member_uses(struct stf_xfer *x)
{
	struct stf_peer *p = x->src;
	struct stf_use_path *paths = NULL, path;
	int found = 0, have_paths = 0;
	char on[256], sn[256], tn[256], pn[256], list[640], kinds[768];

	for (size_t k = 0; k < p->meta->nunits && !found; k++)
		found = p->meta->units[k].nuses > 0;
	if (!found || !x->dst || !x->dst->meta)
		return 0;
	struct stf_ptr_walk w = { 0 };
	struct unchanged_use memo[UNCHANGED_SLOTS] = { { 0 } };
	for (size_t i = 0; i < p->nobjs; i++) {
		int rc = stf__ptr_walk_start(&w, x->layouts, &p->objs[i], 1u << STF_LEAF_PTR);
		if (rc < 0)
			goto oom;
		if (rc && !w.l->nvoids)
			continue; /* no `void *` member */
		const struct stf_leaf *f;
		uint64_t v;
		while (rc && stf__ptr_walk_next(&w, &f, &v)) {
			if (!f->member)
				continue;
			const struct stf_range *r = v ? stf__index_find(&p->index, v, 0) : NULL;
			if (!r)
				continue;
			const struct stf_obj *t = &p->objs[r->value];
			if (!stf__is_dynamic(t) || t->unit ||
			    (t->flags & (STF_OBJF_INTERNAL | STF_OBJF_CONTAINER)))
				continue; /* a container's own bytes: a slot given back to
					     its allocator (a stale pointer, which keeps
					     pointing there, at no object) */
			/* the paths walk every object: only once one is needed */
			if (!have_paths && stf__use_paths(p, x->layouts, &paths) < 0)
				goto oom;
			have_paths = 1;
			stf__leaf_path(paths, p, i, f->off, f, &path);
			struct unchanged_use *known = unchanged_slot(memo, f, &path);
			if (known->f == f && known->hash == path.hash && known->name == path.name)
				continue;
			if (!member_use_changed(p->meta, x->dst->meta, f, &path, tn, sizeof(tn))) {
				*known = (struct unchanged_use){ f, path.hash, path.name };
				continue;
			}
			stf__type_str(f->unit, f->owner, sn, sizeof(sn));
			pn[0] = 0;
			if (path.name && path.name != several_paths && path.hash)
				snprintf(pn, sizeof(pn), " (reached through member %s)", path.name);
			else if (path.name && path.name != several_paths)
				snprintf(pn, sizeof(pn), " (reached through %s)", path.name);
			kinds[0] = 0;
			if (several_types(p->meta, f, &path, list, sizeof(list)) > 1)
				snprintf(kinds, sizeof(kinds), " (one of %s, which neither its "
					 "size nor the functions of the struct holding it tell "
					 "apart)", list);
			stf__xfail(x, "%s.%s: the untyped block %s (%" PRIu64 " bytes) it "
			      "points to%s is used by the program as %s, whose layout changed "
			      "in the new version%s; its bytes would be copied as they are and "
			      "read with the new layout: keep one element type per `void *` "
			      "member and path (read the member through the struct member or "
			      "static variable that holds that one type, or use a typed "
			      "pointer member such as `%s *`; of several types, give each "
			      "a size or a handler in the struct holding the member of its "
			      "own), or register a callback (stf_on_object) for the block",
			      sn, stf_meta_str(f->unit, f->unit->members[f->member - 1].name),
			      stf__obj_name(t, on, sizeof(on)), t->size, pn, tn, kinds, tn);
			stf__bulk_free(paths);
			return -1;
		}
	}
	stf__bulk_free(paths);
	return 0;
oom:
	stf__bulk_free(paths);
	stf__xfail(x, "out of memory");
	return -1;
}

/* Calls use(arg, unit, type index) for each struct type the results of
 * the site of ID id are used as (STF_USE_SITE records: in the site's
 * unit, and the uses of the parameters of the functions of other units
 * they are passed to), until use returns nonzero (then 1).  With
 * fallback, the fallback records only. */
static int each_site_use(const struct stf_meta *m, const char *id,
			 int (*use)(void *, const struct stf_meta_unit *, uint32_t), void *arg,
			 int fallback)
{
	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *ru = &m->units[k];
		for (uint32_t i = 0; i < ru->nuses; i++) {
			const struct stf_use_rec *r = &ru->uses[i];
			if (!(r->flags & STF_USE_SITE) || !in_walk(r, fallback) ||
			    strcmp(stf_meta_str(ru, r->member), id))
				continue;
			if (r->flags & STF_USE_PASSED) {
				if (each_joined(m, stf_meta_str(ru, r->via), STF_USE_PARAM, r->via_type,
						use, arg))
					return 1;
			} else if (use(arg, ru, r->used)) {
				return 1;
			}
		}
	}
	return 0;
}

unsigned stf__site_uses(const struct stf_meta *m, const char *id,
			const struct stf_meta_unit **tu, uint32_t *t)
{
	struct use_count c = { 0 };

	if (!each_site_use(m, id, count_use, &c, 0) && !c.n)
		each_site_use(m, id, count_use, &c, 1);
	if (c.n) {
		*tu = c.unit;
		*t = c.type;
	}
	return c.n;
}
