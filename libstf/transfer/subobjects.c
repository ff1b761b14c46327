/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * subobjects.c - typed sub-objects in the transfer: the objects an
 * STF_ALLOCATOR function handed out from inside its own blocks (a size
 * header's block, a pool chunk, a slab) and those registered with
 * stf_register_object().  The catalog (metadata.c) makes each a typed
 * object inside its container, whose own bytes are untyped.
 *
 * A sub-object whose new type fits where it is (up to the next
 * sub-object or the end of the container, the bytes it grows into unused
 * (zero) in the source, so the backward transfer, which zeroes them again
 * when it shrinks the object back, restores them) is transformed in place,
 * at its offset in its container's destination (the container is
 * transferred first, as untyped memory).  One that does not fit leaves
 * its place (stf__plan_subs): with its whole block when that is a
 * wrapper's (a size header and the object), else alone, into a heap block
 * of its own, unless its allocator takes no size (a slab's slot, sized by
 * the slab): then the update rolls back.  The destination registers it (stf__sub_register: this process
 * when forward, the reversed version on request when backward) with its
 * dynamic ID, so the round trip's differencing pairs it and a chained
 * update finds it again.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "remote.h"
#include "scratch.h"
#include "slots.h"
#include "subobjects.h"
#include "xfer.h"

/* Who handed out o: the allocator of its plugin site, or the program
 * itself through stf_register_object(). */
static const char *allocator_of(const struct stf_peer *p, const struct stf_obj *o)
{
	const struct stf_meta_unit *u;
	uint32_t idx;
	if (stf_meta_find_site(p->meta, o->id, &u, &idx) < 0)
		return "stf_register_object()";
	return stf_meta_str(u, u->sites[idx].allocator);
}

/* Whether o's allocator picks the size of what it hands out (an
 * STF_ALLOCATOR without a size argument: a slab's slot). */
static int slot_allocator(const struct stf_peer *p, const struct stf_obj *o)
{
	const struct stf_meta_unit *u;
	uint32_t idx;
	return stf_meta_find_site(p->meta, o->id, &u, &idx) == 0 &&
	       (u->sites[idx].flags & STF_SF_SLOT);
}

/* The destination's type of sub-object o (site id dsite): its site's type
 * there, else the type of the same name. */
static void dst_type(struct stf_xfer *x, const struct stf_obj *o, const char *dsite,
		     const struct stf_meta_unit **du, uint32_t *dt)
{
	*du = NULL;
	*dt = STF_NONE;
	if (!stf__peer_site_type(x->dst, dsite, du, dt) && *du && *dt != STF_NONE)
		return;
	if (stf__dst_type_named(x, o->unit, o->type, du, dt) < 0) {
		*du = NULL;
		*dt = STF_NONE;
	}
}

/* One registration for the reversed version (M_SUB). */
struct sub_req {
	uint64_t addr, size, id;
	const char *site, *type;
};

static int remote_register(struct stf_xfer *x, const struct sub_req *req, size_t n)
{
	uint8_t *buf = stf__scratch(SCRATCH_SUB_REGISTER);
	size_t i = 0;
	if (!buf) {
		stf__xfail(x, "no memory for a transfer message buffer");
		return -1;
	}
	while (i < n) {
		size_t pos = 0, first = i;
		for (; i < n; i++) {
			uint32_t sl = (uint32_t)strlen(req[i].site), tl = (uint32_t)strlen(req[i].type);
			if (pos + 32 + sl + tl > MSG_MAX)
				break;
			memcpy(buf + pos, &req[i].addr, 8);
			memcpy(buf + pos + 8, &req[i].size, 8);
			memcpy(buf + pos + 16, &req[i].id, 8);
			memcpy(buf + pos + 24, &sl, 4);
			memcpy(buf + pos + 28, &tl, 4);
			memcpy(buf + pos + 32, req[i].site, sl);
			memcpy(buf + pos + 32 + sl, req[i].type, tl);
			pos += 32 + sl + tl;
		}
		if (i == first) {
			stf__xfail(x, "site ID too long: %s", req[i].site);
			return -1;
		}
		uint32_t type, len;
		if (stf__msg_send(x->conn, M_SUB, buf, (uint32_t)pos) < 0 ||
		    stf__msg_recv(x->conn, &type, buf, &len) < 0) {
			stf__xfail(x, "backward transfer: connection to the reversed version lost "
			      "while registering sub-objects: %s", strerror(errno));
			return -1;
		}
		if (type == M_ERROR) {
			stf__xfail(x, "reversed version: %.*s", (int)len, (const char *)buf);
			return -1;
		}
		if (type != M_OK) {
			stf__xfail(x, "backward transfer: malformed reply from the reversed version");
			return -1;
		}
	}
	return 0;
}

