/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infer-types.c - types for untyped objects (moved from member-uses.c):
 * the blocks of the allocation sites the plugin left to libstf typed by
 * the uses of their results (STF_USE_SITE, joined across units), then
 * the untyped blocks typed pointers and `void *` members' use records
 * lead to (stf__peer_infer_types), and the elements of GLib's arrays
 * (glib-arrays.c).
 */
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "glib-arrays.h"
#include "remote.h"
#include "xfer.h"

void stf__complete_type(const struct stf_meta *m, const struct stf_meta_unit **u,
			uint32_t *type)
{
	const struct stf_meta_unit *du;
	uint32_t t = stf_meta_strip_typedefs(*u, *type), dt;
	char name[256];

	if (t >= (*u)->ntypes)
		return;
	const struct stf_type_rec *r = &(*u)->types[t];
	if ((r->kind != STF_K_STRUCT && r->kind != STF_K_UNION) ||
	    !(r->flags & STF_TF_INCOMPLETE) || !r->name)
		return;
	snprintf(name, sizeof(name), "%s %s", r->kind == STF_K_STRUCT ? "struct" : "union",
		 stf_meta_str(*u, r->name));
	/* the lookup prefers a complete record of that name */
	if (stf_meta_find_type(m, name, &du, &dt) < 0)
		return;
	dt = stf_meta_strip_typedefs(du, dt);
	if (dt >= du->ntypes || du->types[dt].kind != r->kind ||
	    (du->types[dt].flags & STF_TF_INCOMPLETE))
		return;
	*u = du;
	*type = dt;
}

static int useful_pointee(const struct stf_meta_unit *u, uint32_t t)
{
	t = stf_meta_strip_typedefs(u, t);
	if (t >= u->ntypes)
		return 0;
	const struct stf_type_rec *r = &u->types[t];
	if (!r->size || (r->flags & STF_TF_INCOMPLETE))
		return 0;
	switch (r->kind) {
	case STF_K_STRUCT:
	case STF_K_UNION:
	case STF_K_POINTER:
	case STF_K_FLOAT:
		return 1;
	case STF_K_INT:
		return !(r->flags & STF_TF_CHAR);
	default:
		return 0;
	}
}

enum stf_block_fit stf__block_fit(const struct stf_meta_unit *u, uint32_t t, uint64_t size)
{
	uint32_t flex;
	uint64_t flex_off, tsize;
	t = stf_meta_strip_typedefs(u, t);
	tsize = t < u->ntypes ? u->types[t].size : 0;
	if (!tsize)
		return STF_FIT_NONE;
	if (size == tsize || (stf__flex_tail(u, t, &flex, &flex_off) && size >= flex_off))
		return STF_FIT_ONE;
	if (size % tsize == 0)
		return STF_FIT_ELEMENTS;
	if (u->types[t].kind == STF_K_STRUCT && size > tsize && size < 2 * tsize)
		return STF_FIT_SLACK;
	return STF_FIT_NONE;
}

/* A sub-object's bytes are its container's (sub-objects are not
 * indexed, so not fetched). */
static void take_container_bytes(struct stf_peer *p, struct stf_obj *o)
{
	if (o->container) {
		const struct stf_obj *co = &p->objs[o->container - 1];
		if (!o->bytes && co->bytes)
			o->bytes = co->bytes + (o->addr - co->addr);
	}
}

/* The untyped blocks of the sites the plugin left to libstf (their
 * results handed to callbacks of other units, `event_new(base, fd, ev,
 * on_read, ctx)` with on_read in conn.c), and the untyped sub-objects of
 * an STF_ALLOCATOR's sites (`event_new(..., on_read, pool_alloc(pool,
 * n))`): of the one struct type those say, if only one.  Decided once
 * per site. */
