/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inplace.c - the old version's objects transferred into the new
 * startup's own, in place (DESIGN.md, "Chained updates"; MCR's mutable
 * reinitialization).
 *
 * The new version's startup runs before its update point and builds
 * objects the program then keeps in places the transfer does not write:
 * a parameter or a local of a frame below the point (nginx's
 * ngx_single_process_cycle(cycle) and main's `cycle`), registers, its own
 * objects.  The transfer points the statics to copies of the old
 * version's objects, so such a program would go on running on two sets
 * of state, the startup's where it kept its own pointers, and every
 * update would leave the startup's objects behind, reachable.
 *
 * So, forward only, before the heap objects are allocated: where a static
 * of the old version (of an unchanged layout) points into heap block O,
 * and the same word of its new counterpart points into a heap block N the
 * new startup allocated, at the same offset, at the allocation site O's
 * site becomes, with exactly the size O takes in the new version, O is
 * transferred into N: N takes O's dynamic ID (the way back and the next
 * update pair it as O), loses its sub-objects and its contents (the
 * objects only they reached become unreachable and are freed with the
 * other startup objects, startup.c, and the descriptors only they
 * named are closed) and is O's destination, so every pointer to O is
 * relocated to N and every reference the startup kept sees the
 * transferred state.  Each N takes one O.
 *
 * Only heap blocks of instrumented sites are considered (a library's
 * blocks follow its own data, libraries.c), and only those the rest of
 * the plan left to be allocated: not an untyped block kept at its
 * address, a slab's, a sub-object alone.  Nor a block holding an event
 * on the active queue of a libevent base the new version parked inside
 * the loop of (evloop.c): libevent goes on down that queue after the
 * commit, so the block keeps the startup's bytes.
 *
 * A pool's block is such an untyped block: the words of its header point
 * into it, so it keeps its address, and a static pointing to an object
 * the pool handed out (nginx's ngx_cycle, its cycle carved out of the
 * cycle's pool) cannot take the startup's block.  Then the sub-object
 * itself is transferred in place: where the old object O the static
 * points to and the startup's object N the same word points to are typed
 * sub-objects of the same site, at the same offset, O of N's size and
 * kept where it is by no untyped word, N takes O's dynamic ID and is O's
 * destination, and the rest of N's block (the startup pool's header and
 * its other objects) is zeroed and its sub-objects forgotten: the
 * startup's objects only they reached are freed, its descriptors only
 * they named closed, and the block is state from now on, holding O
 * alone (stf__inplace_holder).  The old block keeps its address with O's
 * bytes left in it, as a sub-object moved alone (subobjects.c); the way
 * back moves O out of the block, which is the new startup's own
 * (subobjects.c).  At the next update the block holds nothing but O and
 * zeros, no untyped word points into it, so it goes into that update's
 * startup block whole: chained updates stay flat.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "evloop.h"
#include "inplace.h"
#include "remote.h"
#include "subobjects.h"

/* Statics are looked at up to this size: a pointer that stands for a
 * run's whole state is a variable of its own or a member of a small
 * struct, not an element of a large table. */
#define INPLACE_MAX_STATIC 4096

/* What the startup blocks held before they were overwritten: the
 * descriptors the startup opened and kept only there are closed after
 * the transfer (startup.c), as those of the startup blocks it frees. */
struct dropped {
	uint8_t *bytes;
	uint64_t size;
};
static struct dropped *dropped;
static size_t ndropped, dropped_cap;

/* Old block o keeps its address (pinned) instead of going into the
 * startup's block n the same static word points to.  A local of the new
 * version that receives nothing (its thread parked elsewhere in the old
 * version, thread-pairs.c) and points into n would keep running on the
 * startup's object while the statics hold the old one: two sets of state
 * (memcached's workers' `me` into the startup's threads array, the main
 * thread handing connections to the old array's bases and pipes).  The
 * update is refused, naming the local, the object and why it keeps its
 * address; received marks the new version's objects that receive one. */