/* Global site number of a site in this process; a site of
 * stf_register_object() (type name given) is created if need be. */
static uint32_t local_site(const char *site, const char *type)
{
	uint32_t n = stf__site_by_id(site);
	if (!n && *type)
		n = stf__user_site(site, type);
	return n;
}

static int register_here(struct stf_xfer *x, const struct sub_req *r)
{
	uint32_t site = local_site(r->site, r->type);
	if (!site || stf__sub_register(r->addr, r->size, site, r->id) < 0) {
		stf__xfail(x, "cannot register the sub-object of site %s at 0x%" PRIx64 ": %s",
		      r->site, r->addr, site ? strerror(errno) : "site unknown here");
		return -1;
	}
	return 0;
}

/* Greatest common divisor (0 with 0: none). */
static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t r = a % b;
		a = b;
		b = r;
	}
	return a;
}

/*
 * The chunk size of a slab's block co (its sub-objects subs[0..n), of a
 * slot or size-class allocator): every slot starts a whole number of
 * chunks from every other, so the greatest common divisor of the
 * distances between the slots known: the live objects, and the slots
 * given back that a free-list link shows (a word of co outside every live
 * object that points into co: the link is a given-back slot's first word,
 * and points at another).  When the slab's free is a known partner, the
 * slots given back are no objects, so the live ones are not evenly spaced
 * (chunks 0, 2, 3 and 5 after chunk 1 was given back: 64, from 128, 64,
 * 128).  It is the chunk, or a multiple of it only when every slot known
 * lies a multiple of that many chunks from the others.  These chunks are
 * the old version's, kept where they are: an object grown in place must
 * fit the chunk it has.  0 when fewer than two slots are known.
 */
static uint64_t slab_chunk(const struct stf_obj *co, const struct stf_obj *subs, uint32_t n)
{
	/* asked for each object of the block in turn: the last block's */
	static __thread struct {
		const struct stf_obj *co;
		uint64_t addr, size, dyn_id, chunk;
		const uint8_t *bytes;
	} last;
	if (last.co == co && last.addr == co->addr && last.size == co->size &&
	    last.dyn_id == co->dyn_id && last.bytes == co->bytes)
		return last.chunk;
	uint64_t g = 0;
	for (uint32_t k = 1; k < n; k++)
		g = gcd(g, subs[k].addr - subs[0].addr);
	if (!co->bytes || !n)
		return g;
	uint32_t k = 0;
	for (uint64_t off = (subs[0].addr - co->addr) & 7; off + 8 <= co->size; off += 8) {
		uint64_t at = co->addr + off, v;
		while (k < n && subs[k].addr + subs[k].size <= at)
			k++;
		if (k < n && subs[k].addr <= at)
			continue; /* a live object's word */
		memcpy(&v, co->bytes + off, 8);
		if (v < co->addr || v >= co->addr + co->size)
			continue;
		g = gcd(g, at > subs[0].addr ? at - subs[0].addr : subs[0].addr - at);
		g = gcd(g, v > subs[0].addr ? v - subs[0].addr : subs[0].addr - v);
	}
	last.co = co;
	last.addr = co->addr;
	last.size = co->size;
	last.dyn_id = co->dyn_id;
	last.bytes = co->bytes;
	last.chunk = g;
	return g;
}

