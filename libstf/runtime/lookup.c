/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lookup.c - stf_lookup (stf.h): which object, of which type, an address
 * points into: a block of the heap region from its span, anything else
 * from a sorted index of the static objects and the slots, rebuilt when
 * a slot changed; and the walk over every tracked object.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "heap.h"
#include "index.h"
#include "respawn.h"
#include "stf-format.h"
#include "stf.h"
#include "subobjects.h"
#include "units.h"

/* ------------------------------------------------------------------ */
/* stf_lookup: a sorted index of the other objects, rebuilt when a slot
 * changed since the last lookup.                                         */

#define STATIC_BIT (1ULL << 63)
static struct stf_index lookup_index = STF_INDEX_INIT;

EXPORT const struct stf_unit *const *stf__units(size_t *n)
{
	*n = stf__exe_nunits;
	return stf__exe_units;
}

static int rebuild_index_locked(void)
{
	atomic_store(&stf__heap_changed, 0);
	stf__index_reset(&lookup_index);
	for (size_t k = 0; k < stf__exe_nunits; k++) {
		const struct stf_blob_hdr *b = stf__unit_blob(stf__exe_units[k]);
		const struct stf_object_rec *objs = (const void *)((const char *)b + b->objects.off);
		uint64_t n = stf__exe_units[k]->nobjects < b->objects.count ? stf__exe_units[k]->nobjects : b->objects.count;
		for (uint32_t i = 0; i < n; i++) {
			if ((objs[i].flags & STF_OF_TLS) || !objs[i].size || !stf__exe_units[k]->addrs[i])
				continue;
			if (stf__index_add(&lookup_index, stf_unit_addr(stf__exe_units[k], i), objs[i].size,
					   STATIC_BIT | (uint64_t)k << 32 | i) < 0)
				return -1;
		}
	}
	uint64_t high = stf__root.slot_high;  /* the heap region's blocks: stf__heap_block */
	for (uint64_t i = 1; i < high; i++) {
		const struct stf_slot *s = slot_at((uint32_t)i);
		if (s->kind != STF_SLOT_FREE && s->addr &&
		    stf__index_add(&lookup_index, s->addr, s->size, i) < 0)
			return -1;
	}
	stf__index_sort(&lookup_index, NULL, NULL);
	return 0;
}

/* Name of a type of a unit, C spelling, for stf_lookup. */
static void type_name(const struct stf_blob_hdr *b, uint32_t t, char *buf, size_t len, int depth)
{
	const struct stf_type_rec *types = (const void *)((const char *)b + b->types.off);
	const char *strtab = (const char *)b + b->strtab.off;
	if (t >= b->types.count || depth > 8) {
		snprintf(buf, len, "?");
		return;
	}
	const struct stf_type_rec *r = &types[t];
	const char *name = stf__blob_str(strtab, b->strtab.count, r->name);
	size_t l;
	switch (r->kind) {
	case STF_K_STRUCT: snprintf(buf, len, "struct %s", name); break;
	case STF_K_UNION: snprintf(buf, len, "union %s", name); break;
	case STF_K_ENUM: snprintf(buf, len, "enum %s", name); break;
	case STF_K_POINTER:
		type_name(b, r->target, buf, len, depth + 1);
		l = strlen(buf);
		snprintf(buf + l, len - l, " *");
		break;
	case STF_K_ARRAY:
		type_name(b, r->target, buf, len, depth + 1);
		l = strlen(buf);
		snprintf(buf + l, len - l, " [%llu]", (unsigned long long)r->count);
		break;
	case STF_K_VOID: snprintf(buf, len, "void"); break;
	default: snprintf(buf, len, "%s", name); break;
	}
}

static uint64_t type_size(const struct stf_blob_hdr *b, uint32_t t)
{
	const struct stf_type_rec *types = (const void *)((const char *)b + b->types.off);
	return t < b->types.count ? types[t].size : 0;
}

/* info's id, type and count from a heap object's site (slot: its slot
 * index, 0 for a block of the heap region). */
