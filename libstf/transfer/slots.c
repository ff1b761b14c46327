/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slots.c - a slab whose object type grows: each live object gets a slot
 * of the destination's own slab.  This file decides which slabs are
 * rebuilt; slot-pair.c pairs their slabs, slot-place.c allocates the slots.
 *
 * A slot allocator (an STF_ALLOCATOR without a size argument,
 * STF_SF_SLOT) hands out slots of a size its slab was made with, usually
 * sizeof the type at startup (`slab_create(sizeof(struct item))`).  When
 * that type grows, neither the old slots nor the slots the old slab would
 * hand out after the update hold it.  But the new version's startup made
 * its own slab with the new size (the program creates its slabs at every
 * start, before its update point).  So, for a slot site whose objects
 * grow:
 *   - the old slab (the object the recorded cache argument points to,
 *     runtime/slots.h) is paired with the destination's startup object
 *     of the same site, which keeps its own state (not overwritten) and
 *     takes the old slab's dynamic ID, so pointers to it compare equal in
 *     the round trip;
 *   - each live object of the site gets a slot by a call of the
 *     destination's allocator with that slab, is registered there with
 *     its dynamic ID, and is transferred into it as usual (every pointer
 *     to it relocated);
 *   - a size-class allocator's objects of other sites sharing a chunk with
 *     them get slots the same way (their site is rebuilt too, although its
 *     type keeps its size: group_chunk_mates), so the chunk holds nothing
 *     the transfer carries;
 *   - the old slab's chunks (the blocks holding only such objects) and the
 *     blocks the old slab points to (its list of chunks) are not carried:
 *     they are the old allocator's state.
 * The way back does the same with the old version's allocator in the
 * reversed version, and the differencing skips the allocator state of
 * both slabs (their caches and chunks): it compares the objects by their
 * identity, not the free lists.
 *
 * A site whose objects were all given back (no object to move: a pooler
 * with no client connected) is rebuilt the same way when its type grows,
 * with nothing moved: its old slab, carried as it was, would hand out
 * slots of the old size to the new version.  A site whose allocator takes
 * an argument choosing its slab and was never called records no slab: when its
 * type grows, the update rolls back naming it (refuse_idle_sites), unless
 * its call reads the slab from a static (its value, a member, a pointer
 * chain: the plugin records the path): then that is its slab.
 *
 * Applies to slot allocators taking one pointer (the cache) of a site
 * with one live cache, the cache a whole heap or static object or a
 * member of a static (slab_alloc(&srv.conns): the static is transferred
 * but for that member, which keeps the destination's state; the round
 * trip compares the static without it) or of a heap object (the object
 * is transferred into the destination's startup object of its site and
 * rank, pair_startup_object, but for that member); and to size-class
 * allocators (slot-classes.c).  Others keep the rollback of
 * subobjects.c (slot_too_small, stf__given_back_cannot_move).  An object given back to
 * the slab before the update is no longer registered when the slab's
 * free is a deallocator (STF_DEALLOCATOR, or the allocator's partner by
 * name: runtime/slots.h, stf__sub_free); one given back otherwise is
 * still registered, so it gets a slot too: at most the slab's free slots.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "remote.h"
#include "slots.h"
#include "subobjects.h"
#include "xfer.h"
#include "../runtime/slots.h"

static struct stf_slot_group groups[STF_SLOT_GROUPS_MAX];
static size_t ngroups;

size_t stf__slot_groups(struct stf_slot_group **g)
{
	*g = groups;
	return ngroups;
}

/* Adds one slab to rebuild; -1 (problem reported) past the table's end. */
static int add_group(struct stf_xfer *x, const struct stf_slot_group *g)
{
	if (ngroups == STF_SLOT_GROUPS_MAX) {
		stf__xfail(x, "more than %d slabs whose type grows", STF_SLOT_GROUPS_MAX);
		return -1;
	}
	groups[ngroups++] = *g;
	return 0;
}