uint64_t stf__sub_room_end(const struct stf_peer *src, size_t i, const struct stf_obj *co)
{
	const struct stf_obj *o = &src->objs[i];
	uint32_t nsubs;
	const struct stf_obj *first = stf__peer_subs(src, co, &nsubs);
	uint64_t off = o->addr - co->addr, end;
	uint64_t chunk = stf__slab_object(src, o) ? slab_chunk(co, first, nsubs) : 0;
	if (chunk >= o->size) {
		end = off + chunk;
		if (i + 1 < src->nobjs && src->objs[i + 1].container == o->container &&
		    src->objs[i + 1].addr - co->addr < end)
			end = src->objs[i + 1].addr - co->addr;
	} else if (i + 1 < src->nobjs && src->objs[i + 1].container == o->container) {
		return src->objs[i + 1].addr - co->addr;
	} else {
		end = off + ((o->size + 15) & ~(uint64_t)15);
		if (nsubs >= 2) {
			uint64_t stride = first[1].addr - first[0].addr;
			uint32_t k = 2;
			while (k < nsubs && first[k].addr - first[k - 1].addr == stride)
				k++;
			if (k == nsubs && stride >= o->size)
				end = off + stride;
		}
	}
	return end < co->size ? end : co->size;
}

/*
 * Forward, the addresses pools' cursors were moved to (each a grown
 * object's new end); backward, only a word holding one of them is such a
 * cursor.  A pointer to what the pool carved after the object, past the
 * alignment gap the object grew over, holds the same address in the new
 * version without having been a cursor: moved back with the end, it
 * pointed into the gap (t/xfer/endgap22).  Few: one per pool at most.
 */
static pthread_mutex_t moved_ends_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *moved_ends;
static size_t n_moved_ends, cap_moved_ends;
static int moved_ends_sorted;

