/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * glib-arrays.c - GLib's GArray (and GByteArray) of the program's structs.
 *
 * `g_array_new (FALSE, TRUE, sizeof (struct rec))` keeps its elements in
 * a block GLib allocated (an untyped block, kept at its address) and their
 * size in its private header, GRealArray, which the program never sees:
 * carried as bytes, a struct that grows in the new version would be read
 * with the new stride from elements of the old one, and appended after
 * them at GLib's old element size.  The program says what the elements
 * are where it reads them: `g_array_index (a, struct rec, i)` casts the
 * public `gchar *data` member, which the plugin records like a `void *`
 * member's use (gcc-plugin/member-uses.cc), per path (the static `recs`,
 * the member `conn.queue`).  So each GArray a typed `GArray *` pointer
 * reaches gets the one struct type the records of its path say, when that
 * type is GLib's element size: its block of elements is typed as an array
 * of it (converted, relocated like any typed block, its data pointer in
 * the header relocated like a typed pointer), and the header, kept at its
 * address, gets the new element size (stf__garray_headers_follow); the
 * capacity, a count of elements, stays.  The reversed version does the
 * same the other way.
 *
 * GRealArray is private: its layout is GLib 2.74's (garray.c: data, len,
 * elt_capacity, elt_size, the zero_terminated and clear bits), checked on
 * this machine's GLib; another GLib refuses the update when a GArray may
 * hold a struct that changes, as does a header that does not look like
 * one, a GArray with several struct types recorded and none of its
 * element size, or with none recorded while its elements have the size of
 * a struct that changes (the update rolls back naming the array).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "glib-arrays.h"
#include "remote.h"
#include "untyped.h"

/* GRealArray in GLib 2.74: the offsets of its members, and the GLib. */
enum {
	GA_DATA = 0,
	GA_LEN = 8,
	GA_CAPACITY = 12,
	GA_ELT_SIZE = 16,
	GA_FLAGS = 20,    /* zero_terminated: bit 0, clear: bit 1 (the other
	                     bits of that word are never written) */
	GA_REFS = 24,     /* ref_count, at least 1 while the array lives */
	GA_HEADER = 28,   /* the bytes read */
};
#define GA_KNOWN_MINOR 74u

static const char glib_prefix[] = "libglib-2.0.so";

int stf__peer_glib(struct stf_peer *p, unsigned *minor)
{
	for (size_t i = 0; i < p->nlibs; i++) {
		const char *b = strrchr(p->libs[i].path, '/');
		b = b ? b + 1 : p->libs[i].path;
		if (strncmp(b, glib_prefix, sizeof(glib_prefix) - 1))
			continue;
		uint64_t maj = stf__peer_symbol_addr(p, b, "glib_major_version");
		uint64_t min = stf__peer_symbol_addr(p, b, "glib_minor_version");
		uint32_t vmaj = 0, vmin = 0;
		*minor = 0;
		if (maj && min && stf__peer_initial_bytes(p, maj, &vmaj, 4) == 0 &&
		    stf__peer_initial_bytes(p, min, &vmin, 4) == 0 && vmaj == 2)
			*minor = vmin;
		return 1;
	}
	return 0;
}

/* GLib's array structs a typed pointer may point to: the struct type of
 * leaf f's pointee in *st, and its `data` member's record number + 1 in
 * *data (0 if f points to none). */
static void array_pointee(const struct stf_leaf *f, uint32_t *st, uint32_t *data)
{
	*data = 0;
	if (!f->unit || f->type >= f->unit->ntypes)
		return;
	uint32_t t = strip(f->unit, f->type);
	const struct stf_type_rec *r = T(f->unit, t);
	if (r->kind != STF_K_STRUCT || !r->name)
		return;
	const char *tag = stf_meta_str(f->unit, r->name);
	if (strcmp(tag, "_GArray") && strcmp(tag, "_GByteArray"))
		return;
	for (uint32_t i = 0; i < r->nmembers; i++)
		if (!strcmp(stf_meta_str(f->unit, f->unit->members[r->members + i].name), "data")) {
			*st = t;
			*data = r->members + i + 1;
			return;
		}
}