/* slot sites found not rebuildable in this transfer, and why */
static const char *refused[STF_SLOT_GROUPS_MAX];
static char refused_why[STF_SLOT_GROUPS_MAX][512];
static size_t nrefused;

/* Forward (in F), for the backward transfer: the rebuilt sites in F's
 * names, F's slab of each and F's allocator. */
static struct stf_slot_kept kept[STF_SLOT_GROUPS_MAX];
static size_t nkept;

void stf__slot_keep(struct stf_xfer *x, const struct stf_slot_group *g)
{
	if (nkept < STF_SLOT_GROUPS_MAX) {
		snprintf(kept[nkept].site, sizeof(kept[nkept].site), "%s",
			 stf__site_dst_id(x, g->site));
		kept[nkept].cache = g->len ? g->dslab : g->darg;
		kept[nkept].value = g->darg;
		kept[nkept].integer = g->integer;
		kept[nkept].sized = g->sized;
		kept[nkept].rank = g->rank;
		kept[nkept++].fn = g->fn;
	}
}

/* Whether the forward transfer rebuilt site `id` (in this version's
 * names) as a size-class allocator's. */
static int kept_sized(const char *id)
{
	for (size_t k = 0; k < nkept; k++)
		if (!strcmp(kept[k].site, id))
			return kept[k].sized;
	return 0;
}

int stf__given_back_cannot_move(struct stf_xfer *x, size_t i, size_t c, uint64_t dsize)
{
	const struct stf_peer *src = x->src;
	const struct stf_obj *o = &src->objs[i];
	const struct stf_meta_unit *u;
	uint32_t idx;
	if (stf_meta_find_site(src->meta, o->id, &u, &idx) < 0 ||
	    !(u->sites[idx].flags & STF_SF_GIVEN_BACK))
		return 0;
	const char *alloc = stf_meta_str(u, u->sites[idx].allocator);
	const char *refusal = stf__slot_refusal(o->id);
	char on[256], cn[256];
	stf__xfail(x, "%s (handed out by %s at offset %" PRIu64 " of %s) takes %" PRIu64
		   " bytes in the %s version instead of %" PRIu64 ", more than its place "
		   "holds, and %s takes its objects back one by one (a size-class "
		   "allocator: its deallocator is called): moved out to a heap block of "
		   "its own, the object would later be given back to %s, which would hand "
		   "that block out again as one of its own slots; %s%s%skeep the type's size "
		   "(new members in spare bytes), or allocate the objects with room to "
		   "spare in the running version first, or restart the program for this "
		   "change", stf__obj_name(o, on, sizeof(on)), alloc,
		   o->addr - src->objs[c].addr, stf__obj_name(&src->objs[c], cn, sizeof(cn)),
		   dsize, x->dir == STF_FORWARD ? "new" : "old", o->size, alloc, alloc,
		   refusal ? "no slot of the new version's class can be given it: " : "",
		   refusal ? refusal : "", refusal ? "; " : "");
	return -1;
}

int stf__slot_chunk_left(const struct stf_xfer *x, size_t i)
{
	return ngroups && x->pair[i].dst == PAIR_NONE && x->pair[i].placed &&
	       (x->src->objs[i].flags & STF_OBJF_CONTAINER);
}

static int slot_site(const struct stf_peer *p, const char *id)
{
	const struct stf_meta_unit *u;
	uint32_t idx;
	return stf_meta_find_site(p->meta, id, &u, &idx) == 0 && (u->sites[idx].flags & STF_SF_SLOT);
}

/* Whether site `id` of p is a slot allocator's (1), or a size-class
 * allocator's (one taking a size that takes its objects back one by one,
 * STF_SF_GIVEN_BACK: slot-classes.c; 2, its name in *alloc); else 0. */