static int type_by_sites(struct stf_peer *p)
{
	int any = 0;
	for (size_t k = 0; k < p->meta->nunits && !any; k++)
		for (uint32_t i = 0; i < p->meta->units[k].nuses && !any; i++)
			any = (p->meta->units[k].uses[i].flags & STF_USE_SITE) != 0;
	if (!any || !p->nsites)
		return 0;
	/* per site: 0 not decided, 1 no type, 2 typed (site_units, site_types) */
	uint8_t *state = stf__raw_malloc(p->nsites);
	const struct stf_meta_unit **site_units = stf__raw_malloc(p->nsites * sizeof(*site_units));
	uint32_t *site_types = stf__raw_malloc(p->nsites * sizeof(*site_types));
	if (!state || !site_units || !site_types) {
		stf__raw_free(state);
		stf__raw_free(site_units);
		stf__raw_free(site_types);
		return -1;
	}
	memset(state, 0, p->nsites);
	for (size_t i = 0; i < p->nobjs; i++) {
		struct stf_obj *o = &p->objs[i];
		if (!stf__is_dynamic(o) || o->unit || o->site >= p->nsites ||
		    !p->site_ids[o->site] ||
		    (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_EXTERNAL | STF_OBJF_CONTAINER)))
			continue;
		uint32_t s = o->site;
		if (!state[s]) {
			const struct stf_meta_unit *pu;
			uint32_t pt;
			state[s] = 1;
			if (stf__site_uses(p->meta, p->site_ids[s], &pu, &pt) == 1) {
				stf__complete_type(p->meta, &pu, &pt);
				if (useful_pointee(pu, pt)) {
					site_units[s] = pu;
					site_types[s] = stf_meta_strip_typedefs(pu, pt);
					state[s] = 2;
				}
			}
		}
		if (state[s] == 2 && stf__block_fit(site_units[s], site_types[s], o->size) != STF_FIT_NONE) {
			take_container_bytes(p, o);
			o->unit = site_units[s];
			o->type = site_types[s];
		}
	}
	stf__raw_free(state);
	stf__raw_free(site_units);
	stf__raw_free(site_types);
	return 0;
}

/* The untyped dynamic objects (index_untyped) and the addresses they
 * span, [lo, lo + span): most pointers lie outside, and need no lookup. */
struct untyped_blocks {
	struct stf_index index;
	uint64_t lo, span;
};

static const struct stf_range *find_untyped(const struct untyped_blocks *ub, uint64_t v)
{
	return v - ub->lo < ub->span ? stf__index_find(&ub->index, v, 0) : NULL;
}

/* A struct or union the program declares (not a system header).  A
 * block a library allocated for itself (STF_OBJF_EXTERNAL: the caller of
 * malloc is the library's code; the program's own allocators, GLib's
 * g_new and STF_ALLOCATOR functions, give their blocks the program's
 * sites) holds no such object: a program pointer to one is a stale
 * pointer to a freed object whose block the library took (a member array
 * that forgets without shrinking keeps one in its dead tail).  Typed by
 * it, the library's block would be converted as the program's struct
 * where the library keeps it, its bytes moved under the library. */
static int program_struct(const struct stf_meta_unit *u, uint32_t t)
{
	const struct stf_type_rec *r = &u->types[t];
	return (r->kind == STF_K_STRUCT || r->kind == STF_K_UNION) && !(r->flags & STF_TF_SYSTEM);
}

/* May a block a library allocated for itself take type t (fitting it
 * as fit says)?  Never a program struct (above); a library's struct
 * (a system header's) only when the block is exactly one of it.  A
 * public struct in a larger block is the head of the library's private
 * one (libevent's struct bufferevent at the start of its
 * bufferevent_private, read through <event2/bufferevent_struct.h>): the
 * rest is the library's, with pointers into it, and the block stays the
 * library's bytes at its address (t/xfer/libpub15-bev). */
static int library_type_fits(const struct stf_meta_unit *u, uint32_t t, enum stf_block_fit fit)
{
	uint32_t kind = u->types[t].kind;
	if (kind != STF_K_STRUCT && kind != STF_K_UNION)
		return 1;
	return !program_struct(u, t) && fit == STF_FIT_ONE;
}

/* One pass of stf__peer_infer_types over the typed objects (work holds
 * room for every object): how many untyped objects it typed, or -1.
 * A block behind a `void *` member whose path is not known is typed only
 * when unknown is set (by every record of the member).  After the first
 * pass only the `void *` members of the objects typed before it can type
 * something new (their paths or unknown changed); their other pointers
 * gave all they could in an earlier pass: skipped (what a pass types is
 * walked whole). */