static void refuse_split(struct stf_xfer *x, const uint8_t *received, const struct stf_obj *o,
			 const struct stf_obj *n, const char *from)
{
	size_t i = (size_t)(o - x->src->objs), f;
	uint64_t at;
	char on[256], ln[256], why[256], holder[256];

	if (!x->pair[i].pinned || ((o->flags | n->flags) & (STF_OBJF_INTERNAL | STF_OBJF_EXTERNAL)))
		return; /* a library's block follows its data */
	for (size_t j = 0; j < x->dst->nobjs; j++) {
		const struct stf_obj *l = &x->dst->objs[j];
		uint64_t hit = 0;
		if (l->kind != STF_OBJ_LOCAL || received[j])
			continue;
		for (uint64_t off = (8 - l->addr % 8) % 8; !hit && off + 8 <= l->size; off += 8) {
			uint64_t v;
			memcpy(&v, (const void *)(uintptr_t)(l->addr + off), 8);
			hit = v - n->addr < n->size ? v : 0;
		}
		if (!hit)
			continue;
		if (x->pair[i].pinned == STF_PIN_KEY)
			stf__addr_key_why(x, i, why, sizeof(why), NULL, 0);
		else if (stf__pin_origin(x, i, &f, &at))
			snprintf(why, sizeof(why), "offset %" PRIu64 " of %s, no typed pointer, "
				 "points into it", at,
				 stf__obj_name(&x->src->objs[f], holder, sizeof(holder)));
		else
			snprintf(why, sizeof(why), "pinned");
		x->failed = 0; /* each local is a problem of its own */
		stf__xfail(x, "%s: the new version's local (its thread parked elsewhere in the "
			   "old version, so it keeps its value) points into its startup's block at "
			   "0x%" PRIx64 ", but the old version's %s (from %s) keeps its address "
			   "instead of going into it (%s): the new version would run on two sets "
			   "of state", stf__obj_name(l, ln, sizeof(ln)), n->addr,
			   stf__obj_name(o, on, sizeof(on)), from, why);
	}
}

/* The startup's blocks a sub-object went into, which are state now. */
#define MAX_HOLDERS 16
static uint64_t holders[MAX_HOLDERS];
static size_t nholders;

int stf__inplace_holder(uint64_t addr)
{
	for (size_t k = 0; k < nholders; k++)
		if (holders[k] == addr)
			return 1;
	return 0;
}

static void keep_dropped(const struct stf_obj *n)
{
	if (ndropped == dropped_cap) {
		size_t cap = dropped_cap ? 2 * dropped_cap : 16;
		struct dropped *nd = stf__raw_realloc(dropped, cap * sizeof(*nd));
		if (!nd)
			return; /* its descriptors stay open: never closed on a guess */
		dropped = nd;
		dropped_cap = cap;
	}
	uint8_t *copy = stf__raw_malloc(n->size);
	if (!copy)
		return;
	memcpy(copy, (const void *)(uintptr_t)n->addr, n->size);
	dropped[ndropped++] = (struct dropped){ copy, n->size };
}

void stf__inplace_dropped_each(void (*fn)(void *ctx, const uint8_t *bytes, uint64_t size),
			       void *ctx)
{
	for (size_t k = 0; k < ndropped; k++)
		fn(ctx, dropped[k].bytes, dropped[k].size);
}

int stf__inplace_dropped_any(void)
{
	return ndropped != 0;
}

void stf__inplace_release(void)
{
	for (size_t k = 0; k < ndropped; k++)
		stf__raw_free(dropped[k].bytes);
	stf__raw_free(dropped);
	dropped = NULL;
	ndropped = dropped_cap = 0;
	nholders = 0;
}

/* The block (not a sub-object) of p holding addr, NULL if none. */
static const struct stf_obj *block_at(const struct stf_peer *p, uint64_t addr)
{
	const struct stf_obj *o = stf__peer_find(p, addr);
	while (o && o->container)
		o = &p->objs[o->container - 1];
	if (!o || o->kind != STF_OBJ_HEAP || addr - o->addr >= o->size)
		return NULL;
	return o;
}

/* The size old block o takes in the destination at site dsite, with its
 * element type there (NULL: copied as bytes); 0 if that is not known. */
static uint64_t dst_block_size(struct stf_xfer *x, size_t i, const char *dsite,
			       const struct stf_meta_unit **du, uint32_t *dt)
{
	const struct stf_obj *o = &x->src->objs[i];

	*du = NULL;
	*dt = STF_NONE;
	if (x->resize && x->resize[i])
		return x->resize[i];
	if (!o->unit)
		return o->size; /* a container's or an untyped block's bytes */
	if (stf__peer_site_type(x->dst, dsite, du, dt) < 0 || !*du || *dt == STF_NONE)
		return 0;
	return stf__dst_size(o, *du, *dt);
}

/* Whether sub-object o is a slab's slot: its place is the allocator's
 * (slots.c), never the transfer's to choose. */
static int slot(const struct stf_peer *p, const struct stf_obj *o)
{
	const struct stf_meta_unit *u;
	uint32_t idx;
	return !stf_meta_find_site(p->meta, o->id, &u, &idx) && (u->sites[idx].flags & STF_SF_SLOT);
}

