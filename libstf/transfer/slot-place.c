/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slot-place.c - the objects of a rebuilt slab (slots.c decides which)
 * get their slots: allocated by the destination's own allocator from the
 * destination's slab (in this process, or by the reversed version on the
 * way back), registered there with their dynamic IDs, and the new slab
 * takes the old one's identity and links.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "remote.h"
#include "scratch.h"
#include "slots.h"
#include "subobjects.h"
#include "xfer.h"

/*
 * Forward: the new version's slab keeps its own allocator state, but not
 * its links to the rest of the program: a pointer member whose old value
 * leads outside the old slab's state (libusual's ring of every slab
 * through a static head) takes that value, relocated, so the new slab
 * sits where the old one was among the program's objects; pointers into
 * the old slab's state (its chunks, free list, objects, itself) keep the
 * new slab's values.  Only when the slab's type is the same in both
 * versions (else its own values stay).
 */
static int adopt_links(struct stf_xfer *x, const struct stf_slot_group *g)
{
	const struct stf_obj *co = &x->src->objs[g->cache], *dc = &x->dst->objs[g->dcache];
	struct stf_ptr_walk w = { 0 };
	const struct stf_leaf *f;
	uint64_t v;
	if (!co->bytes || !co->unit || !dc->unit || co->size != dc->size ||
	    T(co->unit, strip(co->unit, co->type))->hash != T(dc->unit, strip(dc->unit, dc->type))->hash)
		return 0;
	int r = stf__ptr_walk_start(&w, x->layouts, co, 1u << STF_LEAF_PTR);
	if (r <= 0)
		return r;
	while (stf__ptr_walk_next(&w, &f, &v)) {
		const struct stf_obj *t = v ? stf__peer_find(x->src, v) : NULL;
		if (!t || t == co)
			continue;
		size_t k = (size_t)(t - x->src->objs);
		if (x->pair[k].dst == PAIR_NONE || x->pair[k].moved == SUB_SLOT ||
		    (t->container && x->pair[t->container - 1].dst == PAIR_NONE))
			continue; /* the old slab's own state */
		uint64_t out;
		if (stf__xfer_relocate(x, v, &out) < 0)
			return -1;
		memcpy((uint8_t *)(uintptr_t)dc->addr + w.e * w.l->size + f->off, &out, 8);
	}
	return 0;
}

/* Source object i of sized group g, of `size` bytes in the destination,
 * fits in none of the destination's classes: -1 (reported). */
static int no_class(struct stf_xfer *x, const struct stf_slot_group *g, size_t i, uint64_t size)
{
	char on[256];
	stf__xfail(x, "%s takes %" PRIu64 " bytes in the %s version, more than the slots of "
		   "any class of %s", stf__obj_name(&x->src->objs[i], on, sizeof(on)), size,
		   x->dir == STF_FORWARD ? "new" : "old", x->src->objs[g->cache].id);
	return -1;
}

/* Forward: allocate in this process from its own slab (a size-class
 * allocator: asked for the object's size there, stf__slot_request). */
static int place_here(struct stf_xfer *x, const struct stf_slot_group *g, size_t i,
		      uint64_t request, uint64_t *addr)
{
	/* (an integer argument is passed in the same register as a
	 * pointer) */
	void *(*alloc)(void *, void *) = (void *(*)(void *, void *))(uintptr_t)g->fn;
	uint64_t class = stf__slot_class_arg(g, request);
	char on[256];
	if (class == UINT64_MAX)
		return no_class(x, g, i, request);
	void *p = alloc((void *)(uintptr_t)(g->sized ? request : g->darg), (void *)(uintptr_t)class);
	if (!p) {
		stf__xfail(x, "%s: the new version's slab allocator returned NULL",
		      stf__obj_name(&x->src->objs[i], on, sizeof(on)));
		return -1;
	}
	*addr = (uint64_t)(uintptr_t)p;
	return 0;
}

/* Backward: ask the reversed version to allocate group g's objects
 * items[0..n) from its own slab; their addresses into addrs. */