/* One typed pointer to a GArray header, while they are collected. */
struct array_ref {
	uint64_t addr;
	struct stf_use_path path;
	struct stf_leaf leaf;   /* the header's `data` member, as a member leaf */
	size_t holder;          /* the block holding the header */
	const char *name;
};

static int by_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int by_addr(const void *a, const void *b)
{
	uint64_t x = ((const struct array_ref *)a)->addr, y = ((const struct array_ref *)b)->addr;
	return x < y ? -1 : x > y;
}

/* The pointer's name for messages: its object and member path. */
static const char *ref_name(struct stf_peer *p, const struct stf_obj *o, uint64_t off)
{
	char buf[512], on[256];
	uint32_t lt;
	snprintf(buf, sizeof(buf), "%s", stf__obj_name(o, on, sizeof(on)));
	stf__type_path(o->unit, o->type, stf__elem_off(o, off), buf, sizeof(buf), &lt);
	return stf__arena_strdup(p->arena, buf);
}

/* The typed pointers of p to GLib array headers, in *out (raw memory),
 * sorted by address: how many, or -1 out of memory. */
static long collect_refs(struct stf_peer *p, struct stf_layouts *layouts,
			 struct array_ref **out)
{
	struct array_ref *refs = NULL;
	size_t n = 0, cap = 0;
	struct stf_ptr_walk w = { 0 };

	for (size_t i = 0; i < p->nobjs; i++) {
		int rc = stf__ptr_walk_start(&w, layouts, &p->objs[i], 1u << STF_LEAF_PTR);
		const struct stf_leaf *f;
		uint64_t v;
		if (rc < 0)
			goto oom;
		while (rc && stf__ptr_walk_next(&w, &f, &v)) {
			uint32_t st, data;
			array_pointee(f, &st, &data);
			if (!data || !v)
				continue;
			const struct stf_range *r = stf__index_find(&p->index, v, 0);
			const struct stf_obj *h = r ? &p->objs[r->value] : NULL;
			if (!h || h->unit || !h->bytes || v + GA_HEADER > h->addr + h->size)
				continue;
			if (n == cap) {
				struct array_ref *g = stf__raw_realloc(refs, (cap = cap ? 2 * cap : 16) *
								       sizeof(*g));
				if (!g)
					goto oom;
				refs = g;
			}
			struct array_ref *a = &refs[n++];
			memset(a, 0, sizeof(*a));
			a->addr = v;
			a->path = stf__pointer_path(w.o, f, w.count);
			a->leaf.kind = STF_LEAF_PTR;
			a->leaf.unit = f->unit;
			a->leaf.owner = st;
			a->leaf.member = data;
			a->holder = r->value;
			a->name = ref_name(p, w.o, w.e * w.l->size + f->off);
			if (!a->name)
				goto oom;
		}
	}
	qsort(refs, n, sizeof(*refs), by_addr);
	*out = refs;
	return (long)n;
oom:
	stf__raw_free(refs);
	return -1;
}

/* The struct type the records of m give the elements of a GArray whose
 * `data` member is leaf f, reached through path (of several, the one of
 * elt_size bytes): its state. */
static enum stf_garray_state element_type(const struct stf_meta *m, const struct stf_leaf *f,
					  const struct stf_use_path *path, uint32_t elt_size,
					  const struct stf_meta_unit **u, uint32_t *t)
{
	struct stf_use_block b = { .size = elt_size };
	unsigned n = stf__member_uses(m, f, path, NULL, u, t);
	if (!n)
		return STF_GA_BYTES;
	if (n == 2 && stf__member_uses(m, f, path, &b, u, t) != 1)
		return STF_GA_SEVERAL;
	stf__complete_type(m, u, t);
	*t = stf_meta_strip_typedefs(*u, *t);
	return (*u)->types[*t].size == elt_size ? STF_GA_TYPED : STF_GA_MISFIT;
}

/* g's elements' block, if any, typed as an array of its element type. */
static void type_block(struct stf_peer *p, struct stf_garray *g)
{
	const struct stf_range *r = g->data ? stf__index_find(&p->index, g->data, 0) : NULL;
	if (!r)
		return;
	g->block = r->value;
	p->objs[r->value].unit = g->unit;
	p->objs[r->value].type = g->type;
}

