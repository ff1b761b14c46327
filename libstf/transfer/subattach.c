/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * subattach.c - the catalog's sub-objects (see remote.h): what
 * STF_ALLOCATOR functions handed out and stf_register_object() registered
 * become objects of their own inside the catalog object that holds them
 * (metadata.c builds the catalog and calls this once its heap, mmap and
 * static objects are in; subobjects.c transfers them).
 */
#include <stdlib.h>

#include "alloc.h"
#include "remote.h"

static int by_container_then_addr(const void *a, const void *b)
{
	const struct stf_obj *x = a, *y = b;
	if (x->container != y->container)
		return x->container < y->container ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Sub-objects (slots of kind STF_SLOT_USER: what STF_ALLOCATOR functions
 * handed out, stf_register_object()) become objects of their own, each
 * inside the object that holds it, which becomes an untyped container.
 * Of two that overlap, the one registered last (the higher dynamic ID) is
 * the live one (a slab chunk handed out again as another size).  One
 * whose site has no type (`elts = pool_alloc(p, n * size)` into a
 * `void *`) is kept too: it is bytes of its container until the use of
 * the member pointing to it types it like a block of its own
 * (stf__peer_infer_types); see stf__untyped_sub. */
int stf__peer_attach_subs(struct stf_peer *p, const struct stf_slot *subs, size_t nsubs,
			  char *err, size_t errlen)
{
	struct stf_index ix = STF_INDEX_INIT;
	struct stf_obj *found = stf__raw_malloc(nsubs * sizeof(*found));
	size_t n = 0;
	int rc = -1;

	if (!found || stf__index_reserve(&ix, p->nobjs) < 0) {
		stf__fail(err, errlen, "out of memory cataloging sub-objects");
		goto out;
	}
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (o->size && (o->kind == STF_OBJ_HEAP || o->kind == STF_OBJ_MMAP ||
				o->kind == STF_OBJ_STATIC))
			stf__index_add(&ix, o->addr, o->size, i);
	}
	stf__index_sort(&ix, NULL, NULL);
	for (size_t k = 0; k < nsubs; k++) {
		const struct stf_slot *s = &subs[k];
		const struct stf_range *r = stf__index_find(&ix, s->addr, 0);
		struct stf_obj o = { 0 };
		if (!r || s->size > r->start + r->size - s->addr || s->site >= p->nsites ||
		    (p->objs[r->value].flags & STF_OBJF_INTERNAL))
			continue; /* registered outside any object: nothing holds it */
		o.addr = s->addr;
		o.size = s->size;
		o.dyn_id = s->id;
		o.site = s->site;
		o.kind = STF_OBJ_USER;
		o.id = p->site_ids[s->site];
		o.unit = p->site_unit[s->site];
		o.type = p->site_type[s->site];
		if (!*o.id)
			continue;
		if (!o.unit || o.type >= o.unit->ntypes) {
			o.unit = NULL;
			o.type = STF_NONE;
		}
		o.container = (uint32_t)r->value + 1;
		found[n++] = o;
	}
	qsort(found, n, sizeof(*found), by_container_then_addr);
	for (size_t k = 0; k < n;) {
		size_t c = found[k].container - 1, first = p->nobjs, last_end = 0;
		for (; k < n && found[k].container == c + 1; k++) {
			struct stf_obj *prev = p->nobjs > first ? &p->objs[p->nobjs - 1] : NULL;
			if (prev && found[k].addr < last_end) {
				if (found[k].dyn_id < prev->dyn_id)
					continue;
				p->nobjs--; /* the newer one replaces it */
			}
			if (stf__peer_add(p, &found[k]) == (size_t)-1) {
				stf__fail(err, errlen, "out of memory cataloging sub-objects");
				goto out;
			}
			last_end = found[k].addr + found[k].size;
		}
		struct stf_obj *container = &p->objs[c];
		container->flags |= STF_OBJF_CONTAINER;
		if (stf__peer_set_subs(p, c, first, p->nobjs - first) < 0) {
			stf__fail(err, errlen, "out of memory cataloging sub-objects");
			goto out;
		}
		container->unit = NULL; /* its own bytes have no type */
		container->type = STF_NONE;
	}
	rc = 0;
out:
	stf__index_free(&ix);
	stf__raw_free(found);
	return rc;
}
