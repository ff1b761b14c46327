/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slot-pair.c - a rebuilt slab's pairing with the destination's own
 * (slots.c decides which slabs are rebuilt): from the old version's
 * record of its allocator's arguments (forward) or what the forward
 * transfer kept (backward), the slab each site's objects come from and
 * the destination's startup object, static or member that stands for it.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "alloc.h"
#include "engine.h"
#include "remote.h"
#include "scratch.h"
#include "slots.h"
#include "xfer.h"
#include "../runtime/slots.h"

/*
 * The past version's table of slot allocator arguments (runtime/slots.h),
 * at the same distance from the start of its libstf.so as ours from ours
 * when it maps the same file: 0, or -1 when it cannot be read (another
 * build of libstf).
 */
int stf__slot_read_table(struct stf_xfer *x, struct stf_slot_args *t)
{
	Dl_info self;
	struct stat st;
	if (!dladdr(&stf__slot_args, &self) || !self.dli_fname || stat(self.dli_fname, &st) < 0)
		return -1;
	uint64_t off = (uint64_t)(uintptr_t)&stf__slot_args - (uint64_t)(uintptr_t)self.dli_fbase;
	/* as /proc/PID/maps shows the device (libraries.c) */
	uint64_t dev = (uint64_t)major(st.st_dev) << 20 | minor(st.st_dev);
	for (size_t i = 0; i < x->src->nlibs; i++) {
		const struct stf_peer_lib *l = &x->src->libs[i];
		if (l->dev != dev || l->ino != (uint64_t)st.st_ino)
			continue;
		if (stf__peer_read(x->src, l->bias + off, t, sizeof(*t)) < 0 ||
		    t->magic != STF_SLOT_ARGS_MAGIC)
			return -1;
		return 0;
	}
	return -1;
}

/* Rank of heap object i of p among p's heap objects of site `site` (its
 * own, or the destination's name of it) in order of allocation (dynamic
 * ID): the k-th slab a program's startup makes at a site is the k-th in
 * every version. */
static size_t site_rank(const struct stf_peer *p, size_t i, const char *site)
{
	size_t k = 0;
	for (size_t j = 0; j < p->nobjs; j++)
		k += p->objs[j].kind == STF_OBJ_HEAP && !p->objs[j].container &&
		     !(p->objs[j].flags & STF_OBJF_INTERNAL) &&
		     p->objs[j].dyn_id < p->objs[i].dyn_id && !strcmp(p->objs[j].id, site);
	return k;
}

/* The rank-th heap object of the destination of site dsite. */
static int64_t startup_object(struct stf_xfer *x, const char *dsite, size_t rank)
{
	for (size_t j = 0; j < x->dst->nobjs; j++) {
		const struct stf_obj *d = &x->dst->objs[j];
		if (d->kind == STF_OBJ_HEAP && !(d->flags & STF_OBJF_INTERNAL) && !d->container &&
		    !strcmp(d->id, dsite) && site_rank(x->dst, j, dsite) == rank)
			return (int64_t)j;
	}
	return -1;
}

/* The destination's address of the allocator of source slot site
 * `site`, source function object f (NULL if its address is taken in no
 * unit of its own, as when it is defined in another file than its
 * callers): by function ID, else by the allocator's name in the
 * destination's executable; 0 if none. */
static uint64_t dst_function(struct stf_xfer *x, const char *site, const struct stf_obj *f)
{
	uint64_t j;
	const struct stf_meta_unit *u;
	uint32_t idx;
	if (f && f->kind == STF_OBJ_FUNC) {
		const char *id = x->renames ? stf__rename(STF_RENAME_OBJECT, f->id, x->dir) : f->id;
		if (stf__strmap_get(&x->dst_ids, id, &j) == 0 && x->dst->objs[j].kind == STF_OBJ_FUNC)
			return x->dst->objs[j].addr;
	}
	if (stf_meta_find_site(x->src->meta, site, &u, &idx) < 0)
		return 0;
	return stf__peer_symbol_addr(x->dst, NULL, stf_meta_str(u, u->sites[idx].allocator));
}

/* The object of a recorded cache argument: a heap object or a static
 * that is the slab, or that the slab is a member of
 * (slab_alloc(&srv.conns), slab_alloc(&srvp->conns)); NULL if none
 * (freed since, or inside an object handed out by an allocator). */