/* Read the header of g (from the block holding it) and check it is
 * GLib 2.74's: its element type decided, its block typed. */
static void decide(struct stf_peer *p, struct stf_garray *g, const struct array_ref *a)
{
	const struct stf_obj *h = &p->objs[a->holder];
	const uint8_t *b = h->bytes + (g->addr - h->addr);
	int32_t refs;
	memcpy(&g->data, b + GA_DATA, 8);
	memcpy(&g->len, b + GA_LEN, 4);
	memcpy(&g->capacity, b + GA_CAPACITY, 4);
	memcpy(&g->elt_size, b + GA_ELT_SIZE, 4);
	memcpy(&refs, b + GA_REFS, 4);
	g->block = SIZE_MAX;
	if (g->glib_minor != GA_KNOWN_MINOR) {
		/* the one type the records say, if any: the update needs no
		 * conversion when that one does not change */
		const struct stf_meta_unit *u;
		uint32_t t;
		g->state = STF_GA_LAYOUT;
		g->unit = NULL;
		if (stf__member_uses(p->meta, &a->leaf, &a->path, NULL, &u, &t) == 1) {
			stf__complete_type(p->meta, &u, &t);
			g->unit = u;
			g->type = stf_meta_strip_typedefs(u, t);
		}
		return;
	}
	const struct stf_range *r = g->data ? stf__index_find(&p->index, g->data, 0) : NULL;
	struct stf_obj *o = r ? &p->objs[r->value] : NULL;
	if (!g->elt_size || g->len > g->capacity || refs < 1 ||
	    (g->data && (!o || o->addr != g->data || o->kind != STF_OBJ_HEAP ||
			 (uint64_t)g->capacity * g->elt_size > o->size))) {
		g->state = STF_GA_MALFORMED;
		return;
	}
	g->leaf = a->leaf;
	g->path = a->path;
	g->state = element_type(p->meta, &g->leaf, &g->path, g->elt_size, &g->unit, &g->type);
	if (g->state == STF_GA_TYPED)
		type_block(p, g);
}

int stf__glib_arrays_find(struct stf_peer *p, struct stf_layouts *layouts)
{
	const struct stf_meta_unit *u;
	uint32_t t;
	unsigned minor;

	p->garrays = NULL;
	p->ngarrays = 0;
	if (!stf__peer_glib(p, &minor) || (stf_meta_find_type(p->meta, "struct _GArray", &u, &t) < 0 &&
				    stf_meta_find_type(p->meta, "struct _GByteArray", &u, &t) < 0))
		return 0;
	struct array_ref *refs;
	long n = collect_refs(p, layouts, &refs);
	if (n < 0)
		return -1;
	p->garrays = n ? stf__arena_alloc(p->arena, n * sizeof(*p->garrays)) : NULL;
	if (n && !p->garrays) {
		stf__raw_free(refs);
		return -1;
	}
	for (long i = 0; i < n; i++) {
		struct array_ref *a = &refs[i];
		/* reached through several paths: the records of all apply */
		long k = i;
		while (k + 1 < n && refs[k + 1].addr == a->addr) {
			k++;
			if (a->path.hash != refs[k].path.hash || !a->path.name || !refs[k].path.name ||
			    strcmp(a->path.name, refs[k].path.name))
				a->path = (struct stf_use_path){ 0, NULL };
		}
		struct stf_garray *g = &p->garrays[p->ngarrays++];
		g->addr = a->addr;
		g->name = a->name;
		g->glib_minor = minor;
		decide(p, g, a);
		i = k;
	}
	stf__raw_free(refs);
	return 0;
}