static int rebuildable_site(const struct stf_peer *p, const char *id, const char **alloc)
{
	const struct stf_meta_unit *u;
	uint32_t idx;
	if (stf_meta_find_site(p->meta, id, &u, &idx) < 0)
		return 0;
	if (u->sites[idx].flags & STF_SF_SLOT)
		return 1;
	*alloc = stf_meta_str(u, u->sites[idx].allocator);
	return u->sites[idx].flags & STF_SF_GIVEN_BACK ? 2 : 0;
}

int stf__slab_object(const struct stf_peer *p, const struct stf_obj *o)
{
	const struct stf_meta_unit *u;
	uint32_t idx;
	return o->container && stf_meta_find_site(p->meta, o->id, &u, &idx) == 0 &&
	       (u->sites[idx].flags & (STF_SF_SLOT | STF_SF_GIVEN_BACK));
}

uint64_t stf__slot_dst_size(struct stf_xfer *x, const struct stf_obj *o,
			 const struct stf_meta_unit **du, uint32_t *dt)
{
	*du = NULL;
	*dt = STF_NONE;
	if (stf__peer_site_type(x->dst, stf__site_dst_id(x, o->id), du, dt) < 0 || !*du ||
	    *dt == STF_NONE)
		return 0;
	return stf__dst_size(o, *du, *dt);
}

/* Whether sub-object i, of size dsize in the destination, fits where it
 * is (as subobjects.c converts it in place): in its room
 * (stf__sub_room_end), the bytes it grows into unused (zero). */
static int fits(const struct stf_peer *src, size_t i, uint64_t dsize)
{
	const struct stf_obj *o = &src->objs[i], *co = &src->objs[o->container - 1];
	uint64_t off = o->addr - co->addr;
	if (dsize <= o->size)
		return 1; /* (0: its type is gone, which subobjects.c reports) */
	return off + dsize <= stf__sub_room_end(src, i, co) &&
	       (!co->bytes || stf__all_zero(co->bytes + off + o->size, dsize - o->size));
}

/* Whether the site of source object o is rebuilt in this transfer. */
static int rebuilt(const char *site)
{
	for (size_t g = 0; g < ngroups; g++)
		if (!strcmp(groups[g].site, site))
			return (int)g;
	return -1;
}

const char *stf__slot_refusal(const char *site)
{
	for (size_t k = 0; k < nrefused; k++)
		if (!strcmp(refused[k], site))
			return refused_why[k];
	return NULL;
}

static int was_refused(const char *site)
{
	for (size_t k = 0; k < nrefused; k++)
		if (!strcmp(refused[k], site))
			return 1;
	return 0;
}


/* Whether heap object o holds raw bytes (no type, or chars): a slab's
 * chunk. */
static int raw_bytes(const struct stf_obj *o)
{
	if (!o->unit || o->type == STF_NONE)
		return 1;
	uint32_t t = strip(o->unit, o->type);
	return t < o->unit->ntypes && T(o->unit, t)->size <= 1;
}

/* Marks group g's objects, slab and chunks; -1 (reported) if a chunk
 * also holds objects of other sites. */