const struct stf_obj *stf__slot_cache_object(const struct stf_peer *src, uint64_t cache)
{
	const struct stf_obj *c = stf__peer_find(src, cache);
	if (!c || (c->kind != STF_OBJ_HEAP && c->kind != STF_OBJ_STATIC) || c->container)
		return NULL;
	return c;
}

/* Backward: the reversed version's startup object of the site of F's
 * heap object c (its name there) and rank, added to the destination's
 * objects (F's entry at R's address); its index, or -1 (why). */
static int64_t remote_startup_object(struct stf_xfer *x, const struct stf_obj *c, uint32_t rank,
				     char *why, size_t whylen)
{
	/* the reversed version's catalog has no heap objects: it finds its
	 * own itself */
	uint8_t *buf = stf__scratch(SCRATCH_SLAB_FIND);
	const char *dsite = stf__site_dst_id(x, c->id);
	uint32_t sl = (uint32_t)strlen(dsite), type, len;
	uint64_t addr;
	if (!buf) {
		snprintf(why, whylen, "no memory for a transfer message buffer");
		return -1;
	}
	if (sl + 4 > MSG_MAX) {
		snprintf(why, whylen, "site ID too long");
		return -1;
	}
	memcpy(buf, &rank, 4);
	memcpy(buf + 4, dsite, sl);
	if (stf__msg_send(x->conn, M_SLAB_FIND, buf, 4 + sl) < 0 ||
	    stf__msg_recv(x->conn, &type, buf, &len) < 0 ||
	    (type != M_ADDRS && type != M_ERROR) || (type == M_ADDRS && len != 8)) {
		snprintf(why, whylen, "connection to the reversed version lost");
		return -1;
	}
	if (type == M_ERROR) {
		snprintf(why, whylen, "%.*s", (int)(len < 200 ? len : 200), (const char *)buf);
		return -1;
	}
	memcpy(&addr, buf, 8);
	struct stf_obj d = *c;
	d.addr = addr;
	d.bytes = NULL;
	d.flags &= (uint8_t)~STF_OBJF_OWN;
	int64_t j = stf__dst_add(x, &d);
	if (j < 0)
		snprintf(why, whylen, "out of memory");
	return j;
}

/*
 * Group g's slab is a member of heap object g->cache (slab_alloc(
 * &srvp->conns)), of rank g->rank at its site: the object is
 * transferred into the destination's startup object of its site and
 * rank, whose member keeps the slab its startup made (as a static's
 * does, slot-members.c), instead of into a block of its own; it takes
 * the object's identity (slot-place.c, and the reversed version's
 * stf__serve_slots).  1, or 0 (why).
 */
static int pair_startup_object(struct stf_xfer *x, struct stf_slot_group *g, char *why,
			       size_t whylen)
{
	const struct stf_obj *c = &x->src->objs[g->cache];
	const struct stf_meta_unit *du;
	uint32_t dt;
	int64_t j = x->dir == STF_FORWARD ? startup_object(x, stf__site_dst_id(x, c->id), g->rank) :
		    remote_startup_object(x, c, g->rank, why, whylen);
	if (j < 0) {
		if (x->dir == STF_FORWARD)
			snprintf(why, whylen, "its allocator's slab is a member of the heap object "
				 "%s, and the new version's startup made no object of its site to "
				 "hold the slab it allocates from (make it at every start, also "
				 "when stf_is_updating())", c->id);
		return 0;
	}
	struct stf_obj *d = &x->dst->objs[j];
	uint64_t size = stf__slot_dst_size(x, c, &du, &dt);
	if (x->dir == STF_BACKWARD && size) { /* (F's entry: R's type) */
		d->unit = du;
		d->type = dt;
		d->size = size;
	}
	if (!d->unit || size != d->size) {
		snprintf(why, whylen, "its allocator's slab is a member of the heap object %s, "
			 "whose type in the %s version's startup object (%" PRIu64 " bytes) is "
			 "not the one its site gives it", c->id,
			 x->dir == STF_FORWARD ? "new" : "old", d->size);
		return 0;
	}
	x->img[j] = x->dst->self ? (uint8_t *)(uintptr_t)d->addr :
		    stf__arena_alloc(x->arena, d->size ? d->size : 1);
	if (!x->img[j]) {
		snprintf(why, whylen, "out of memory");
		return 0;
	}
	x->pair[g->cache] = (struct pairing){
		.dst = j, .dst_addr = d->addr, .scheduled = 1,
		.same = T(c->unit, strip(c->unit, c->type))->hash == T(du, strip(du, dt))->hash &&
			c->size == d->size };
	x->rep->dynamic_objects++;
	return 1;
}