/* The first GArray of p at addr or above (p->ngarrays if none). */
static size_t garray_from(const struct stf_peer *p, uint64_t addr)
{
	size_t lo = 0, hi = p->ngarrays;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->garrays[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The GArray at address addr of the source, NULL if none. */
static const struct stf_garray *garray_at(const struct stf_peer *p, uint64_t addr)
{
	size_t k = garray_from(p, addr);
	return k < p->ngarrays && p->garrays[k].addr == addr ? &p->garrays[k] : NULL;
}

int stf__garray_data_word(const struct stf_peer *src, uint64_t at, uint64_t v)
{
	const struct stf_garray *g = garray_at(src, at - GA_DATA);
	return g && g->state == STF_GA_TYPED && g->data == v && v;
}

/* The size of the destination's type named like the elements' type of
 * g: 0 if it has none. */
static uint64_t new_elt_size(struct stf_xfer *x, const struct stf_garray *g)
{
	const struct stf_meta_unit *du;
	uint32_t dt;
	if (g->block != SIZE_MAX && x->pair[g->block].dst >= 0) {
		const struct stf_obj *d = &x->dst->objs[x->pair[g->block].dst];
		if (d->unit)
			return T(d->unit, strip(d->unit, d->type))->size;
	}
	if (stf__dst_type_named(x, g->unit, g->type, &du, &dt) < 0)
		return 0;
	return T(du, strip(du, dt))->size;
}

int stf__garray_headers_follow(struct stf_xfer *x, size_t i, uint8_t *d)
{
	const struct stf_peer *p = x->src;
	const struct stf_obj *o = &p->objs[i];
	char tn[256];
	for (size_t k = garray_from(p, o->addr);
	     k < p->ngarrays && p->garrays[k].addr + GA_HEADER <= o->addr + o->size; k++) {
		const struct stf_garray *g = &p->garrays[k];
		if (g->state != STF_GA_TYPED)
			continue;
		uint64_t size = new_elt_size(x, g);
		if (!size || size > UINT32_MAX) {
			stf__xfail(x, "the GArray %s (GLib's block, elements of %s): the new version "
				   "has no such type; its elements cannot be converted",
				   g->name, stf__type_str(g->unit, g->type, tn, sizeof(tn)));
			return -1;
		}
		uint32_t s32 = (uint32_t)size, cap = g->capacity;
		if (g->block != SIZE_MAX) {
			/* the new block holds as many elements (or more) */
			uint64_t room = x->dst->objs[x->pair[g->block].dst].size / size;
			if (room < cap)
				cap = (uint32_t)room;
		}
		uint8_t *h = d + (g->addr - o->addr);
		memcpy(h + GA_ELT_SIZE, &s32, 4);
		memcpy(h + GA_CAPACITY, &cap, 4);
	}
	return 0;
}

/* Does the struct (u, t) change in the destination (its name in buf)? */
static int changes(struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t t, char *buf,
		   size_t len)
{
	return u && stf__struct_changed(u, t, x->dst->meta, buf, len);
}

/* Is type t of unit u a named struct of the program whose layout
 * changes (its name in buf)? */
static int changing_struct(struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t t,
			   char *buf, size_t len)
{
	const struct stf_type_rec *r = &u->types[t];
	return r->kind == STF_K_STRUCT && !(r->flags & (STF_TF_SYSTEM | STF_TF_INCOMPLETE)) &&
	       r->size && r->name && changes(x, u, t, buf, len);
}

/* A program struct of the old size elt_size whose layout changes (its
 * name in buf): 1 if there is one. */
int stf__changed_struct_of_size(struct stf_xfer *x, uint32_t elt_size, char *buf, size_t len)
{
	const struct stf_meta *m = x->src->meta;
	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *u = &m->units[k];
		for (uint32_t t = 0; t < u->ntypes; t++)
			if (u->types[t].size == elt_size && changing_struct(x, u, t, buf, len))
				return 1;
	}
	return 0;
}

/* A GArray the source's code never reads as a struct (it only appends
 * to it): the type the destination's code reads it as on the same path,
 * if the source has a struct of that name and of the array's element
 * size.  1 if so, the array then typed. */
static int typed_by_new_version(struct stf_xfer *x, struct stf_garray *g)
{
	const struct stf_meta_unit *du, *u;
	uint32_t dt, t;
	char name[256];
	if (element_type(x->dst->meta, &g->leaf, &g->path, 0, &du, &dt) == STF_GA_BYTES ||
	    !du || stf_meta_find_type(x->src->meta, stf__type_str(du, dt, name, sizeof(name)),
				      &u, &t) < 0)
		return 0;
	t = stf_meta_strip_typedefs(u, t);
	if (u->types[t].kind != STF_K_STRUCT || u->types[t].size != g->elt_size)
		return 0;
	g->unit = u;
	g->type = t;
	g->state = STF_GA_TYPED;
	type_block(x->src, g);
	return 1;
}

/* Is block o GLib's, untyped (a slice page, an array's elements)? */
static int glib_block(const struct stf_obj *o)
{
	return o->kind == STF_OBJ_HEAP && !o->unit && (o->flags & STF_OBJF_EXTERNAL) && o->id &&
	       !strncmp(o->id, glib_prefix, sizeof(glib_prefix) - 1);
}

/* Does the header at b (in a GLib block) look like a GRealArray whose
 * elements are block d, GLib's: as many as its capacity, in a block of
 * GLib's size (the capacity's bytes rounded up to a power of two, at
 * least 16, so less than an element more)? */
static int header_shape(const uint8_t *b, const struct stf_obj *d)
{
	uint32_t len, cap, esz;
	int32_t refs;
	memcpy(&len, b + GA_LEN, 4);
	memcpy(&cap, b + GA_CAPACITY, 4);
	memcpy(&esz, b + GA_ELT_SIZE, 4);
	memcpy(&refs, b + GA_REFS, 4);
	uint64_t bytes = (uint64_t)cap * esz;
	return esz && cap && len <= cap && refs >= 1 && bytes <= d->size &&
	       (d->size < bytes + esz || d->size == 16);
}

/* The old sizes of the program's structs whose layout changes, sorted,
 * in sizes[] (at most max; past that, every size counts): how many. */
static size_t changed_sizes(struct stf_xfer *x, uint32_t *sizes, size_t max, int *all)
{
	const struct stf_meta *m = x->src->meta;
	char tn[256];
	size_t n = 0;
	*all = 0;
	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *u = &m->units[k];
		for (uint32_t t = 0; t < u->ntypes; t++) {
			const struct stf_type_rec *r = &u->types[t];
			if (r->size > UINT32_MAX || !changing_struct(x, u, t, tn, sizeof(tn)))
				continue;
			size_t q = 0;
			while (q < n && sizes[q] < r->size)
				q++;
			if (q < n && sizes[q] == r->size)
				continue;
			if (n == max) {
				*all = 1;
				return n;
			}
			memmove(sizes + q + 1, sizes + q, (n - q) * sizeof(*sizes));
			sizes[q] = (uint32_t)r->size;
			n++;
		}
	}
	return n;
}