/* Whether old block o is an untyped container that holds nothing but its
 * typed sub-objects (its own bytes zero: a startup block a sub-object went
 * into at the update before, take_sub) and that no untyped word points
 * into: it keeps its address for nothing. */
static int only_subs(const struct stf_xfer *x, size_t i)
{
	const struct stf_obj *o = &x->src->objs[i];
	uint32_t nsubs;
	uint64_t at = 0;

	if (o->unit || !(o->flags & STF_OBJF_CONTAINER) || !o->bytes ||
	    stf__pin_origin(x, i, NULL, NULL))
		return 0;
	const struct stf_obj *sub = stf__peer_subs(x->src, o, &nsubs);
	for (uint32_t k = 0; k <= nsubs; k++) {
		uint64_t end = k < nsubs ? sub[k].addr - o->addr : o->size;
		if (k < nsubs && stf__untyped_sub(&sub[k]))
			continue; /* its bytes are the container's */
		if (k < nsubs && slot(x->src, &sub[k]))
			return 0;
		if (end > at && !stf__all_zero(o->bytes + at, end - at))
			return 0;
		if (k < nsubs && sub[k].addr + sub[k].size - o->addr > at)
			at = sub[k].addr + sub[k].size - o->addr;
	}
	return 1;
}

/* Transfer old block i into new startup block j: 1 if done, 0 if not
 * possible (the plan is unchanged). */
static int take(struct stf_xfer *x, size_t i, size_t j)
{
	const struct stf_obj *o = &x->src->objs[i];
	struct stf_obj *n = &x->dst->objs[j];
	const char *dsite = stf__site_dst_id(x, o->id);
	const struct stf_meta_unit *du;
	uint32_t dt;
	struct pairing *p = &x->pair[i];

	if (p->dst != PAIR_UNRESOLVED || (p->placed && !only_subs(x, i)) || p->pinned || p->moved ||
	    (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN | STF_OBJF_EXTERNAL | STF_OBJF_STREAM)) ||
	    (n->flags & (STF_OBJF_INTERNAL | STF_OBJF_EXTERNAL)) || !n->id || strcmp(dsite, n->id) ||
	    o->align_lg != n->align_lg || !stf__index_find(&stf__own_startup, n->addr, 0) ||
	    stf__evloop_queued_in(n->addr, n->size))
		return 0;
	uint64_t size = dst_block_size(x, i, dsite, &du, &dt);
	if (!size || size != n->size)
		return 0;
	/* the identity first: a compact entry cannot take every ID */
	if (!stf__heap_set_id((void *)(uintptr_t)n->addr, o->dyn_id))
		return 0;
	keep_dropped(n);
	stf__sub_forget(n->addr, n->size);
	memset((void *)(uintptr_t)n->addr, 0, n->size);
	n->dyn_id = o->dyn_id;
	n->id = o->id; /* the source's site ID, as every destination object */
	n->unit = du;
	n->type = dt;
	n->flags &= (uint8_t)~STF_OBJF_CONTAINER;
	x->img[j] = (uint8_t *)(uintptr_t)n->addr;
	p->placed = 0; /* a container: its sub-objects go into n (stf__place_subs) */
	p->dst = (int64_t)j;
	p->dst_addr = n->addr;
	p->scheduled = 1;
	p->same = !o->unit || !du ||
		  (T(o->unit, strip(o->unit, o->type))->hash == T(du, strip(du, dt))->hash &&
		   o->size == size);
	x->rep->dynamic_objects++;
	x->rep->inplace++;
	return 1;
}

/* Whether startup block nc is a wrapper's block like old sub-object o's:
 * a header (a size, a kind), then n, its one sub-object, to its end.
 * That header is state (the program reads it back: xfree, a kind tag):
 * 1 when it takes the old block's header bytes, which point to no
 * object; -1 when they do (a list of live blocks) or are not known (the
 * object is not taken in place); 0 when nc is no such block. */
static int wrapper_header(const struct stf_xfer *x, const struct stf_obj *o,
			  const struct stf_obj *n, const struct stf_obj *nc)
{
	const struct stf_obj *oc = &x->src->objs[o->container - 1];
	uint64_t head = n->addr - nc->addr;
	uint32_t nsubs;

	if (!head || o->addr - oc->addr != head || oc->size != nc->size ||
	    n->addr + n->size != nc->addr + nc->size)
		return 0;
	stf__peer_subs(x->dst, nc, &nsubs);
	if (nsubs != 1)
		return 0;
	if (!oc->bytes)
		return -1;
	for (uint64_t at = 0; at + sizeof(uint64_t) <= head; at += sizeof(uint64_t)) {
		uint64_t w;
		memcpy(&w, oc->bytes + at, sizeof(w));
		if (w && stf__peer_find(x->src, w))
			return -1;
	}
	return 1;
}