/* Group g's slab is a member of object g->cache, a static or a heap
 * object (paired with the destination's startup object): its place
 * there (stf__slot_member_slab).  1, or 0 (why; a heap object unpaired
 * again). */
static int member_slab(struct stf_xfer *x, struct stf_slot_group *g, const struct stf_obj *f,
		       char *why, size_t whylen)
{
	if (x->src->objs[g->cache].kind != STF_OBJ_HEAP)
		return stf__slot_member_slab(x, g, f, why, whylen);
	if (!pair_startup_object(x, g, why, whylen))
		return 0;
	if (stf__slot_member_slab(x, g, f, why, whylen))
		return 1;
	x->img[x->pair[g->cache].dst] = NULL;
	x->pair[g->cache] = (struct pairing){ .dst = PAIR_UNRESOLVED };
	x->rep->dynamic_objects--;
	return 0;
}

/*
 * Forward: the group of slot site `site` (source object i is one of its
 * objects) from the recorded calls; 1 if it can be rebuilt, 0 if not
 * (why in `why`: the rollback of subobjects.c then says the rest).
 */
int stf__slot_group_forward(struct stf_xfer *x, const struct stf_slot_args *t, const char *site,
			    struct stf_slot_group *g, char *why, size_t whylen)
{
	const struct stf_peer *src = x->src;
	const struct stf_obj *in_heap = NULL;
	uint64_t arg = 0, fn = 0, value = 0;
	size_t nargs = 0, nints = 0;
	char cn[256];
	memset(g, 0, sizeof(*g));
	if (!t) {
		snprintf(why, whylen, "the old version's record of its slab arguments cannot be "
			 "read (another build of libstf)");
		return 0;
	}
	for (uint32_t k = 0; k < STF_SLOT_ARGS_CAP; k++) {
		const struct stf_slot_arg *e = &t->e[k];
		if (!e->site || e->site >= src->nsites || !src->site_ids[e->site] ||
		    strcmp(src->site_ids[e->site], site))
			continue;
		if (e->flags & STF_SLOT_ARG_INT) {
			if (!nints || value != e->arg)
				nints++;
			value = e->arg;
			fn = e->fn;
			continue;
		}
		uint64_t cache = e->arg ? e->arg ^ STF_SLOT_ARG_MASK : 0;
		if (cache && !stf__slot_cache_object(src, cache)) {
			const struct stf_obj *c = stf__peer_find(src, cache);
			if (c && c->kind == STF_OBJ_HEAP)
				in_heap = c;
			continue; /* a slab freed since, or inside a slot */
		}
		if (!nargs || arg != cache)
			nargs++;
		arg = cache;
		fn = e->fn;
	}
	if (t->lost) {
		snprintf(why, whylen, "the old version's record of slab arguments is full");
		return 0;
	}
	if (nints) {
		const struct stf_obj *f = stf__peer_find(src, fn);
		g->site = site;
		g->fn = dst_function(x, site, f && f->addr == fn ? f : NULL);
		if (nints > 1 || nargs) {
			snprintf(why, whylen, "its allocator was called with several slabs "
				 "(integers choosing them)");
			return 0;
		}
		if (!g->fn) {
			snprintf(why, whylen, "its allocator is not a function of the new version");
			return 0;
		}
		return stf__slot_chosen_slab(x, site, value, g, why, whylen);
	}
	if (nargs != 1 || !arg) {
		if (nargs > 1)
			snprintf(why, whylen, "its allocator was called with several slabs");
		else if (in_heap)
			snprintf(why, whylen, "its allocator's slab is a member of %.60s, a slot "
				 "of another allocator, which no object of the new version's startup "
				 "stands for (make the slab a member of a static or heap object of "
				 "its own)", stf__obj_name(in_heap, cn, sizeof(cn)));
		else
			snprintf(why, whylen, "its allocator's slab is not an object of its own "
				 "(none, or one inside another object)");
		return 0;
	}
	return stf__slot_group_of_cache(x, site, arg, fn, g, why, whylen);
}