/* Forward, GLib 2.74: the GArrays no typed `GArray *` reaches (kept in
 * a GHashTable, behind a `void *`), found by their header's shape in
 * GLib's blocks, pointing to a block of GLib's: one whose elements have
 * the size of a struct that changes is refused (its element type cannot
 * be told).  0, or -1 (reported). */
static int check_unreached(struct stf_xfer *x)
{
	struct stf_peer *p = x->src;
	char tn[256], on[256];
	uint32_t sizes[64];
	int failed = 0, all;
	size_t nsizes = changed_sizes(x, sizes, 64, &all);
	if (!nsizes)
		return 0; /* no struct changes: the bytes stay right */
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *h = &p->objs[i];
		if (!glib_block(h) || !h->bytes)
			continue;
		for (uint64_t off = (8 - (h->addr & 7)) & 7; off + GA_HEADER <= h->size; off += 8) {
			uint64_t data;
			uint32_t esz;
			memcpy(&data, h->bytes + off, 8);
			memcpy(&esz, h->bytes + off + GA_ELT_SIZE, 4);
			/* the element size first: most words are no header */
			if (!data || !esz || (!all && !bsearch(&esz, sizes, nsizes, sizeof(*sizes),
							       by_u32)))
				continue;
			const struct stf_range *r = stf__index_find(&p->index, data, 0);
			const struct stf_obj *d = r ? &p->objs[r->value] : NULL;
			if (!d || d->addr != data || d == h || !glib_block(d) ||
			    !header_shape(h->bytes + off, d) || garray_at(p, h->addr + off))
				continue;
			if (!stf__changed_struct_of_size(x, esz, tn, sizeof(tn)))
				continue;
			x->failed = 0;
			stf__xfail(x, "a GArray at offset %" PRIu64 " of %s, which no typed GArray * "
				   "reaches (kept in another container or behind a `void *`), holds "
				   "elements of %" PRIu32 " bytes in %s, the size of %s, whose layout "
				   "changes in the new version: its element type cannot be "
				   "determined; keep a typed GArray * to it (a struct member) and read "
				   "it with g_array_index", off, stf__obj_name(h, on, sizeof(on)), esz,
				   d->id, tn);
			failed = 1;
		}
	}
	return failed ? -1 : 0;
}