static long infer_pass(struct stf_peer *p, struct stf_layouts *layouts, uint8_t *reached,
		       const struct untyped_blocks *untyped, const struct stf_use_path *paths,
		       int unknown, int first, size_t *work)
{
	size_t nwork = 0;
	long typed = 0;

	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (o->unit && o->bytes && !(o->flags & (STF_OBJF_INTERNAL | STF_OBJF_IXFER)) &&
		    (o->kind == STF_OBJ_STATIC || o->kind == STF_OBJ_LOCAL || stf__is_dynamic(o)))
			work[nwork++] = i;
	}
	/* work[0, before): typed before this pass; above: typed by it */
	size_t before = nwork;
	struct stf_ptr_walk w = { 0 };
	while (nwork) {
		size_t i = work[--nwork];
		int voids_only = !first && nwork < before;
		if (nwork < before)
			before = nwork;
		int rc = stf__ptr_walk_start(&w, layouts, &p->objs[i],
					     (1u << STF_LEAF_PTR) | (1u << STF_LEAF_PXFER));
		if (rc < 0)
			return -1;
		if (rc && voids_only && !w.l->nvoids)
			continue;
		const struct stf_leaf *f;
		uint64_t v;
		while (rc && stf__ptr_walk_next(&w, &f, &v)) {
			if (voids_only && !f->member)
				continue;
			const struct stf_range *r = v ? find_untyped(untyped, v) : NULL;
			if (!r)
				continue;
			struct stf_obj *t = &p->objs[r->value];
			if (!stf__is_dynamic(t) || t->unit || (t->flags & STF_OBJF_INTERNAL))
				continue;
			if (reached)
				reached[r->value] = 1;
			/* a container's own bytes stay untyped: what was
			 * handed out of it is typed by its sub-objects */
			if (f->kind != STF_LEAF_PTR || v != t->addr ||
			    (t->flags & STF_OBJF_CONTAINER))
				continue;
			const struct stf_meta_unit *pu = f->unit;
			uint32_t pt = f->type;
			/* a `void *` member: the one struct type the
			 * program uses its value as on the path to the
			 * struct holding it, if only one, or the one of
			 * several the block's row or size says */
			if (f->member) {
				struct stf_use_path path;
				struct stf_use_block b;
				stf__leaf_path(paths, p, i, f->off, f, &path);
				if (!path.name && !unknown)
					continue;
				unsigned n = stf__member_uses(p->meta, f, &path, NULL, &pu, &pt);
				if (n == 2) { /* several: this block's row or size may tell */
					stf__use_block(p, &w, f, t->size, &b);
					n = stf__member_uses(p->meta, f, &path, &b, &pu, &pt);
				}
				if (n != 1)
					continue;
			}
			if ((t->flags & STF_OBJF_EXTERNAL) && pu && stf__is_file_type(pu, pt)) {
				/* libc's FILE (with its lock and wide data
				 * after it): re-created, never typed */
				t->flags |= STF_OBJF_STREAM;
				continue;
			}
			stf__complete_type(p->meta, &pu, &pt);
			if (!useful_pointee(pu, pt))
				continue;
			pt = stf_meta_strip_typedefs(pu, pt);
			enum stf_block_fit fit = stf__block_fit(pu, pt, t->size);
			if (fit != STF_FIT_ONE && stf__derived_struct(p, t, &pu, &pt))
				fit = STF_FIT_ONE;
			if ((t->flags & STF_OBJF_EXTERNAL) && !library_type_fits(pu, pt, fit))
				continue;
			if (fit != STF_FIT_NONE) {
				t->unit = pu;
				t->type = pt;
				t->inferred = 1;
				work[nwork++] = r->value;
				typed++;
			}
		}
	}
	return typed;
}

static size_t count_untyped_subs(const struct stf_peer *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nobjs; i++)
		n += stf__untyped_sub(&p->objs[i]);
	return n;
}

/* Sub-objects typed (there were before untyped ones): objects of their
 * own in the index now. */
static void index_typed_subs(struct stf_peer *p, size_t before)
{
	if (count_untyped_subs(p) != before)
		stf__peer_index(p);
}