void stf__sub_end_moves_reset(void)
{
	pthread_mutex_lock(&moved_ends_lock);
	n_moved_ends = 0;
	moved_ends_sorted = 1;
	pthread_mutex_unlock(&moved_ends_lock);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Forward: a cursor was moved to a; -1 when it cannot be noted. */
static int moved_end_note(uint64_t a)
{
	int rc = 0;
	pthread_mutex_lock(&moved_ends_lock);
	if (n_moved_ends == cap_moved_ends) {
		size_t ncap = cap_moved_ends ? 2 * cap_moved_ends : 64;
		uint64_t *n = stf__raw_realloc(moved_ends, ncap * sizeof(*n));
		if (n) {
			moved_ends = n;
			cap_moved_ends = ncap;
		}
	}
	if (n_moved_ends < cap_moved_ends) {
		moved_ends[n_moved_ends++] = a;
		moved_ends_sorted = 0;
	} else {
		rc = -1;
	}
	pthread_mutex_unlock(&moved_ends_lock);
	return rc;
}

/* Backward: did the forward transfer move a cursor to a? */
static int moved_end_known(uint64_t a)
{
	pthread_mutex_lock(&moved_ends_lock);
	if (!moved_ends_sorted) {
		qsort(moved_ends, n_moved_ends, sizeof(*moved_ends), cmp_u64);
		moved_ends_sorted = 1;
	}
	int known = n_moved_ends &&
		    bsearch(&a, moved_ends, n_moved_ends, sizeof(*moved_ends), cmp_u64) != NULL;
	pthread_mutex_unlock(&moved_ends_lock);
	return known;
}

int stf__sub_end_moves(struct stf_xfer *x, const struct stf_range *r, uint64_t *out)
{
	const struct stf_range *lo = x->src->index.ranges;
	if (r == lo || r[-1].start + r[-1].size != r->start)
		return 0;
	size_t i = r[-1].value;
	const struct stf_obj *o = &x->src->objs[i];
	if (o->container != r->value + 1 || stf__untyped_sub(o) || x->pair[i].moved ||
	    x->pair[i].dst < 0 || stf__slab_object(x->src, o))
		return 0;
	const struct stf_obj *d = &x->dst->objs[x->pair[i].dst];
	if (d->size == o->size)
		return 0;
	if (x->dir == STF_BACKWARD ? !moved_end_known(r->start)
				   : moved_end_note(d->addr + d->size) < 0)
		return 0;
	*out = d->addr + d->size;
	return 1;
}

/*
 * Backward, a pointer into the bytes sub-object o grew into where it is
 * (past the end of its old type dobj, inside its new one: a member only
 * the new version has).  The forward transfer made it from a word that
 * pointed there into the container's own bytes (the allocator's rounding
 * after the object, a stale address in its unused tail), which stayed
 * where they were while the object grew over them; shrunk back, those
 * bytes are the container's again, so the pointer keeps its offset.
 * Only whole objects of one type placed in their container (no array of
 * them, whose elements map by index).  1 if so (*out set).
 */
int stf__past_shrunk_sub(struct stf_xfer *x, size_t i, const struct stf_obj *dobj,
			 uint64_t off, uint64_t *out)
{
	const struct stf_obj *o = &x->src->objs[i];
	if (x->dir != STF_BACKWARD || !o->container || !dobj->container || x->pair[i].moved ||
	    !o->unit || !dobj->unit || off < dobj->size || off >= o->size ||
	    T(o->unit, strip(o->unit, o->type))->size != o->size ||
	    T(dobj->unit, strip(dobj->unit, dobj->type))->size != dobj->size)
		return 0;
	const struct stf_obj *dco = &x->dst->objs[dobj->container - 1];
	if (dobj->addr + off >= dco->addr + dco->size)
		return 0;
	*out = dobj->addr + off;
	return 1;
}

/* A wrapper's block: a heap block holding only this sub-object, after a
 * prefix of the wrapper's own (a size header). */
static int wrapper_block(const struct stf_peer *src, const struct stf_obj *o,
			 const struct stf_obj *co)
{
	uint32_t nsubs;
	stf__peer_subs(src, co, &nsubs);
	return co->kind == STF_OBJ_HEAP && nsubs == 1 && o->addr > co->addr &&
	       o->addr + o->size == co->addr + co->size;
}

/*
 * Backward, a wrapper's object that fills its block and shrinks, in a
 * block whose size header nothing says (a wrapper aligning its objects,
 * keeping malloc's pointer before them): the forward transfer grew it
 * where it was, into the block's slack after it (moving whole would have
 * needed a header it could rewrite: it would have rolled back), and the
 * prefix never changed, so it shrinks back where it is.  Moving whole
 * instead would roll back on the prefix's own word pointing to its block.
 */
static int shrinks_back_in_place(const struct stf_xfer *x, size_t i, size_t c, uint64_t dsize)
{
	return x->dir == STF_BACKWARD && dsize < x->src->objs[i].size &&
	       !stf__size_header_said(x->src, i, c);
}

/* Block c keeps its address: typed (a wrapper's `size_t *`) and pinned
 * by an untyped word pointing into it, or untyped and placed (an untyped
 * word points into it).  Not when its address is a key (addr-keys.c). */
static int block_stays(const struct stf_xfer *x, size_t c)
{
	const struct pairing *p = &x->pair[c];
	return p->pinned == 1 || (!p->pinned && p->placed);
}

/* A sub-object that must leave its place and cannot: an untyped word
 * points into it (or into its block, which would move with it). */
static int cannot_move(struct stf_xfer *x, size_t i, size_t c, int whole, uint64_t dsize,
		       const struct stf_meta_unit *du, uint32_t dt)
{
	const struct stf_peer *src = x->src;
	const struct stf_obj *o = &src->objs[i], *co = &src->objs[c];
	size_t holder = 0;
	uint64_t at = 0;
	if (x->pair[i].pinned == STF_PIN_KEY)
		return stf__addr_key_moves(x, i, dsize, "a sub-object of its block cannot grow "
					   "there: it would leave its place");
	stf__pin_origin(x, x->pair[i].pinned ? i : c, &holder, &at);
	char on[256], cn[256], hn[256], tn[256];
	stf__xfail(x, "%s (handed out by %s at offset %" PRIu64 " of %s) takes %" PRIu64
	      " bytes as %s in the %s version instead of %" PRIu64 ", so it leaves its "
	      "place (%s), but offset %" PRIu64 " of untyped block %s points into %s, "
	      "which therefore keeps its address: give that block a type (STF_ALLOCATOR "
	      "on its allocator), or keep the type's size",
	      stf__obj_name(o, on, sizeof(on)), allocator_of(src, o), o->addr - co->addr,
	      stf__obj_name(co, cn, sizeof(cn)), dsize,
	      stf__type_str(du, strip(du, dt), tn, sizeof(tn)),
	      x->dir == STF_FORWARD ? "new" : "old", o->size,
	      whole ? "its block moves whole to a block of the new size" :
		      "it moves alone to a heap block of its own",
	      at, stf__obj_name(&src->objs[holder], hn, sizeof(hn)),
	      x->pair[i].pinned ? "it" : "its block");
	return -1;
}

/* A sub-object of a slot allocator that does not fit its slot: moved
 * alone to a heap block, it would later be given back to the allocator
 * (a slab's free puts it on the slab's free list, or finds its slab page
 * from its address), and the allocator, which sized its slots itself
 * (`slab_create(sizeof(struct item))`), would go on handing out slots of
 * the old size for the new type.  No commit can be right. */
static int slot_too_small(struct stf_xfer *x, size_t i, size_t c, uint64_t dsize,
			  uint64_t room, const struct stf_meta_unit *du, uint32_t dt)
{
	const struct stf_peer *src = x->src;
	const struct stf_obj *o = &src->objs[i], *co = &src->objs[c];
	const char *alloc = allocator_of(src, o);
	char on[256], cn[256], tn[256];
	char why[128];
	if (dsize > room)
		snprintf(why, sizeof(why), "more than its slot (%" PRIu64 " bytes up to the next "
			 "object handed out)", room);
	else
		snprintf(why, sizeof(why), "more than its slot holds (the %" PRIu64 " bytes after "
			 "it are in use)", dsize - o->size);
	const char *refusal = stf__slot_refusal(o->id);
	stf__xfail(x, "%s (handed out by %s at offset %" PRIu64 " of %s) takes %" PRIu64
	      " bytes as %s in the %s version instead of %" PRIu64 ", %s: %s takes no size, "
	      "so it hands out slots of a size of its own (a slab made with the old "
	      "sizeof), which the objects it hands out after the update would overflow, "
	      "and an object moved out of its slot would be given back to it; its objects "
	      "get slots of the new version's slab only when %s%s); else keep the "
	      "type's size (new members in spare bytes the type reserves), or give %s's "
	      "slots room to spare (a slot size larger than the type) in the running "
	      "version first, or restart the program for this change",
	      stf__obj_name(o, on, sizeof(on)), alloc, o->addr - co->addr,
	      stf__obj_name(co, cn, sizeof(cn)), dsize,
	      stf__type_str(du, strip(du, dt), tn, sizeof(tn)),
	      x->dir == STF_FORWARD ? "new" : "old", o->size, why, alloc,
	      "its slab (an object, a static's member, or one an integer chooses) is "
	      "passed to it and the new version's startup made its own (not here: ",
	      refusal ? refusal : "not tried", alloc);
	return -1;
}

/*
 * A sub-object keeps its place when its new type fits there: up to the
 * next sub-object or its block's end, the bytes it grows into unused
 * (zero).  Else it leaves its place:
 *   - a wrapper's block (a size header and this object) moves whole to a
 *     fresh block of the new size, the prefix copied word by word
 *     (stf__xfer_placed), so the program's own free(p - prefix) and
 *     realloc still work; it does so whenever the object's size changes,
 *     so the way back restores the old block's size; the size the prefix
 *     keeps follows (size-headers.c), or the update rolls back;
 *   - an object among others of an allocator that takes a size (a pool
 *     chunk) moves alone to a fresh heap block typed by its site; the
 *     bytes it leaves stay in the chunk, which the pool reclaims with the
 *     chunk;
 *   - one of an allocator that takes no size (a slab's slot) cannot move
 *     (slot_too_small).
 * Either way, an untyped word pointing into what moves would be left
 * stale: the update rolls back naming it; except into a wrapper's block
 * that keeps its address (the sub-object's own address in a library's
 * block: bufferevent_setcb's argument, a connection from `xmalloc`):
 * that block stays there with its new size instead (resized_here), as a
 * pinned heap object does (pinned-growth.c).
 */
int stf__plan_subs(struct stf_xfer *x)
{
	struct stf_peer *src = x->src;
	for (size_t i = 0; i < src->nobjs; i++) {
		const struct stf_obj *o = &src->objs[i];
		if (!o->container || stf__untyped_sub(o) || x->pair[i].moved == SUB_SLOT)
			continue; /* untyped: its container's bytes; a slot of the
				     destination's slab (slots.c) */
		size_t c = o->container - 1;
		const struct stf_obj *co = &src->objs[c];
		const struct stf_meta_unit *du;
		uint32_t dt;
		if ((co->flags & STF_OBJF_OWN) && !(o->flags & STF_OBJF_OWN)) {
			/* an old object the forward transfer put into a block of
			 * the new startup (inplace.c), which does not go back */
			x->pair[i].moved = SUB_ALONE;
			continue;
		}
		dst_type(x, o, stf__site_dst_id(x, o->id), &du, &dt);
		if (!du)
			continue; /* stf__place_subs says so */
		uint64_t off = o->addr - co->addr, dsize = stf__dst_size(o, du, dt);
		uint64_t room = stf__sub_room_end(src, i, co) - off;
		int whole = wrapper_block(src, o, co);
		if (whole ? dsize == o->size || shrinks_back_in_place(x, i, c, dsize) :
			    dsize <= room &&
			    (dsize <= o->size || !co->bytes ||
			     stf__all_zero(co->bytes + off + o->size, dsize - o->size)))
			continue; /* converted in place */
		if (!whole && slot_allocator(src, o))
			return slot_too_small(x, i, c, dsize, room, du, dt);
		if (!whole && stf__given_back_cannot_move(x, i, c, dsize))
			return -1;
		int held = x->pair[i].pinned || (whole && stf__pin_origin(x, c, NULL, NULL));
		if (held && !(whole && x->pair[i].pinned != STF_PIN_KEY && block_stays(x, c)))
			return cannot_move(x, i, c, whole, dsize, du, dt);
		if (whole && stf__size_header_known(x, i, c, dsize) < 0)
			return -1;
		if (!whole) {
			x->pair[i].moved = SUB_ALONE;
			continue;
		}
		if (!x->resize) {
			x->resize = stf__arena_alloc(x->arena, (src->nobjs + 1) * sizeof(*x->resize));
			if (!x->resize) {
				stf__xfail(x, "out of memory");
				return -1;
			}
			memset(x->resize, 0, (src->nobjs + 1) * sizeof(*x->resize));
		}
		x->resize[c] = off + dsize;
		x->pair[c].resized_here = (uint8_t)held;
		x->pair[i].moved = SUB_WITH_BLOCK;
	}
	return 0;
}

int stf__place_subs(struct stf_xfer *x)
{
	struct stf_peer *src = x->src;
	struct sub_req *req = NULL;
	size_t n = 0, cap = 0;
	char on[256], cn[256], tn[256];
	int rc = -1;

	for (size_t i = 0; i < src->nobjs; i++) {
		const struct stf_obj *o = &src->objs[i];
		if (!o->container || x->pair[i].moved == SUB_ALONE ||
		    x->pair[i].moved == SUB_SLOT || stf__untyped_sub(o) ||
		    x->pair[i].dst != PAIR_UNRESOLVED)
			continue; /* one of its own: allocated like any heap object;
				     untyped: its container's bytes; transferred
				     in place into a startup object (inplace.c) */
		size_t c = o->container - 1;
		const struct stf_obj *co = &src->objs[c];
		struct pairing *pc = &x->pair[c];
		if (pc->dst < 0) {
			/* its container is not transferred (its site is gone) */
			x->pair[i].dst = PAIR_NONE;
			if (++x->rep->dropped <= 20)
				fprintf(stderr, "libstf: %s transfer: %s: its allocator's block "
					"%s is dropped: dropped with it\n",
					x->dir == STF_FORWARD ? "forward" : "backward",
					stf__obj_name(o, on, sizeof(on)),
					stf__obj_name(co, cn, sizeof(cn)));
			continue;
		}
		const struct stf_obj *dco = &x->dst->objs[pc->dst];
		const char *dsite = stf__site_dst_id(x, o->id);
		const struct stf_meta_unit *du;
		uint32_t dt;
		dst_type(x, o, dsite, &du, &dt);
		if (!du) {
			stf__xfail(x, "%s (handed out by %s at offset %" PRIu64 " of %s): its type "
			      "%s does not exist in the %s version; register a callback "
			      "(stf_on_object) for its container or keep the type",
			      stf__obj_name(o, on, sizeof(on)), allocator_of(src, o), o->addr - co->addr,
			      stf__obj_name(co, cn, sizeof(cn)),
			      stf__type_str(o->unit, strip(o->unit, o->type), tn, sizeof(tn)),
			      x->dir == STF_FORWARD ? "new" : "old");
			goto out;
		}
		uint64_t off = o->addr - co->addr, dsize = stf__dst_size(o, du, dt);
		/* where it is: up to the next sub-object or the container's end
		 * (a moved wrapper's block: its new end) */
		uint64_t room = stf__sub_room_end(src, i, co) - off;
		if (x->pair[i].moved == SUB_WITH_BLOCK || dco->size < off + room)
			room = dco->size > off ? dco->size - off : 0;
		const uint8_t *cb = co->bytes;
		if (dsize > room || (dsize > o->size && cb && x->pair[i].moved != SUB_WITH_BLOCK &&
				     !stf__all_zero(cb + off + o->size, dsize - o->size))) {
			stf__xfail(x, "%s (handed out by %s at offset %" PRIu64 " of %s) needs %"
			      PRIu64 " bytes as %s in the %s version, but only %" PRIu64 " are free "
			      "where it is (sub-objects are converted in place): make the allocator "
			      "hand out room for the new type (a larger size class or chunk), or "
			      "keep the type's size", stf__obj_name(o, on, sizeof(on)),
			      allocator_of(src, o), off, stf__obj_name(co, cn, sizeof(cn)), dsize,
			      stf__type_str(du, strip(du, dt), tn, sizeof(tn)),
			      x->dir == STF_FORWARD ? "new" : "old",
			      dsize > room ? room : o->size);
			goto out;
		}
		struct stf_obj d = *o;
		d.addr = dco->addr + off;
		d.size = dsize;
		d.unit = du;
		d.type = dt;
		d.bytes = NULL;
		d.container = (uint32_t)pc->dst + 1;
		int64_t j = stf__dst_add(x, &d);
		if (j < 0 || !x->img[pc->dst]) {
			stf__xfail(x, "out of memory");
			goto out;
		}
		x->img[j] = x->img[pc->dst] + off;
		x->pair[i].dst = j;
		x->pair[i].dst_addr = d.addr;
		x->pair[i].scheduled = 1;
		x->pair[i].same = T(o->unit, strip(o->unit, o->type))->hash ==
				  T(du, strip(du, dt))->hash && o->size == dsize;
		x->rep->dynamic_objects++;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			struct sub_req *nr = stf__raw_realloc(req, ncap * sizeof(*nr));
			if (!nr) {
				stf__xfail(x, "out of memory");
				goto out;
			}
			req = nr;
			cap = ncap;
		}
		/* a site of stf_register_object() is created by its type name */
		const struct stf_meta_unit *su;
		uint32_t sidx;
		const char *type = "";
		if (stf_meta_find_site(src->meta, o->id, &su, &sidx) < 0)
			type = stf__arena_strdup(x->arena, stf__type_str(du, strip(du, dt), tn,
									  sizeof(tn)));
		req[n++] = (struct sub_req){ d.addr, dsize, o->dyn_id, dsite, type ? type : "" };
	}
	if (x->dst->self) {
		for (size_t k = 0; k < n; k++)
			if (register_here(x, &req[k]) < 0)
				goto out;
	} else if (n && remote_register(x, req, n) < 0) {
		goto out;
	}
	rc = 0;
out:
	stf__raw_free(req);
	return rc;
}