static void describe_site(struct stf_object_info *info, uint32_t site, uint32_t slot)
{
	static __thread char id_buf[192], type_buf[128];
	stf__site_describe(site, id_buf, sizeof id_buf);
	info->id = id_buf;
	if (!site || site >= stf__root.nsites)
		return;
	const struct stf_site_ref *ref = &stf__sites[site];
	if (ref->kind == STF_SITE_PLUGIN) {
		const char *strtab;
		uint32_t strsize;
		const struct stf_blob_hdr *b;
		const struct stf_site_rec *rec = stf__plugin_site(ref, &strtab, &strsize, &b);
		if (rec && rec->type != STF_NONE) {
			type_name(b, rec->type, type_buf, sizeof type_buf, 0);
			info->type = type_buf;
			uint64_t es = type_size(b, rec->type);
			info->count = es ? info->size / es : 1;
		}
	} else if (ref->kind == STF_SITE_USER) {
		info->type = ref->type_name[0] ? ref->type_name : NULL;
		pthread_mutex_lock(&stf__region_lock);
		for (size_t i = 0; slot && i < stf__nregions; i++)
			if (stf__regions[i].slot == slot)
				info->count = stf__regions[i].count;
		pthread_mutex_unlock(&stf__region_lock);
	}
}

EXPORT int stf_lookup(const void *addr, struct stf_object_info *info)
{
	static __thread char type_buf[128];
	if (!info) {
		errno = EINVAL;
		return -1;
	}
	ensure_tables();
	stf__sub_flush();
	pthread_mutex_lock(&stf__lookup_lock);
	if (atomic_load(&stf__heap_changed) && rebuild_index_locked() < 0) {
		atomic_store(&stf__heap_changed, 1);
		pthread_mutex_unlock(&stf__lookup_lock);
		errno = ENOMEM;
		return -1;
	}
	/* sub-objects (slots) first: they lie inside heap blocks */
	const struct stf_range *r = stf__index_find(&lookup_index, (uintptr_t)addr, 0);
	struct stf_block_info blk;
	if (!r) {
		pthread_mutex_unlock(&stf__lookup_lock);
		if (!stf__heap_block(addr, &blk)) {
			errno = ENOENT;
			return -1;
		}
		memset(info, 0, sizeof *info);
		info->base = (void *)(uintptr_t)blk.start;
		info->size = blk.size;
		info->offset = (uintptr_t)addr - blk.start;
		info->count = 1;
		info->dyn_id = blk.id;
		describe_site(info, blk.site, 0);
		return 0;
	}
	memset(info, 0, sizeof *info);
	info->base = (void *)(uintptr_t)r->start;
	info->size = r->size;
	info->offset = (uintptr_t)addr - r->start;
	info->count = 1;
	uint64_t v = r->value;
	pthread_mutex_unlock(&stf__lookup_lock);

	if (v & STATIC_BIT) {
		const struct stf_blob_hdr *b = stf__unit_blob(stf__exe_units[(v >> 32) & 0x7fffffff]);
		const struct stf_object_rec *o =
			(const struct stf_object_rec *)((const char *)b + b->objects.off) + (uint32_t)v;
		info->id = stf__blob_str((const char *)b + b->strtab.off, b->strtab.count, o->id);
		type_name(b, o->type, type_buf, sizeof type_buf, 0);
		info->type = type_buf;
		/* arrays: count the elements */
		const struct stf_type_rec *t = (const struct stf_type_rec *)((const char *)b + b->types.off);
		if (o->type < b->types.count && t[o->type].kind == STF_K_ARRAY && t[o->type].count)
			info->count = t[o->type].count;
		return 0;
	}
	const struct stf_slot *s = slot_at((uint32_t)v);
	info->dyn_id = s->id;
	describe_site(info, s->site, (uint32_t)v);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The walk over every tracked object.                                    */

struct each_ctx {
	int (*fn)(void *ctx, uint64_t addr, uint64_t size, uint32_t kind);
	void *ctx;
};

static int each_block(void *ctx, uint64_t addr, const struct stf_obj_meta *m, uint64_t size)
{
	(void)m;
	const struct each_ctx *e = ctx;
	return e->fn(e->ctx, addr, size, STF_SLOT_HEAP);
}

EXPORT int stf__objects_each(int (*fn)(void *ctx, uint64_t addr, uint64_t size, uint32_t kind),
		      void *ctx)
{
	struct each_ctx e = { fn, ctx };
	stf__sub_flush();
	int r = stf__spans_each(each_block, &e);
	for (uint64_t i = 1; !r && i < stf__root.slot_high; i++) {
		const struct stf_slot *s = slot_at((uint32_t)i);
		if (STF_SLOT_KIND(s->kind) != STF_SLOT_FREE && s->addr)
			r = fn(ctx, s->addr, s->size, STF_SLOT_KIND(s->kind));
	}
	return r;
}