static int mark_group(struct stf_xfer *x, size_t gi)
{
	struct stf_peer *src = x->src;
	struct stf_slot_group *g = &groups[gi];
	const struct stf_obj *d = &x->dst->objs[g->dcache];
	char on[256], cn[256];
	for (size_t i = 0; i < src->nobjs; i++) {
		const struct stf_obj *o = &src->objs[i];
		if (!o->container || stf__untyped_sub(o) || strcmp(o->id, g->site))
			continue;
		x->pair[i].moved = SUB_SLOT;
		size_t c = o->container - 1;
		if (x->pair[c].dst == PAIR_NONE)
			continue;
		uint32_t n;
		const struct stf_obj *subs = stf__peer_subs(src, &src->objs[c], &n);
		for (uint32_t k = 0; k < n; k++)
			if (!stf__untyped_sub(&subs[k]) && rebuilt(subs[k].id) < 0) {
				stf__xfail(x, "%s is handed out by the same block (%s) as %s, whose "
				      "type grows: its slab is rebuilt in the %s version, but not "
				      "this object's allocator", stf__obj_name(&subs[k], on, sizeof(on)),
				      stf__obj_name(&src->objs[c], cn, sizeof(cn)), g->site,
				      x->dir == STF_FORWARD ? "new" : "old");
				return -1;
			}
		/* the old allocator's chunk: not carried */
		x->pair[c].dst = PAIR_NONE;
		x->pair[c].placed = 1;
		if (x->dir == STF_FORWARD && stf__slot_state_add(src->objs[c].dyn_id) < 0)
			goto oom;
	}
	/* (a slab that is a member of a static: the static is transferred
	 * as usual, but for the slab's bytes, stf__slot_keep_caches) */
	if (!g->len) {
		x->pair[g->cache] = (struct pairing){ .dst = g->dcache, .dst_addr = d->addr,
						      .same = 1 };
		if (src->objs[g->cache].kind == STF_OBJ_STATIC) {
			/* the reversed version keeps its own: neither zeroed nor written */
			if (!x->dst->self)
				x->img[g->dcache] = NULL;
		} else if (x->dir == STF_FORWARD &&
			   stf__slot_state_add(src->objs[g->cache].dyn_id) < 0) {
			goto oom;
		}
	}
	/* the blocks the old slab points to (its list of chunks; a block of
	 * raw bytes it points into: a chunk its cursor or free list is in,
	 * which holds no object when all were given back), but other slabs (of its
	 * own allocation site) it is linked to: the old allocator's state
	 * too.  A pointer to one from elsewhere fails the update (a dropped
	 * target), never silently. */
	const struct stf_obj *co = &src->objs[g->cache];
	uint64_t start, len;
	for (unsigned r = 0; stf__slot_range(g, &r, &start, &len);) {
		for (uint64_t off = start; off + 8 <= (len ? start + len : co->size); off += 8) {
			uint64_t v;
			if (stf__xfer_src_read(x, co->addr + off, &v, 8) < 0)
				break;
			const struct stf_obj *t = v ? stf__peer_find(src, v) : NULL;
			if (!t || (t->addr != v && !raw_bytes(t)) || t->kind != STF_OBJ_HEAP ||
			    t->container || t == co ||
			    (t->flags & (STF_OBJF_CONTAINER | STF_OBJF_INTERNAL)))
				continue;
			size_t k = (size_t)(t - src->objs);
			if (x->pair[k].dst != PAIR_UNRESOLVED || !strcmp(t->id, co->id))
				continue; /* (another slab, linked to this one: not its state) */
			x->pair[k].dst = PAIR_NONE;
			x->pair[k].placed = 1;
			if (x->dir == STF_FORWARD && stf__slot_state_add(t->dyn_id) < 0)
				goto oom;
		}
	}
	if (g->len) {
		/* the static is transferred from a copy without the old slab's
		 * state (pointers to the chunks left behind), whose bytes the
		 * destination's replace (stf__slot_keep_caches) */
		uint8_t *b = stf__arena_alloc(x->arena, co->size);
		if (!b || stf__xfer_src_read(x, co->addr, b, co->size) < 0)
			goto oom;
		for (unsigned r = 0; stf__slot_range(g, &r, &start, &len);)
			memset(b + start, 0, len);
		src->objs[g->cache].bytes = b;
	}
	return 0;
oom:
	stf__xfail(x, "out of memory");
	return -1;
}

/* Size of the element type of site `site` of peer p (in p's names), 0 if
 * none is known. */
static uint64_t site_type_size(const struct stf_peer *p, const char *site)
{
	const struct stf_meta_unit *u;
	uint32_t t;
	if (stf__peer_site_type(p, site, &u, &t) < 0 || !u || t == STF_NONE)
		return 0;
	t = strip(u, t);
	return t < u->ntypes ? T(u, t)->size : 0;
}

/* Whether source site `site` still has a live object or a recorded cache
 * that is a live object (the same test as group_forward's). */