static int place_remote(struct stf_xfer *x, const struct stf_slot_group *g, const size_t *items,
			size_t n, uint64_t *addrs)
{
	uint8_t *buf = stf__scratch(SCRATCH_SLAB_PLACE);
	const struct stf_obj *cache = &x->src->objs[g->cache];
	size_t k = 0, ids_sent = 0;
	const uint64_t *state_ids;
	size_t nstate = stf__slot_state_ids(&state_ids);
	if (!buf) {
		stf__xfail(x, "no memory for a transfer message buffer");
		return -1;
	}
	do {
		/* a static slab (dynamic ID 0) keeps its identity: its ID */
		uint64_t fn = g->fn, arg = g->darg, id = cache->dyn_id;
		uint64_t sized = g->sized ? 1u + (unsigned)g->by_class : 0; /* (the arguments) */
		uint64_t member_len = g->sized ? 0 : g->len; /* (sized: keep_remote_classes) */
		uint32_t nids = 0, cnt = 0;
		size_t pos = 56;
		while (ids_sent + nids < nstate && pos + 8 <= MSG_MAX / 2) {
			memcpy(buf + pos, &state_ids[ids_sent + nids], 8);
			pos += 8;
			nids++;
		}
		for (; k < n; k++, cnt++) {
			const struct stf_obj *o = &x->src->objs[items[k]];
			const char *site = stf__site_dst_id(x, o->id);
			const struct stf_meta_unit *du;
			uint32_t dt, sl = (uint32_t)strlen(site);
			uint64_t size = stf__slot_dst_size(x, o, &du, &dt);
			uint64_t request = stf__slot_request(o, size, du, dt);
			uint64_t class = stf__slot_class_arg(g, request);
			if (class == UINT64_MAX)
				return no_class(x, g, items[k], request);
			if (pos + 36 + sl > MSG_MAX)
				break;
			memcpy(buf + pos, &size, 8);
			memcpy(buf + pos + 8, &o->dyn_id, 8);
			memcpy(buf + pos + 16, &request, 8);
			memcpy(buf + pos + 24, &class, 8);
			memcpy(buf + pos + 32, &sl, 4);
			memcpy(buf + pos + 36, site, sl);
			pos += 36 + sl;
		}
		memcpy(buf, &fn, 8);
		memcpy(buf + 8, &arg, 8);
		memcpy(buf + 16, &id, 8);
		memcpy(buf + 24, &nids, 4);
		memcpy(buf + 28, &cnt, 4);
		memcpy(buf + 32, &member_len, 8);
		memcpy(buf + 40, &g->dslab, 8);
		memcpy(buf + 48, &sized, 8);
		ids_sent += nids;
		uint32_t type, len;
		if (stf__msg_send(x->conn, M_SLOTS, buf, (uint32_t)pos) < 0 ||
		    stf__msg_recv(x->conn, &type, buf, &len) < 0) {
			stf__xfail(x, "backward transfer: connection to the reversed version lost "
			      "while allocating from its slab: %s", strerror(errno));
			return -1;
		}
		if (type == M_ERROR) {
			stf__xfail(x, "reversed version: %.*s", (int)len, (const char *)buf);
			return -1;
		}
		if (type != M_ADDRS || len != cnt * 8u) {
			stf__xfail(x, "backward transfer: malformed reply from the reversed version");
			return -1;
		}
		if (cnt)
			memcpy(addrs + (k - cnt), buf, len);
	} while (k < n || ids_sent < nstate);
	return 0;
}

/* Backward: the reversed version's classes of sized group g keep their
 * state, which its differencing must not compare (a request allocating
 * nothing per class, for that member). */
static int keep_remote_classes(struct stf_xfer *x, const struct stf_slot_group *g)
{
	struct stf_slot_group class = *g;
	class.sized = 0;
	class.len = g->dlen;
	for (uint64_t k = 0; k < STF_SLOT_CLASSES_MAX; k++) {
		class.dslab = x->dst->objs[g->dcache].addr + k * g->dlen;
		if (((g->classes | g->placed) >> k & 1) && place_remote(x, &class, NULL, 0, NULL) < 0)
			return -1;
	}
	return 0;
}