int stf__slot_group_of_cache(struct stf_xfer *x, const char *site, uint64_t arg, uint64_t fn,
			     struct stf_slot_group *g, char *why, size_t whylen)
{
	const struct stf_peer *src = x->src;
	const struct stf_obj *c = stf__slot_cache_object(src, arg), *f = stf__peer_find(src, fn);
	memset(g, 0, sizeof(*g));
	if (!c) {
		snprintf(why, whylen, "its allocator's slab is not an object of its own "
			 "(none, or one inside another object)");
		return 0;
	}
	g->site = site;
	g->cache = (size_t)(c - src->objs);
	g->off = arg - c->addr;
	g->len = 0;
	g->integer = 0;
	g->fn = dst_function(x, site, f && f->addr == fn ? f : NULL);
	if (!g->fn) {
		snprintf(why, whylen, "its allocator is not a function of the new version");
		return 0;
	}
	g->rank = (uint32_t)site_rank(src, g->cache, c->id);
	if (g->off)
		return member_slab(x, g, f && f->addr == fn ? f : NULL, why, whylen);
	g->darg = 0;
	if (c->kind == STF_OBJ_STATIC) {
		/* a static slab: the new version's own, as its startup set it */
		g->dcache = x->pair[g->cache].dst;
		const struct stf_obj *d = g->dcache >= 0 ? &x->dst->objs[g->dcache] : NULL;
		if (!d || stf__all_zero((const uint8_t *)(uintptr_t)d->addr, d->size)) {
			snprintf(why, whylen, "the new version's startup left its slab %s unset "
				 "(set it up at every start, also when stf_is_updating())", c->id);
			return 0;
		}
		g->darg = d->addr;
		return 1;
	}
	g->dcache = startup_object(x, stf__site_dst_id(x, c->id), g->rank);
	if (g->dcache < 0) {
		snprintf(why, whylen, "the new version's startup made no slab of %s to allocate "
			 "from (create the slab at every start, also when stf_is_updating())",
			 c->id);
		return 0;
	}
	g->darg = x->dst->objs[g->dcache].addr;
	return 1;
}

/* Backward: the group of rebuilt site `site` (F's name) from what the
 * forward transfer kept. */
int stf__slot_group_backward(struct stf_xfer *x, const struct stf_slot_kept *kept,
			     const char *site, struct stf_slot_group *g, char *why,
			     size_t whylen)
{
	memset(g, 0, sizeof(*g));
	const struct stf_peer *src = x->src;
	const struct stf_obj *c = stf__peer_find(src, kept->cache);
	const struct stf_obj *f = stf__peer_find(src, kept->fn);
	if (!c || c != stf__slot_cache_object(src, kept->cache)) {
		snprintf(why, whylen, "the slab the forward transfer used is gone");
		return 0;
	}
	g->site = site;
	g->cache = (size_t)(c - src->objs);
	g->off = kept->cache - c->addr;
	g->len = 0;
	g->fn = dst_function(x, site, f && f->addr == kept->fn ? f : NULL);
	if (!g->fn) {
		snprintf(why, whylen, "its allocator is not a function of the old version");
		return 0;
	}
	g->integer = kept->integer;
	if (g->integer) {
		uint64_t start;
		stf__slot_element_at(c, g->off, &start, &g->len);
		g->darg = kept->value;
		return start == g->off && stf__slot_member_of_static(x, g, why, whylen);
	}
	g->rank = kept->rank;
	if (g->off)
		return member_slab(x, g, f && f->addr == kept->fn ? f : NULL, why, whylen);
	if (c->kind == STF_OBJ_STATIC) {
		/* the reversed version's own static slab, paired by ID */
		g->dcache = x->pair[g->cache].dst;
		if (g->dcache < 0) {
			snprintf(why, whylen, "the old version has no static %s", c->id);
			return 0;
		}
		g->darg = x->dst->objs[g->dcache].addr;
		return 1;
	}
	g->dcache = remote_startup_object(x, c, g->rank, why, whylen);
	if (g->dcache < 0)
		return 0;
	g->darg = x->dst->objs[g->dcache].addr;
	return 1;
}