static int site_has_object(const struct stf_peer *src, const char *site)
{
	for (size_t i = 0; i < src->nobjs; i++)
		if (src->objs[i].container && !strcmp(src->objs[i].id, site))
			return 1;
	return 0;
}

static int site_has_cache(const struct stf_peer *src, const struct stf_slot_args *t,
			  const char *site)
{
	for (uint32_t k = 0; k < STF_SLOT_ARGS_CAP; k++) {
		const struct stf_slot_arg *e = &t->e[k];
		if (!e->site || e->site >= src->nsites || !src->site_ids[e->site] ||
		    strcmp(src->site_ids[e->site], site) || !e->arg)
			continue;
		if (stf__slot_cache_object(src, e->arg ^ STF_SLOT_ARG_MASK))
			return 1;
	}
	return 0;
}

/*
 * Forward: the slot sites of the recorded calls with no object left (all
 * given back: a pooler with no client connected) whose type grows.
 * Nothing is to be moved, but the old slab, carried as it is, would hand
 * out slots of the old size to the new version's grown objects: its slab
 * is paired with the new startup's as for a rebuilt site (its chunks are
 * left behind).  When that cannot be, the update fails naming the site.
 */
static int group_empty_sites(struct stf_xfer *x, const struct stf_slot_args *t)
{
	const struct stf_peer *src = x->src;
	char why[256];
	if (!t)
		return 0; /* another build of libstf: no record to go by */
	for (uint32_t k = 0; k < STF_SLOT_ARGS_CAP; k++) {
		const struct stf_slot_arg *e = &t->e[k];
		if (!e->site || e->site >= src->nsites || !src->site_ids[e->site])
			continue;
		const char *site = src->site_ids[e->site];
		if (rebuilt(site) >= 0 || was_refused(site) || !slot_site(src, site) ||
		    site_has_object(src, site) || !site_has_cache(src, t, site))
			continue;
		uint64_t size = site_type_size(src, site);
		if (!size || site_type_size(x->dst, stf__site_dst_id(x, site)) <= size)
			continue;
		struct stf_slot_group g;
		if (!stf__slot_group_forward(x, t, site, &g, why, sizeof(why))) {
			stf__xfail(x, "the objects of %s grow in the new version and none is live, "
			      "but its slab, made with the old size, cannot be replaced by one "
			      "the new version's startup made: %s", site, why);
			return -1;
		}
		if (add_group(x, &g) < 0)
			return -1;
	}
	return 0;
}

const struct stf_type_rec *stf__slot_allocator_type(const struct stf_peer *src,
						    const struct stf_meta_unit *u, const char *name,
						    const struct stf_meta_unit **fu)
{
	const struct stf_obj *f = NULL;
	size_t n = strlen(name);
	for (size_t i = 0; i < src->nobjs && (!f || f->unit != u); i++) {
		const struct stf_obj *o = &src->objs[i];
		size_t l = strlen(o->id);
		if (o->kind == STF_OBJ_FUNC && o->unit && l >= n && !strcmp(o->id + l - n, name) &&
		    (l == n || o->id[l - n - 1] == ':'))
			f = o;
	}
	if (!f || f->type >= f->unit->ntypes)
		return NULL;
	const struct stf_type_rec *ft = T(f->unit, strip(f->unit, f->type));
	*fu = f->unit;
	return ft->kind == STF_K_FUNCTION ? ft : NULL;
}

/* Whether slot allocator `name` (called at a site of unit u) takes an
 * argument choosing its slab (slab_alloc(struct slab *), or an index into
 * caches in its statics whose sizes the startup set: obj_alloc(int)): by
 * the type of its function object; 1 when not known (no such object is
 * listed: defined in a file of its own, as libusual's), so taken to.  An
 * allocator taking no argument has one slab of its own (slab_alloc(void),
 * t/xfer/subobj), sized by its code. */