int stf__place_slots(struct stf_xfer *x)
{
	struct stf_peer *src = x->src;
	size_t *items = NULL;
	uint64_t *addrs = NULL;
	int rc = -1;
	struct stf_slot_group *groups;
	size_t ngroups = stf__slot_groups(&groups);

	if (!ngroups)
		return 0;
	items = stf__raw_malloc((src->nobjs + 1) * sizeof(*items));
	addrs = stf__raw_malloc((src->nobjs + 1) * sizeof(*addrs));
	if (!items || !addrs) {
		stf__xfail(x, "out of memory");
		goto out;
	}
	for (size_t gi = 0; gi < ngroups; gi++) {
		struct stf_slot_group *g = &groups[gi];
		size_t n = 0;
		for (size_t i = 0; i < src->nobjs; i++)
			if (x->pair[i].moved == SUB_SLOT && !strcmp(src->objs[i].id, g->site))
				items[n++] = i;
		uint8_t *classes = g->sized ? stf__slot_class_before(x, g) : NULL;
		if ((g->sized && !classes) ||
		    (!x->dst->self && place_remote(x, g, items, n, addrs) < 0))
			goto out;
		for (size_t k = 0; k < n; k++) {
			size_t i = items[k];
			const struct stf_obj *o = &src->objs[i];
			const struct stf_meta_unit *du;
			uint32_t dt;
			uint64_t size = stf__slot_dst_size(x, o, &du, &dt);
			if (x->dst->self &&
			    place_here(x, g, i, stf__slot_request(o, size, du, dt), &addrs[k]) < 0)
				goto out;
			struct stf_obj d = *o;
			d.addr = addrs[k];
			d.size = size;
			d.unit = du;
			d.type = dt;
			d.bytes = NULL;
			d.container = 0;
			int64_t j = stf__dst_add(x, &d);
			if (j < 0) {
				stf__xfail(x, "out of memory");
				goto out;
			}
			if (x->dst->self) {
				x->img[j] = (uint8_t *)(uintptr_t)d.addr;
				memset(x->img[j], 0, size);
				uint32_t site = stf__site_by_id(stf__site_dst_id(x, o->id));
				if (!site || stf__sub_register(d.addr, size, site, o->dyn_id) < 0) {
					stf__xfail(x, "cannot register %s in its new slot",
					      stf__site_dst_id(x, o->id));
					goto out;
				}
			} else {
				x->img[j] = stf__arena_alloc(x->arena, size ? size : 1);
			}
			if (!x->img[j]) {
				stf__xfail(x, "out of memory");
				goto out;
			}
			struct pairing *p = &x->pair[i];
			p->dst = j;
			p->dst_addr = d.addr;
			p->scheduled = 1;
			p->same = T(o->unit, strip(o->unit, o->type))->hash == T(du, strip(du, dt))->hash &&
				  o->size == size;
			x->rep->dynamic_objects++;
		}
		if (g->sized && (stf__slot_class_placed(x, g, classes) < 0 ||
				 (!x->dst->self && keep_remote_classes(x, g) < 0)))
			goto out;
		if (x->dir == STF_FORWARD) {
			/* the new slab stands for the old one (and the way back
			 * finds it again) */
			const struct stf_obj *dc = &x->dst->objs[g->dcache];
			if (dc->kind == STF_OBJ_HEAP && !stf__heap_set_id((void *)(uintptr_t)dc->addr, src->objs[g->cache].dyn_id)) {
				stf__xfail(x, "cannot give the new version's slab at 0x%" PRIx64
				      " the old slab's identity", dc->addr);
				goto out;
			}
			if (!g->len && adopt_links(x, g) < 0)
				goto out;
			stf__slot_keep(x, g);
			fprintf(stderr, "libstf: forward transfer: %zu object%s of %s moved to "
				"slots of the new version's slab\n", n, n == 1 ? "" : "s", g->site);
		}
		/* a slab that is a member of a static: its state now, which the
		 * transfer of the static must leave */
		if (g->len && !g->sized && (!(g->kept = stf__arena_alloc(x->arena, g->len)) ||
			       stf__peer_read(x->dst, g->dslab, g->kept, g->len) < 0)) {
			stf__xfail(x, "cannot read the %s version's slab of %s",
				   x->dir == STF_FORWARD ? "new" : "old", g->site);
			goto out;
		}
	}
	rc = 0;
out:
	stf__raw_free(items);
	stf__raw_free(addrs);
	return rc;
}

void stf__slot_keep_caches(struct stf_xfer *x)
{
	struct stf_slot_group *groups;
	size_t ngroups = stf__slot_groups(&groups);
	for (size_t gi = 0; gi < ngroups; gi++) {
		const struct stf_slot_group *g = &groups[gi];
		if (!x->img[g->dcache])
			continue;
		if (g->sized) {
			for (uint64_t k = 0; k < STF_SLOT_CLASSES_MAX; k++)
				if ((g->classes | g->placed) >> k & 1)
					memcpy(x->img[g->dcache] + k * g->dlen, g->kept + k * g->dlen,
					       g->dlen);
		} else if (g->len) {
			memcpy(x->img[g->dcache] + (g->dslab - x->dst->objs[g->dcache].addr), g->kept,
			       g->len);
		}
	}
}
