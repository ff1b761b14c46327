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
 * address, a slab's, a sub-object alone.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
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

void stf__inplace_release(void)
{
	for (size_t k = 0; k < ndropped; k++)
		stf__raw_free(dropped[k].bytes);
	stf__raw_free(dropped);
	dropped = NULL;
	ndropped = dropped_cap = 0;
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

	if (p->dst != PAIR_UNRESOLVED || p->placed || p->pinned || p->moved ||
	    (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN | STF_OBJF_EXTERNAL | STF_OBJF_STREAM)) ||
	    (n->flags & (STF_OBJF_INTERNAL | STF_OBJF_EXTERNAL)) || !n->id || strcmp(dsite, n->id) ||
	    o->align_lg != n->align_lg || !stf__index_find(&stf__own_startup, n->addr, 0))
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

int stf__plan_inplace(struct stf_xfer *x)
{
	const struct stf_peer *src = x->src, *dst = x->dst;
	uint8_t *taken;
	char on[256];

	stf__inplace_release();
	if (x->dir != STF_FORWARD || !dst->self || !stf__own_startup.n)
		return 0;
	if (!(taken = stf__raw_malloc(dst->nobjs + 1))) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	memset(taken, 0, dst->nobjs + 1);
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
			const struct stf_obj *o = pv ? block_at(src, pv) : NULL;
			const struct stf_obj *n = o && fv ? block_at(dst, fv) : NULL;
			if (!n || pv - o->addr != fv - n->addr || taken[n - dst->objs] ||
			    !take(x, (size_t)(o - src->objs), (size_t)(n - dst->objs)))
				continue;
			taken[n - dst->objs] = 1;
			fprintf(stderr, "libstf: forward transfer: %s (from %s) transferred in "
				"place into the new startup's block at 0x%" PRIx64 "\n",
				stf__obj_name(o, on, sizeof(on)), so->id, n->addr);
		}
	}
	stf__raw_free(taken);
	return 0;
}