static int allocator_takes_cache(const struct stf_peer *src, const struct stf_meta_unit *u,
				 const char *name)
{
	const struct stf_meta_unit *fu;
	const struct stf_type_rec *ft = stf__slot_allocator_type(src, u, name, &fu);
	return !ft || ft->nmembers > 0;
}

/* The source address of the slab idle site idx of unit u passes: read,
 * now, from the static its call reads it from, along the path the plugin
 * recorded (STF_SF_SLAB_STATIC: slab_alloc(server_cache), slab_alloc(
 * srv.cache), slab_alloc(srv->pools[2])); 0 if none, or a pointer on the
 * way is 0 or unreadable. */
static uint64_t idle_site_slab(struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t idx)
{
	const struct stf_site_rec *r = &u->sites[idx];
	if (!(r->flags & STF_SF_SLAB_STATIC))
		return 0;
	const char *id = stf_meta_str(u, r->slab), *path = stf_meta_str(u, r->slab_path);
	const struct stf_obj *o = NULL;
	for (size_t i = 0; id && i < x->src->nobjs && !o; i++)
		if (x->src->objs[i].kind == STF_OBJ_STATIC && !strcmp(x->src->objs[i].id, id))
			o = &x->src->objs[i];
	if (!o || !path || !*path)
		return 0;
	uint64_t at = o->addr, v = 0;
	for (const char *p = path; *p; at = v) {
		char *end;
		long long off = strtoll(p, &end, 10);
		/* (the first offset: within the static) */
		if (end == p || (*end && *end != ',') ||
		    (p == path && (off < 0 || (uint64_t)off + sizeof(v) > o->size)) ||
		    stf__xfer_src_read(x, at + (uint64_t)off, &v, sizeof(v)) < 0 || !v)
			return 0;
		p = *end ? end + 1 : end;
	}
	return v;
}

/* Whether slab `cache` (source address) is rebuilt in this transfer for
 * another site (its live objects', or its recorded calls'). */
static int slab_rebuilt(const struct stf_xfer *x, uint64_t cache)
{
	for (size_t g = 0; g < ngroups; g++)
		if (!groups[g].sized && !groups[g].integer &&
		    x->src->objs[groups[g].cache].addr + groups[g].off == cache)
			return 1;
	return 0;
}

/*
 * Forward: idle site `site` passes the value of a static as its slab,
 * `cache`: that slab, already rebuilt for a live site passing the same
 * static, or rebuilt here with nothing to move (as group_empty_sites).
 * 0, or -1 (rollback naming the site, the static's slab and why).
 */
static int pair_idle_site(struct stf_xfer *x, const char *site, uint64_t cache)
{
	struct stf_slot_group g;
	char why[256];
	if (slab_rebuilt(x, cache))
		return 0;
	if (!stf__slot_group_of_cache(x, site, cache, 0, &g, why, sizeof(why))) {
		stf__xfail(x, "the objects of %s grow in the new version and its allocator was "
			   "never called there, but the slab the static it passes points to, "
			   "made with the old size, cannot be replaced by one the new version's "
			   "startup made: %s", site, why);
		return -1;
	}
	return add_group(x, &g);
}

/*
 * Forward: a slot site whose allocator takes an argument choosing its
 * slab and was never called there (no record of it: a pooler no client ever
 * connected to), whose type grows, with no object.  When its call reads
 * its slab from a static through constant offsets (the plugin records
 * the path, STF_SF_SLAB_STATIC), what that path leads to now is its slab,
 * paired with the new startup's (pair_idle_site).
 * Else which slab it hands out of is not known, so that slab, made with
 * the old size, cannot be paired with the new startup's: carried, it
 * would hand out slots too small.  -1 (rollback naming the site) if
 * there is one.
 */
