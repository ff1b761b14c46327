/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slot-classes.c - a size-class allocator whose objects grow out of their
 * class: xalloc(size), an STF_ALLOCATOR taking a size that picks one of
 * its classes (elements of a static array: a slot size, a free list, its
 * pages) and takes its objects back one by one (STF_SF_GIVEN_BACK: its
 * partner by name is called), as memcached's slabs_alloc(ntotal) with the
 * class chosen by slabs_clsid(sizeof(item) + nkey + nbytes).  Moved out to
 * a heap block of its own, a grown object would later be given back to a
 * class as one of its slots; so each gets a slot of the class its new size
 * chooses, by a call of the destination's allocator with that size, and
 * the site is rebuilt as a slot allocator's is (slots.c): its chunks (the
 * pages) are left behind, every pointer to its objects relocated.
 *
 * The static array is transferred but for the classes of the rebuilt
 * slab, which keep the destination's state:
 *   - the classes holding the objects (the elements whose words lead into
 *     their chunks, directly or through a block listing them: a free
 *     list, a cursor, a list of pages), whose chunks are left behind: the
 *     destination's as its startup set them;
 *   - the classes the destination's allocator handed the new slots out of
 *     (the elements its calls changed): the destination's, which count
 *     them, when the source's same class holds no block the transfer
 *     carries (else the two states cannot be merged: the update rolls back
 *     naming the class).
 * An object keeping its class in a member (memcached's it->slabs_clsid)
 * gets its new slot's class there after the transform
 * (stf__slot_set_classes), the member found by its values.
 *
 * The way back does the same with the old version's allocator and sizes,
 * and the differencing compares neither (slot-state.c).
 */
#include <inttypes.h>
#include <string.h>

#include "engine.h"
#include "remote.h"
#include "slots.h"
#include "xfer.h"

/* Bytes of a block listing a class's pages, at most. */
#define LIST_MAX 65536

/* Whether source block c is what leads_to looks for: chunk `chunk` (or
 * one of its objects) if set, else a chunk of site `site`. */
static int is_target(const struct stf_peer *src, const struct stf_obj *c, const char *site,
		     const struct stf_obj *chunk)
{
	if (chunk)
		return c == chunk || (c->container && &src->objs[c->container - 1] == chunk);
	return !c->container && (c->flags & STF_OBJF_CONTAINER) &&
	       stf__slot_chunk_of_site(src, c, site);
}

/* Whether word v of a static leads into a chunk of site `site` (or into
 * chunk `chunk`, a page, if set): into it (a free list, a cursor), or to
 * a block one of whose words does (a list of pages).  Not a pointer to
 * one of the objects (a list head). */
static int leads_to(const struct stf_xfer *x, uint64_t v, const char *site,
		    const struct stf_obj *chunk)
{
	const struct stf_peer *src = x->src;
	const struct stf_obj *t = v ? stf__peer_find(src, v) : NULL;
	if (!t || t->kind != STF_OBJ_HEAP || t->container)
		return 0;
	if (is_target(src, t, site, chunk))
		return 1;
	if (t->flags & (STF_OBJF_CONTAINER | STF_OBJF_INTERNAL) || t->size > LIST_MAX)
		return 0;
	for (uint64_t off = 0; off + 8 <= t->size; off += 8) {
		uint64_t w;
		const struct stf_obj *c;
		if (stf__xfer_src_read((struct stf_xfer *)x, t->addr + off, &w, 8) < 0)
			return 0;
		if (w && (c = stf__peer_find(src, w)) && c != t && is_target(src, c, site, chunk))
			return 1;
	}
	return 0;
}

/* The class (element of `len` bytes of static c, its bytes `bytes`) whose
 * words lead to the chunk holding object o: the class of o's slot, which
 * its size cannot tell (a program counting its tail from sizeof, the
 * registration from the tail's offset).  UINT64_MAX if none. */
static uint64_t class_holding(struct stf_xfer *x, const uint8_t *bytes, const struct stf_obj *c,
			      uint64_t len, const struct stf_obj *o)
{
	const struct stf_obj *chunk = &x->src->objs[o->container - 1];
	for (uint64_t k = 0; (k + 1) * len <= c->size; k++)
		for (uint64_t off = k * len; off + 8 <= (k + 1) * len; off += 8) {
			uint64_t v;
			memcpy(&v, bytes + off, 8);
			if (leads_to(x, v, NULL, chunk))
				return k;
		}
	return UINT64_MAX;
}

/* Value of the unsigned integer of `bytes` bytes at p. */
static uint64_t uint_at(const uint8_t *p, uint64_t bytes)
{
	uint64_t v = 0;
	memcpy(&v, p, bytes < 8 ? bytes : 8);
	return v;
}

/* Sized group g whose allocator takes the class too: the member of the
 * destination's class struct that is its slot size, the first integer
 * member whose values grow along the classes set at startup (g->startup;
 * a count or a free-slot number does not).  1, or 0. */
static int slot_size_member(struct stf_slot_group *g, const struct stf_obj *d)
{
	const struct stf_meta_unit *u = d->unit;
	if (!u || d->type >= u->ntypes)
		return 0;
	const struct stf_type_rec *at = T(u, strip(u, d->type));
	if (at->kind != STF_K_ARRAY || at->target >= u->ntypes)
		return 0;
	const struct stf_type_rec *ct = T(u, strip(u, at->target));
	if (ct->kind != STF_K_STRUCT)
		return 0;
	for (uint32_t m = 0; m < ct->nmembers; m++) {
		const struct stf_member_rec *mr = &u->members[ct->members + m];
		const struct stf_type_rec *mt = mr->type < u->ntypes ? T(u, strip(u, mr->type)) : NULL;
		if (!mt || mt->kind != STF_K_INT || mr->bit_size || !mt->size || mt->size > 8 ||
		    mr->offset < 0 || (uint64_t)mr->offset + mt->size > g->dlen)
			continue;
		uint64_t last = 0, used = 0, k;
		for (k = 0; (k + 1) * g->dlen <= d->size; k++) {
			uint64_t v = uint_at(g->startup + k * g->dlen + mr->offset, mt->size);
			if (!v)
				continue;
			if (used && v <= last)
				break;
			last = v;
			used++;
		}
		if (used >= 2 && (k + 1) * g->dlen > d->size) {
			g->slot_off = (uint64_t)mr->offset;
			g->slot_bytes = mt->size;
			return 1;
		}
	}
	return 0;
}

uint64_t stf__slot_request(const struct stf_obj *o, uint64_t dsize,
			   const struct stf_meta_unit *du, uint32_t dt)
{
	if (!o->unit || !du)
		return dsize;
	uint64_t was = T(o->unit, strip(o->unit, o->type))->size, now = T(du, strip(du, dt))->size;
	uint64_t counted = o->size >= was ? o->size - was + now : 0;
	return counted > dsize ? counted : dsize;
}

/* The first class of array `p` (`size` bytes, classes of g's dlen
 * bytes, slot sizes at g's slot_off) holding `bytes`; UINT64_MAX if none. */
static uint64_t class_of(const struct stf_slot_group *g, const uint8_t *p, uint64_t size,
			 uint64_t bytes)
{
	for (uint64_t k = 0; (k + 1) * g->dlen <= size; k++)
		if (uint_at(p + k * g->dlen + g->slot_off, g->slot_bytes) >= bytes)
			return k;
	return UINT64_MAX;
}

uint64_t stf__slot_class_arg(const struct stf_slot_group *g, uint64_t size)
{
	return g->by_class ? class_of(g, g->startup, g->startup_size, size) : 0;
}

/*
 * Sized group g whose allocator takes the class: an object that keeps its
 * class index in a member (memcached's it->slabs_clsid, which its free
 * and its per-class LRU lists go by) must name its new slot's class.
 * Which member that is, is not declared: the one integer member equal to
 * the class of every object of the site, the objects being in two classes
 * at least (in one, a count or a flag equal to it would pass for it):
 * g->class_member, which stf__slot_set_classes sets after the transform.
 * When the objects change class but the member cannot be told (one class
 * only, or several members fit), the update fails naming them (why).
 * 1, or 0.
 */
static int find_class_member(struct stf_xfer *x, struct stf_slot_group *g, char *why,
			     size_t whylen)
{
	const struct stf_peer *src = x->src;
	const struct stf_obj *c = &src->objs[g->cache];
	uint8_t *bytes = stf__arena_alloc(x->arena, c->size);
	uint64_t equal = ~0ull; /* members [0, 64) of the object's type still equal */
	uint64_t first = UINT64_MAX, from = UINT64_MAX;
	uint64_t chunk = 0; /* (the container of the objects last seen, + 1) */
	const struct stf_meta_unit *u = NULL;
	const struct stf_type_rec *t = NULL;
	const char *item = NULL;
	int moves = 0, classes = 0;
	if (!bytes || stf__xfer_src_read(x, c->addr, bytes, c->size) < 0)
		return 1; /* (read again by the transfer, which reports it) */
	for (size_t i = 0; i < src->nobjs; i++) {
		const struct stf_obj *o = &src->objs[i];
		const struct stf_meta_unit *du;
		uint32_t dt;
		if (!o->container || strcmp(o->id, g->site) || !o->unit)
			continue;
		if (o->container != chunk) {
			chunk = o->container; /* (objects sorted by address) */
			from = class_holding(x, bytes, c, g->len, o);
		}
		uint64_t dsize = stf__slot_dst_size(x, o, &du, &dt);
		moves |= from != stf__slot_class_arg(g, stf__slot_request(o, dsize, du, dt));
		if (first == UINT64_MAX)
			first = from;
		classes |= from != first;
		u = o->unit;
		t = T(u, strip(u, o->type));
		item = o->id;
		for (uint32_t m = 0; t->kind == STF_K_STRUCT && m < t->nmembers && m < 64; m++) {
			const struct stf_member_rec *mr = &u->members[t->members + m];
			const struct stf_type_rec *mt = mr->type < u->ntypes ? T(u, strip(u, mr->type)) : NULL;
			uint8_t v[8] = { 0 };
			if (!mt || mt->kind != STF_K_INT || mr->bit_size || !mt->size || mt->size > 8 ||
			    mr->offset < 0 || (uint64_t)mr->offset + mt->size > o->size ||
			    stf__xfer_src_read(x, o->addr + (uint64_t)mr->offset, v, mt->size) < 0 ||
			    uint_at(v, mt->size) != from)
				equal &= ~(1ull << m);
		}
	}
	if (!moves || !t || t->kind != STF_K_STRUCT)
		return 1;
	uint32_t nmembers = t->nmembers < 64 ? t->nmembers : 64;
	char names[160] = "";
	size_t fit = 0, at = 0;
	for (uint32_t m = 0; m < nmembers; m++)
		if (equal >> m & 1) {
			g->class_member = stf_meta_str(u, u->members[t->members + m].name);
			if (at < sizeof(names))
				at += (size_t)snprintf(names + at, sizeof(names) - at, "%s%s",
						       fit ? " and " : "", g->class_member);
			fit++;
		}
	if (!fit || (fit == 1 && classes))
		return 1;
	g->class_member = NULL;
	snprintf(why, whylen, "its objects (%s) change class, and %s %s equal%s the class of "
		 "each (as memcached's slabs_clsid, which must then name the new one), but %s",
		 item, fit == 1 ? "their member" : "their members", names, fit == 1 ? "s" : "",
		 fit == 1 ? "they are all in one class, so whether it holds the class is not known" :
			    "which one holds the class is not known");
	return 0;
}

void stf__slot_set_classes(struct stf_xfer *x)
{
	struct stf_slot_group *groups;
	size_t ngroups = stf__slot_groups(&groups);
	for (size_t gi = 0; gi < ngroups; gi++) {
		const struct stf_slot_group *g = &groups[gi];
		for (size_t i = 0; g->class_member && i < x->src->nobjs; i++) {
			const struct stf_obj *o = &x->src->objs[i];
			const struct stf_meta_unit *du;
			uint32_t dt;
			int64_t j = x->pair[i].dst;
			if (x->pair[i].moved != SUB_SLOT || strcmp(o->id, g->site) || j < 0 || !x->img[j])
				continue;
			uint64_t size = stf__slot_dst_size(x, o, &du, &dt);
			uint64_t class = stf__slot_class_arg(g, stf__slot_request(o, size, du, dt));
			const struct stf_type_rec *t = du ? T(du, strip(du, dt)) : NULL;
			for (uint32_t m = 0; t && t->kind == STF_K_STRUCT && m < t->nmembers; m++) {
				const struct stf_member_rec *mr = &du->members[t->members + m];
				const struct stf_type_rec *mt =
					mr->type < du->ntypes ? T(du, strip(du, mr->type)) : NULL;
				if (!mt || mt->kind != STF_K_INT || mr->bit_size || !mt->size || mt->size > 8 ||
				    mr->offset < 0 || (uint64_t)mr->offset + mt->size > size ||
				    strcmp(stf_meta_str(du, mr->name), g->class_member))
					continue;
				memcpy(x->img[j] + mr->offset, &class, mt->size); /* (little-endian) */
				break;
			}
		}
	}
}

/* Whether allocator `alloc` (in the source) takes the size only, choosing
 * the class itself. */
static int takes_size_only(struct stf_xfer *x, const char *alloc)
{
	const struct stf_meta_unit *fu;
	const struct stf_type_rec *ft = stf__slot_allocator_type(x->src, NULL, alloc, &fu);
	return ft && ft->nmembers == 1;
}

/* Sized group g: whether its allocator (`alloc`, in the source) takes the
 * size only, or the size and the class (g->by_class).  1, or 0 (why). */
static int class_argument(struct stf_xfer *x, struct stf_slot_group *g, const char *alloc,
			  const struct stf_obj *d, char *why, size_t whylen)
{
	const struct stf_meta_unit *fu;
	const struct stf_type_rec *ft = stf__slot_allocator_type(x->src, NULL, alloc, &fu);
	const struct stf_type_rec *second =
		ft && ft->nmembers == 2 && fu->members[ft->members + 1].type < fu->ntypes ?
		T(fu, strip(fu, fu->members[ft->members + 1].type)) : NULL;
	if (takes_size_only(x, alloc))
		return 1;
	g->by_class = 1;
	if (second && (second->kind == STF_K_INT || second->kind == STF_K_ENUM) &&
	    slot_size_member(g, d))
		return 1;
	snprintf(why, whylen, "its allocator %s takes a size choosing its class, but %s", alloc,
		 !ft ? "its parameters are not known (no function object of it)" :
		 !second ? "it takes other arguments than the size and the class" :
		 "no member of its classes says their slot sizes (an integer growing along "
		 "the classes)");
	return 0;
}

int stf__slot_group_sized(struct stf_xfer *x, const char *site, const char *alloc,
			  struct stf_slot_group *g, char *why, size_t whylen)
{
	const struct stf_peer *src = x->src;
	const struct stf_obj *slab = NULL;
	uint64_t start, len = 0;
	memset(g, 0, sizeof(*g));
	g->site = site;
	g->sized = 1;
	g->fn = stf__peer_symbol_addr(x->dst, NULL, alloc);
	if (!g->fn) {
		snprintf(why, whylen, "its allocator %s is not a function of the %s version", alloc,
			 x->dir == STF_FORWARD ? "new" : "old");
		return 0;
	}
	for (size_t i = 0; i < src->nobjs; i++) {
		const struct stf_obj *o = &src->objs[i];
		if (o->kind != STF_OBJ_STATIC || !o->bytes || o->container)
			continue;
		for (uint64_t off = 0; off + 8 <= o->size; off += 8) {
			uint64_t v;
			memcpy(&v, o->bytes + off, 8);
			if (!leads_to(x, v, site, NULL))
				continue;
			stf__slot_element_at(o, off, &start, &len);
			if ((slab && slab != o) || start / len >= STF_SLOT_CLASSES_MAX) {
				snprintf(why, whylen, "its allocator %s takes a size choosing its "
					 "class, and the words leading to the pages of its objects are "
					 "in more than one static or past the %dth class of %s, so "
					 "which classes they are is not known", alloc, STF_SLOT_CLASSES_MAX,
					 o->id);
				return 0;
			}
			slab = o;
			g->classes |= 1ull << (start / len);
		}
	}
	if (!slab) {
		snprintf(why, whylen, "its allocator %s takes a size choosing its class, and no "
			 "static leads to the pages of its objects, so which classes they are is "
			 "not known", alloc);
		return 0;
	}
	g->cache = (size_t)(slab - src->objs);
	g->len = len;
	g->dcache = x->pair[g->cache].dst;
	const struct stf_obj *d = g->dcache >= 0 ? &x->dst->objs[g->dcache] : NULL;
	uint8_t *now = d ? stf__arena_alloc(x->arena, d->size ? d->size : 1) : NULL;
	if (!d) {
		snprintf(why, whylen, "the %s version has no static %s holding its classes",
			 x->dir == STF_FORWARD ? "new" : "old", slab->id);
		return 0;
	}
	stf__slot_element_at(d, 0, &start, &g->dlen);
	/* All zero, the classes may be set up lazily (by the first call of
	 * each, as a size-only allocator choosing the class by arithmetic
	 * does); an allocator also taking the class needs their slot sizes. */
	if (!now || stf__peer_read(x->dst, d->addr, now, d->size) < 0 ||
	    (stf__all_zero(now, d->size) && !takes_size_only(x, alloc)) ||
	    (d->size / g->dlen < STF_SLOT_CLASSES_MAX && g->classes >> (d->size / g->dlen))) {
		snprintf(why, whylen, "the %s version's startup left its classes %s unset, or "
			 "has fewer of them (set them up at every start, also when "
			 "stf_is_updating())", x->dir == STF_FORWARD ? "new" : "old", slab->id);
		return 0;
	}
	g->startup = now;
	g->startup_size = d->size;
	return class_argument(x, g, alloc, d, why, whylen) &&
	       (!g->by_class || find_class_member(x, g, why, whylen));
}

int stf__slot_range(const struct stf_slot_group *g, unsigned *k, uint64_t *off, uint64_t *len)
{
	if (!g->sized) {
		*off = g->off;
		*len = g->len;
		return !(*k)++;
	}
	while (*k < STF_SLOT_CLASSES_MAX && !(g->classes >> *k & 1))
		(*k)++;
	if (*k >= STF_SLOT_CLASSES_MAX)
		return 0;
	*off = *k * g->len;
	*len = g->len;
	(*k)++;
	return 1;
}

uint8_t *stf__slot_class_before(struct stf_xfer *x, const struct stf_slot_group *g)
{
	const struct stf_obj *d = &x->dst->objs[g->dcache];
	uint8_t *b = stf__arena_alloc(x->arena, d->size ? d->size : 1);
	if (!b || stf__peer_read(x->dst, d->addr, b, d->size) < 0) {
		stf__xfail(x, "cannot read the %s version's classes of %s",
			   x->dir == STF_FORWARD ? "new" : "old", g->site);
		return NULL;
	}
	return b;
}

/* Whether the source's element [off, off + len) of static c points to a
 * block the transfer carries (a page of live objects, or of slots given
 * back): state of its own, which the destination's cannot replace. */
static int carries_state(const struct stf_xfer *x, const struct stf_obj *c, uint64_t off,
			 uint64_t len)
{
	const struct stf_peer *src = x->src;
	for (uint64_t k = off; c->bytes && k + 8 <= off + len && k + 8 <= c->size; k += 8) {
		uint64_t v;
		memcpy(&v, c->bytes + k, 8);
		const struct stf_obj *t = v ? stf__peer_find(src, v) : NULL;
		if (!t || t->kind != STF_OBJ_HEAP)
			continue;
		if (t->container)
			t = &src->objs[t->container - 1];
		if (x->pair[t - src->objs].dst != PAIR_NONE)
			return 1;
	}
	return 0;
}

int stf__slot_class_placed(struct stf_xfer *x, struct stf_slot_group *g, const uint8_t *before)
{
	const struct stf_obj *d = &x->dst->objs[g->dcache], *c = &x->src->objs[g->cache];
	uint8_t *now = stf__arena_alloc(x->arena, d->size ? d->size : 1);
	if (!now || stf__peer_read(x->dst, d->addr, now, d->size) < 0) {
		stf__xfail(x, "cannot read the %s version's classes of %s",
			   x->dir == STF_FORWARD ? "new" : "old", g->site);
		return -1;
	}
	g->kept = now;
	for (uint64_t k = 0; k < STF_SLOT_CLASSES_MAX && (k + 1) * g->dlen <= d->size; k++) {
		if (!memcmp(now + k * g->dlen, before + k * g->dlen, g->dlen) ||
		    (g->classes >> k & 1))
			continue;
		if ((k + 1) * g->len > c->size || carries_state(x, c, k * g->len, g->len)) {
			stf__xfail(x, "the objects of %s grow into class %" PRIu64 " of %s, which "
				   "holds pages of other objects or of free slots in the %s version: "
				   "its state and the slots the %s version's allocator handed out "
				   "there cannot be merged (keep the type's size within its class, or "
				   "restart the program for this change)", g->site, k, c->id,
				   x->dir == STF_FORWARD ? "old" : "new",
				   x->dir == STF_FORWARD ? "new" : "old");
			return -1;
		}
		g->placed |= 1ull << k;
	}
	return 0;
}