/* Transfer old sub-object i into the new startup's sub-object j, which
 * becomes the only content of its block (after the header of a wrapper's
 * block): 1 if done, 0 if not possible. */
static int take_sub(struct stf_xfer *x, size_t i, size_t j)
{
	const struct stf_obj *o = &x->src->objs[i];
	struct stf_obj *n = &x->dst->objs[j];
	const struct stf_obj *nc = n->container ? &x->dst->objs[n->container - 1] : NULL;
	const char *dsite = stf__site_dst_id(x, o->id);
	const struct stf_meta_unit *du;
	uint32_t dt;
	struct pairing *p = &x->pair[i];
	uint32_t site = stf__site_by_id(dsite);

	if (!o->container || !o->unit || !nc || nc->kind != STF_OBJ_HEAP ||
	    nholders == MAX_HOLDERS || !site || p->dst != PAIR_UNRESOLVED || p->pinned ||
	    p->moved || (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN | STF_OBJF_EXTERNAL)) ||
	    (nc->flags & (STF_OBJF_INTERNAL | STF_OBJF_EXTERNAL)) || !n->id || strcmp(dsite, n->id) ||
	    !stf__index_find(&stf__own_startup, nc->addr, 0) || stf__untyped_sub(o) ||
	    slot(x->src, o) || stf__evloop_queued_in(nc->addr, nc->size))
		return 0;
	if (stf__peer_site_type(x->dst, dsite, &du, &dt) < 0 || !du || dt == STF_NONE ||
	    stf__dst_size(o, du, dt) != n->size)
		return 0;
	int header = wrapper_header(x, o, n, nc);
	if (header < 0)
		return 0;
	/* the block's former contents, for its descriptors (startup.c) */
	keep_dropped(nc);
	stf__sub_forget(nc->addr, nc->size);
	memset((void *)(uintptr_t)nc->addr, 0, nc->size);
	if (header)
		memcpy((void *)(uintptr_t)nc->addr, x->src->objs[o->container - 1].bytes,
		       n->addr - nc->addr);
	if (stf__sub_register(n->addr, n->size, site, o->dyn_id) < 0) {
		stf__xfail(x, "out of memory registering %s in the new startup's block", o->id);
		return 0;
	}
	holders[nholders++] = nc->addr;
	n->dyn_id = o->dyn_id;
	n->id = o->id;
	n->unit = du;
	n->type = dt;
	x->img[j] = (uint8_t *)(uintptr_t)n->addr;
	p->dst = (int64_t)j;
	p->dst_addr = n->addr;
	p->scheduled = 1;
	p->same = T(o->unit, strip(o->unit, o->type))->hash == T(du, strip(du, dt))->hash &&
		  o->size == n->size;
	x->rep->dynamic_objects++;
	x->rep->inplace++;
	return 1;
}

/* Backward: a startup block an old container went into whole holds only
 * its sub-objects and zeros, which need no address of their own; kept at
 * its address it would collide in the reversed version with that
 * version's own startup block there (R starts like F, so its startup's
 * blocks lie where F's did).  It is allocated like a typed block. */
static void unplace_taken(struct stf_xfer *x)
{
	for (size_t i = 0; i < x->src->nobjs; i++) {
		const struct stf_obj *o = &x->src->objs[i];
		if (!x->pair[i].placed || o->kind != STF_OBJ_HEAP || !o->dyn_id)
			continue;
		const struct stf_range *own = stf__index_find(&stf__own_startup, o->addr, 0);
		if (own && own->start == o->addr && own->value != o->dyn_id && only_subs(x, i))
			x->pair[i].placed = 0;
	}
}

/* Do old block o and this process's block n hold the same bytes?  A
 * block of bytes is read by the transfer itself (STF_OBJF_DEFER), not
 * fetched before. */
static int holds_same_bytes(const struct stf_peer *src, const struct stf_obj *o,
			    const struct stf_obj *n)
{
	const void *now = (const void *)(uintptr_t)n->addr;
	if (o->size != n->size)
		return 0;
	if (o->bytes)
		return !memcmp(o->bytes, now, o->size);
	uint8_t *old = stf__raw_malloc(o->size);
	int same = old && stf__peer_read(src, o->addr, old, o->size) == 0 &&
		   !memcmp(old, now, o->size);
	stf__raw_free(old);
	return same;
}