static int refuse_idle_sites(struct stf_xfer *x, const struct stf_slot_args *t)
{
	const struct stf_peer *src = x->src;
	for (size_t s = 0; s < src->nsites; s++) {
		const char *site = src->site_ids[s];
		const struct stf_meta_unit *u;
		uint32_t idx;
		if (!site || stf_meta_find_site(src->meta, site, &u, &idx) < 0 ||
		    !(u->sites[idx].flags & STF_SF_SLOT) || rebuilt(site) >= 0 ||
		    was_refused(site) || site_has_object(src, site))
			continue;
		uint32_t k = 0;
		while (k < STF_SLOT_ARGS_CAP && (!t->e[k].site || t->e[k].site >= src->nsites ||
		       !src->site_ids[t->e[k].site] || strcmp(src->site_ids[t->e[k].site], site)))
			k++;
		uint64_t size = site_type_size(src, site);
		const char *alloc = stf_meta_str(u, u->sites[idx].allocator);
		if (k < STF_SLOT_ARGS_CAP || !size ||
		    site_type_size(x->dst, stf__site_dst_id(x, site)) <= size ||
		    !allocator_takes_cache(src, u, alloc))
			continue;
		uint64_t cache = idle_site_slab(x, u, idx);
		if (cache) {
			if (pair_idle_site(x, site, cache) < 0)
				return -1;
			continue;
		}
		stf__xfail(x, "the objects of %s grow in the new version, but its allocator was "
			   "never called with a slab of its own: %s takes an argument choosing "
			   "the slab they come from and was never called there, so which slab (made "
			   "with the old size, its slots too small for them) is not known and it "
			   "cannot be replaced by one the new version's startup made; call %s "
			   "once before the update (at startup, then give the object back), or "
			   "keep the type's size, or restart the program for this change",
			   site, alloc, alloc);
		return -1;
	}
	return 0;
}

/* Forward: the sites of a size-class allocator whose objects share a
 * chunk with those of a rebuilt site of the same allocator (one page
 * carved for every struct of a slot size: entries, lists, strings), also
 * rebuilt: the chunk is the old allocator's state and is left behind, so
 * each of its objects gets a slot of the new version's, of its size. */
static int group_chunk_mates(struct stf_xfer *x)
{
	struct stf_peer *src = x->src;
	char why[512];
	for (size_t gi = 0; gi < ngroups; gi++) {
		if (!groups[gi].sized)
			continue;
		uint32_t last = 0; /* (the container last seen, + 1) */
		for (size_t i = 0; i < src->nobjs; i++) {
			const struct stf_obj *o = &src->objs[i];
			if (!o->container || o->container == last || strcmp(o->id, groups[gi].site))
				continue;
			last = o->container;
			uint32_t n;
			const struct stf_obj *subs = stf__peer_subs(src, &src->objs[o->container - 1], &n);
			for (uint32_t k = 0; k < n; k++) {
				const char *alloc = NULL;
				struct stf_slot_group g;
				/* (its objects given back or not: the chunk goes) */
				if (stf__untyped_sub(&subs[k]) || rebuilt(subs[k].id) >= 0 ||
				    was_refused(subs[k].id) ||
				    rebuildable_site(src, subs[k].id, &alloc) == 1 || !alloc)
					continue;
				if (!stf__slot_group_sized(x, subs[k].id, alloc, &g, why, sizeof(why)) ||
				    g.fn != groups[gi].fn) {
					/* (mark_group refuses the chunk, naming it) */
					if (nrefused < STF_SLOT_GROUPS_MAX) {
						snprintf(refused_why[nrefused], sizeof(refused_why[nrefused]),
							 "%s", g.fn != groups[gi].fn ? "another allocator" : why);
						refused[nrefused++] = subs[k].id;
					}
					continue;
				}
				if (add_group(x, &g) < 0)
					return -1;
			}
		}
	}
	return 0;
}

/* Backward: the sites the forward transfer rebuilt with no object to
 * move (group_empty_sites): their slabs are paired the same way. */