int stf__check_glib_arrays(struct stf_xfer *x)
{
	struct stf_peer *p = x->src;
	char tn[256];
	int failed = 0;

	for (size_t k = 0; k < p->ngarrays; k++) {
		struct stf_garray *g = &p->garrays[k];
		/* backward the forward transfer has said it all */
		if ((g->state == STF_GA_BYTES && typed_by_new_version(x, g)) ||
		    x->dir != STF_FORWARD)
			continue;
		x->failed = 0; /* each array is a problem of its own */
		switch (g->state) {
		case STF_GA_TYPED:
			continue;
		case STF_GA_LAYOUT:
			if (g->unit && !changes(x, g->unit, g->type, tn, sizeof(tn)))
				continue;
			stf__xfail(x, "the GArray %s: GLib 2.%u, whose private GArray layout ttst "
				   "does not know (it knows GLib 2.%u's): its element size cannot be "
				   "read nor converted; run the versions with GLib 2.%u, or keep the "
				   "elements out of GLib's memory", g->name, g->glib_minor,
				   GA_KNOWN_MINOR, GA_KNOWN_MINOR);
			break;
		case STF_GA_MALFORMED:
			stf__xfail(x, "the GArray %s: its header (data 0x%" PRIx64 ", len %" PRIu32
				   ", capacity %" PRIu32 ", element size %" PRIu32 ") is not GLib "
				   "2.%u's GArray; its elements cannot be converted", g->name, g->data,
				   g->len, g->capacity, g->elt_size, GA_KNOWN_MINOR);
			break;
		case STF_GA_BYTES:
			if (!stf__changed_struct_of_size(x, g->elt_size, tn, sizeof(tn)))
				continue;
			stf__xfail(x, "the GArray %s holds elements of %" PRIu32 " bytes, the size of "
				   "%s, whose layout changes in the new version, and no code reads "
				   "them as a struct (g_array_index (a, struct T, i)) on that path: "
				   "the element type cannot be determined, its bytes would be kept "
				   "with GLib's old element size; read the elements with "
				   "g_array_index in the unit that keeps the array, or register a "
				   "callback (stf_on_object)", g->name, g->elt_size, tn);
			break;
		case STF_GA_SEVERAL:
			stf__xfail(x, "the GArray %s (elements of %" PRIu32 " bytes) is read as "
				   "several struct types (g_array_index) and none is its element "
				   "size: the element type cannot be determined and converted; read "
				   "it as one type on each path", g->name, g->elt_size);
			break;
		case STF_GA_MISFIT:
			if (!changes(x, g->unit, g->type, tn, sizeof(tn)))
				continue;
			stf__xfail(x, "the GArray %s holds elements of %" PRIu32 " bytes, but the "
				   "program reads them as %s (%" PRIu64 " bytes), which changes in the "
				   "new version: its elements cannot be converted", g->name,
				   g->elt_size, tn, T(g->unit, g->type)->size);
			break;
		}
		failed = 1;
	}
	unsigned minor;
	if (x->dir == STF_FORWARD && stf__peer_glib(p, &minor) && minor == GA_KNOWN_MINOR &&
	    check_unreached(x) < 0)
		failed = 1;
	return failed ? -1 : 0;
}