/* The untyped dynamic objects in an index of their own: a container
 * around its untyped sub-objects, each of those, which get their bytes
 * here. */
static int index_untyped(struct stf_peer *p, struct stf_index *ix)
{
	for (size_t i = 0; i < p->nobjs; i++) {
		struct stf_obj *o = &p->objs[i];
		if (!stf__is_dynamic(o) || o->unit || (o->flags & STF_OBJF_INTERNAL))
			continue;
		take_container_bytes(p, o);
		uint64_t at = o->addr;
		uint32_t nsubs = 0;
		const struct stf_obj *subs = (o->flags & STF_OBJF_CONTAINER) ?
			stf__peer_subs(p, o, &nsubs) : NULL;
		for (uint32_t k = 0; k < nsubs; k++) {
			const struct stf_obj *s = &subs[k];
			if (!stf__untyped_sub(s))
				continue;
			if (s->addr > at && stf__index_add(ix, at, s->addr - at, i) < 0)
				return -1;
			at = s->addr + s->size;
		}
		if (o->addr + o->size > at && stf__index_add(ix, at, o->addr + o->size - at, i) < 0)
			return -1;
	}
	return 0;
}

static int infer_types(struct stf_peer *p, struct stf_layouts *layouts, uint8_t *reached)
{
	/* Only untyped dynamic objects can be typed or reached, so pointers
	 * are looked up among them alone: an index usually of a handful of
	 * libc's blocks instead of every object of the peer (a lookup in that
	 * one costs several cache misses, and this runs for every pointer). */
	struct untyped_blocks untyped = { STF_INDEX_INIT, 0, 0 };
	struct stf_use_path *paths = NULL;
	size_t *work;
	long typed;
	int rc = -1;

	if (reached)
		memset(reached, 0, p->nobjs);
	size_t untyped_subs = count_untyped_subs(p);
	if (type_by_sites(p) < 0)
		return -1;
	if (index_untyped(p, &untyped.index) < 0) {
		stf__index_free(&untyped.index);
		return -1;
	}
	if (!untyped.index.n) {
		index_typed_subs(p, untyped_subs);
		return 0;
	}
	stf__index_sort(&untyped.index, NULL, NULL);
	uint64_t hi = 0;
	untyped.lo = UINT64_MAX;
	for (size_t k = 0; k < untyped.index.n; k++) {
		const struct stf_range *r = &untyped.index.ranges[k];
		if (r->start < untyped.lo)
			untyped.lo = r->start;
		if (r->start + r->size > hi)
			hi = r->start + r->size;
	}
	untyped.span = hi - untyped.lo;
	/* every typed object is pushed: huge pages, reused (bulk.c) */
	work = stf__bulk_alloc((p->nobjs + 1) * sizeof(*work));
	if (!work)
		goto out;
	/* The paths to the structs holding `void *` members (zone.entries)
	 * are known once the objects holding them are typed, which a pass
	 * may just have done (an array of zones behind another `void *`):
	 * passes until one types nothing new, then one that also types the
	 * blocks whose path stayed unknown (by all the member's records),
	 * and again if that one typed some.  Without paths, one pass. */
	for (int unknown = 0, first = 1;; first = 0) {
		stf__bulk_free(paths);
		if (stf__use_paths(p, layouts, &paths) < 0)
			goto out;
		typed = infer_pass(p, layouts, reached, &untyped, paths, unknown || !paths,
				   first, work);
		if (typed < 0)
			goto out;
		if (!paths || (unknown && !typed))
			break;
		unknown = !typed;
	}
	index_typed_subs(p, untyped_subs);
	rc = 0;
out:
	stf__bulk_free(paths);
	stf__bulk_free(work);
	stf__index_free(&untyped.index);
	return rc;
}

int stf__peer_infer_types(struct stf_peer *p, struct stf_layouts *layouts, uint8_t *reached)
{
	/* then GLib's arrays of the program's structs, which the typed
	 * pointers just found may reach */
	if (infer_types(p, layouts, reached) < 0)
		return -1;
	return stf__glib_arrays_find(p, layouts);
}