static int group_kept_sites(struct stf_xfer *x)
{
	char why[256];
	for (size_t k = 0; k < nkept; k++) {
		if (rebuilt(kept[k].site) >= 0 || kept[k].sized)
			continue; /* (a size-class allocator's: rebuilt for its objects) */
		struct stf_slot_group g;
		if (!stf__slot_group_backward(x, &kept[k], kept[k].site, &g, why, sizeof(why))) {
			stf__xfail(x, "slab of %s: %s", kept[k].site, why);
			return -1;
		}
		if (add_group(x, &g) < 0)
			return -1;
	}
	return 0;
}

/* The past version's table of slot allocator arguments, its magic 0 when
 * it cannot be read; NULL (problem reported) without memory. */
static struct stf_slot_args *slot_table(struct stf_xfer *x)
{
	struct stf_slot_args *t = stf__raw_malloc(sizeof(*t));
	if (!t) {
		stf__xfail(x, "out of memory");
		return NULL;
	}
	if (stf__slot_read_table(x, t) < 0)
		t->magic = 0;
	return t;
}

int stf__plan_slots(struct stf_xfer *x)
{
	struct stf_peer *src = x->src;
	struct stf_slot_args *table = NULL;
	int rc = -1;
	char why[512];

	ngroups = 0;
	nrefused = 0;
	if (x->dir == STF_FORWARD) {
		nkept = 0;
		stf__slot_state_clear();
	}
	for (size_t i = 0; i < src->nobjs; i++) {
		const struct stf_obj *o = &src->objs[i];
		if (!o->container || stf__untyped_sub(o) || rebuilt(o->id) >= 0 ||
		    was_refused(o->id))
			continue;
		const char *alloc = NULL;
		int kind = rebuildable_site(src, o->id, &alloc);
		/* (a chunk mate the forward transfer rebuilt, none given back) */
		if (!kind && x->dir == STF_BACKWARD && alloc && kept_sized(o->id))
			kind = 2;
		const char *sized = kind == 2 ? alloc : NULL;
		if (!kind)
			continue;
		struct stf_slot_group g;
		int ok;
		if (x->dir == STF_FORWARD) {
			const struct stf_meta_unit *du;
			uint32_t dt;
			if (fits(src, i, stf__slot_dst_size(x, o, &du, &dt)))
				continue; /* converted in place (subobjects.c) */
			if (sized) {
				ok = stf__slot_group_sized(x, o->id, sized, &g, why, sizeof(why));
			} else {
				if (!table && !(table = slot_table(x)))
					goto out;
				ok = stf__slot_group_forward(x, table->magic ? table : NULL, o->id, &g,
						   why, sizeof(why));
			}
		} else {
			size_t k = 0;
			while (k < nkept && strcmp(kept[k].site, o->id))
				k++;
			if (k == nkept)
				continue;
			if (kept[k].sized && sized)
				ok = stf__slot_group_sized(x, o->id, sized, &g, why, sizeof(why));
			else
				ok = stf__slot_group_backward(x, &kept[k], o->id, &g, why, sizeof(why));
		}
		if (!ok) {
			if (x->dir == STF_BACKWARD) {
				stf__xfail(x, "slab of %s: %s", o->id, why);
				goto out;
			}
			if (nrefused < STF_SLOT_GROUPS_MAX) {
				snprintf(refused_why[nrefused], sizeof(refused_why[nrefused]), "%s",
					 why);
				refused[nrefused++] = o->id;
			}
			continue; /* subobjects.c refuses what does not fit */
		}
		if (add_group(x, &g) < 0)
			goto out;
	}
	if (x->dir == STF_FORWARD) {
		if (!table && !(table = slot_table(x)))
			goto out;
		if (group_chunk_mates(x) < 0 ||
		    group_empty_sites(x, table->magic ? table : NULL) < 0 ||
		    (table->magic && refuse_idle_sites(x, table) < 0))
			goto out;
	} else if (group_kept_sites(x) < 0) {
		goto out;
	}
	for (size_t gi = 0; gi < ngroups; gi++)
		if (mark_group(x, gi) < 0)
			goto out;
	rc = 0;
out:
	stf__raw_free(table);
	return rc;
}