int stf__serve_subs(const uint8_t *p, uint32_t len, char *err, size_t errlen)
{
	size_t pos = 0;
	char site[512], type[256];
	while (pos < len) {
		struct sub_req r;
		uint32_t sl, tl;
		if (len - pos < 32)
			goto bad;
		memcpy(&r.addr, p + pos, 8);
		memcpy(&r.size, p + pos + 8, 8);
		memcpy(&r.id, p + pos + 16, 8);
		memcpy(&sl, p + pos + 24, 4);
		memcpy(&tl, p + pos + 28, 4);
		if (sl >= sizeof(site) || tl >= sizeof(type) || len - pos - 32 < (uint64_t)sl + tl)
			goto bad;
		memcpy(site, p + pos + 32, sl);
		site[sl] = 0;
		memcpy(type, p + pos + 32 + sl, tl);
		type[tl] = 0;
		uint32_t n = local_site(site, type);
		if (!n) {
			snprintf(err, errlen, "allocation site %.200s unknown in the reversed version",
				 site);
			return -1;
		}
		if (stf__sub_register(r.addr, r.size, n, r.id) < 0) {
			snprintf(err, errlen, "out of memory registering a sub-object of %.200s",
				 site);
			return -1;
		}
		pos += 32 + sl + tl;
	}
	return 0;
bad:
	snprintf(err, errlen, "malformed sub-object registration from the future version");
	return -1;
}