/* Old word pv and the new version's word fv in the same place (of a
 * static, of the exec vector), named by `from`: the old block pv points
 * into goes into the new startup's block fv points into, if it can, or
 * the old object alone into the startup's sub-object there; same_bytes:
 * only if both blocks hold the same bytes (the new version keeps using
 * its own pointers into the block). */
static void take_word(struct stf_xfer *x, uint8_t *taken, uint64_t pv, uint64_t fv,
		      const char *from, int same_bytes)
{
	const struct stf_peer *src = x->src, *dst = x->dst;
	const struct stf_obj *o = pv ? block_at(src, pv) : NULL;
	const struct stf_obj *n = o && fv ? block_at(dst, fv) : NULL;
	char on[256];

	if (!n || pv - o->addr != fv - n->addr || taken[n - dst->objs])
		return;
	if (same_bytes && !holds_same_bytes(x->src, o, n))
		return;
	if (!take(x, (size_t)(o - src->objs), (size_t)(n - dst->objs))) {
		/* o keeps its address: the object in it, alone */
		const struct stf_obj *os = stf__peer_find(src, pv);
		const struct stf_obj *ns = stf__peer_find(dst, fv);
		if (same_bytes || !os || !ns || !os->container || !ns->container ||
		    pv - os->addr != fv - ns->addr ||
		    !take_sub(x, (size_t)(os - src->objs), (size_t)(ns - dst->objs))) {
			if (!same_bytes && !strcmp(stf__site_dst_id(x, o->id), n->id))
				refuse_split(x, taken + dst->nobjs + 1, o, n, from);
			return;
		}
		o = os;
		n = ns;
	}
	taken[n->container ? n->container - 1 : (size_t)(n - dst->objs)] = 1;
	fprintf(stderr, "libstf: forward transfer: %s (from %s) transferred in "
		"place into the new startup's block at 0x%" PRIx64 "\n",
		stf__obj_name(o, on, sizeof(on)), from, n->addr);
}

int stf__plan_inplace(struct stf_xfer *x)
{
	const struct stf_peer *src = x->src, *dst = x->dst;
	uint8_t *taken;

	stf__inplace_release();
	if (x->dir == STF_BACKWARD) {
		unplace_taken(x);
		return 0;
	}
	if (!dst->self)
		return 0;
	stf__evloop_queued_load(dst);
	if (!stf__own_startup.n)
		return 0;
	/* taken, then which of dst's objects receive an old one's values */
	if (!(taken = stf__raw_malloc(2 * (dst->nobjs + 1)))) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	memset(taken, 0, 2 * (dst->nobjs + 1));
	for (size_t s = 0; s < src->nobjs; s++)
		if (x->pair[s].dst >= 0 && (size_t)x->pair[s].dst < dst->nobjs)
			taken[dst->nobjs + 1 + (size_t)x->pair[s].dst] = 1;
	for (size_t s = 0; s < src->nobjs; s++) {
		const struct stf_obj *so = &src->objs[s];
		if (so->kind != STF_OBJ_STATIC || !so->bytes || !x->pair[s].scheduled ||
		    !x->pair[s].same || x->pair[s].dst < 0 || so->size > INPLACE_MAX_STATIC ||
		    (so->flags & (STF_OBJF_EXTERNAL | STF_OBJF_IXFER)))
			continue;
		const struct stf_obj *ds = &dst->objs[x->pair[s].dst];
		if (ds->size != so->size || ds->addr % 8 != so->addr % 8)
			continue;
		for (uint64_t off = (8 - so->addr % 8) % 8; off + 8 <= so->size; off += 8) {
			uint64_t pv, fv;
			memcpy(&pv, so->bytes + off, 8);
			memcpy(&fv, (const uint8_t *)(uintptr_t)ds->addr + off, 8);
			take_word(x, taken, pv, fv, so->id, 0);
		}
	}
	/* the environment strings a program moved to the heap (nginx's
	 * ngx_init_setproctitle, so that its title may take their place):
	 * held by the exec vector, which is each process's own, the old
	 * block goes into the one the new vector points into, when it holds
	 * the same strings (the new version starts with the old one's
	 * environment), or the old block would be left to no one */
	stf__peer_args_load(x->src);
	stf__peer_args_load(x->dst);
	const struct stf_peer_args *sa = &src->args, *da = &dst->args;
	for (size_t k = 0; sa->envp && da->envp && k < sa->envp_n && k < da->envp_n; k++)
		take_word(x, taken, sa->envp_vals[k], da->envp_vals[k], "the exec vector (envp)", 1);
	stf__raw_free(taken);
	return 0;
}
