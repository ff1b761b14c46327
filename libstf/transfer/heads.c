/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * heads.c - the typed head of an allocator's block.
 *
 * A block that objects are handed out from (a container: a pool's block,
 * see subattach.c) is untyped memory outside those objects, kept at its
 * address, its words classified and never rewritten on a guess
 * (untyped.c).  Yet its allocation site often says what it starts with:
 * nginx's ngx_create_pool() allocates the block as `ngx_pool_t *p =
 * ngx_memalign(...)` and carves the cycle out of it right after that
 * header.  The header's words are the pool's bookkeeping: cursors into
 * the block, the next block, its large allocations and cleanups, and
 * `log`, which ngx_init_cycle() points into the cycle it carved out of
 * the very block (`pool->log = &cycle->new_log`).  As untyped words they
 * pin what they point to, so the cycle could not be transferred into the
 * new version's startup cycle (inplace.c), and every chained update left
 * that startup's cycle behind with its pool and its log files.
 *
 * So the block's first bytes are a typed value of its site's struct type
 * when that type fits before the first object handed out from it: the
 * head's pointers are relocated precisely like a typed object's (planned
 * without pinning, converted by stf__xform, compared by target in the
 * differencing), while the rest of the block stays the untyped container
 * it is.  The head's pointers into its own block (free-space cursors,
 * `current`) stay where they are, since the block keeps its address, so
 * the way back gives the same bytes.  A block whose site has no struct
 * type (a pool's later chunks, `u_char *m = ngx_memalign(...)`, whose
 * header the allocator writes through casts), a head a sub-object
 * overlaps, and a head the destination gives no struct type stay untyped,
 * as before.  A head whose size changes cannot be converted in place (the
 * objects handed out after it keep their offsets): the update fails,
 * naming the block.
 */
#include <inttypes.h>
#include <stdio.h>

#include "heads.h"
#include "remote.h"

/* The struct (stripped of typedefs) a site's type (u, t) names, with its
 * size; 0 if it is no complete struct. */
static uint64_t struct_size(const struct stf_meta_unit *u, uint32_t *t)
{
	if (!u || *t >= u->ntypes)
		return 0;
	*t = strip(u, *t);
	if (*t >= u->ntypes)
		return 0;
	const struct stf_type_rec *R = T(u, *t);
	return R->kind == STF_K_STRUCT && !(R->flags & STF_TF_INCOMPLETE) ? R->size : 0;
}

uint64_t stf__peer_head(const struct stf_peer *p, const struct stf_obj *o,
			const struct stf_meta_unit **u, uint32_t *t)
{
	if (!(o->flags & STF_OBJF_CONTAINER) || o->kind != STF_OBJ_HEAP ||
	    (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_EXTERNAL)) || o->site >= p->nsites)
		return 0;
	*u = p->site_unit[o->site];
	*t = p->site_type[o->site];
	uint64_t size = struct_size(*u, t);
	uint32_t nsubs;
	const struct stf_obj *sub = stf__peer_subs(p, o, &nsubs);
	if (!size || size > o->size || (nsubs && sub->addr - o->addr < size))
		return 0;
	return size;
}

int stf__xfer_head(struct stf_xfer *x, size_t i, struct stf_head *h)
{
	const struct stf_obj *o = &x->src->objs[i];
	char on[256], tn[256], dn[256];

	h->size = 0;
	uint64_t size = stf__peer_head(x->src, o, &h->su, &h->st);
	if (!size || stf__peer_site_type(x->dst, stf__site_dst_id(x, o->id), &h->du, &h->dt) < 0)
		return 0;
	uint64_t dsize = struct_size(h->du, &h->dt);
	if (!dsize)
		return 0;
	if (dsize != size) {
		stf__xfail(x, "%s: this block, which objects are handed out from, starts with %s "
		      "(%" PRIu64 " bytes, its allocation site's type), which takes %" PRIu64
		      " bytes as %s in the %s version; the block keeps its address and the "
		      "objects in it their offsets, so the header cannot grow or shrink in "
		      "place; keep its size (new members in spare bytes it reserves), or "
		      "restart the program for this change", stf__obj_name(o, on, sizeof(on)),
		      stf__type_str(h->su, h->st, tn, sizeof(tn)), size, dsize,
		      stf__type_str(h->du, h->dt, dn, sizeof(dn)),
		      x->dir == STF_FORWARD ? "new" : "old");
		return -1;
	}
	h->size = size;
	return 0;
}
