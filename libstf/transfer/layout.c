/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * layout.c - the layout of a type (see remote.h): the leaves (bytes,
 * pointers, bit-fields...) the engine and the differ walk, cached per
 * type, and the member path of an offset for messages.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "remote.h"

/* ------------------------------------------------------------------ */
/* Layouts.                                                            */

struct layout_slot {
	const struct stf_meta_unit *unit;
	uint32_t type;
	struct stf_layout *layout;
};

struct stf_layouts {
	struct stf_arena *arena;
	struct layout_slot *slots;
	size_t n, cap;
	/* the last layout asked for: each step walks the objects one after
	 * the other, and neighbours are mostly of one type (a list, a
	 * table's entries), so most calls ask for the last one again */
	struct layout_slot last;
};

struct stf_layouts *stf__layouts_new(struct stf_arena *a)
{
	struct stf_layouts *c = stf__arena_alloc(a, sizeof(*c));
	if (c)
		c->arena = a;
	return c;
}

struct leaf_buf {
	struct stf_leaf *v;
	size_t n, cap;
	int oom;
};

static void leaf_push(struct leaf_buf *b, const struct stf_leaf *l)
{
	if (b->oom)
		return;
	/* merge adjacent plain bytes */
	if (l->kind == STF_LEAF_BYTES && b->n) {
		struct stf_leaf *p = &b->v[b->n - 1];
		if (p->kind == STF_LEAF_BYTES && p->off + p->size == l->off &&
		    p->addr_words == l->addr_words) {
			p->size += l->size;
			p->type = STF_NONE;
			return;
		}
	}
	if (b->n == b->cap) {
		size_t ncap = b->cap ? 2 * b->cap : 16;
		struct stf_leaf *n = stf__raw_realloc(b->v, ncap * sizeof(*n));
		if (!n) {
			b->oom = 1;
			return;
		}
		b->v = n;
		b->cap = ncap;
	}
	b->v[b->n++] = *l;
}

static int is_void_ptr(const struct stf_meta_unit *u, const struct stf_leaf *l)
{
	return l->kind == STF_LEAF_PTR && l->type < u->ntypes &&
	       u->types[stf_meta_strip_typedefs(u, l->type)].kind == STF_K_VOID;
}

/* Is type an array of n `void *` (its layout gave n leaves)? */
static int is_void_ptr_array(const struct stf_meta_unit *u, uint32_t type, size_t n)
{
	type = stf_meta_strip_typedefs(u, type);
	if (type >= u->ntypes || u->types[type].kind != STF_K_ARRAY || u->types[type].count != n)
		return 0;
	uint32_t et = stf_meta_strip_typedefs(u, u->types[type].target);
	if (et >= u->ntypes || u->types[et].kind != STF_K_POINTER)
		return 0;
	uint32_t pt = stf_meta_strip_typedefs(u, u->types[et].target);
	return pt < u->ntypes && u->types[pt].kind == STF_K_VOID;
}

/* Is type, as declared, an 8-byte integer named by the typedef uintptr_t
 * or intptr_t (at any step of its typedef chain)?  Programs keep addresses
 * in those, tagged pointers among them; other integers are numbers. */
static int is_address_int(const struct stf_meta_unit *u, uint32_t type)
{
	int named = 0;
	for (int depth = 0; depth < 16 && type < u->ntypes &&
	     u->types[type].kind == STF_K_TYPEDEF; depth++) {
		const char *name = u->types[type].name ? stf_meta_str(u, u->types[type].name) : "";
		named |= !strcmp(name, "uintptr_t") || !strcmp(name, "intptr_t");
		type = u->types[type].target;
	}
	return named && type < u->ntypes && u->types[type].kind == STF_K_INT &&
	       u->types[type].size == 8;
}

static void layout_walk(struct leaf_buf *b, const struct stf_meta_unit *u,
			uint32_t type, uint64_t base, unsigned mflags, int depth)
{
	struct stf_leaf l = { 0 };
	const struct stf_type_rec *t;
	uint32_t declared = type;

	type = stf_meta_strip_typedefs(u, type);
	if (type >= u->ntypes || depth > 64)
		return;
	t = &u->types[type];
	l.off = base;
	l.size = t->size;
	l.unit = u;
	l.type = type;
	if ((mflags & STF_MF_IXFER) || (t->flags & STF_TF_OPAQUE)) {
		leaf_push(b, &l);
		return;
	}
	switch (t->kind) {
	case STF_K_POINTER:
		l.kind = STF_LEAF_PTR;
		l.type = t->target;
		leaf_push(b, &l);
		return;
	case STF_K_INT:
		if ((mflags & STF_MF_PXFER) && t->size == 8)
			l.kind = STF_LEAF_PXFER;
		else
			/* any other word-sized integer may hold an address too
			 * (a free list threaded through dead objects' size_t) */
			l.addr_words = is_address_int(u, declared) ? STF_ADDR_TAGGED :
				       t->size == 8 ? STF_ADDR_EXACT : 0;
		leaf_push(b, &l);
		return;
	case STF_K_ARRAY: {
		uint32_t et = stf_meta_strip_typedefs(u, t->target);
		if (et >= u->ntypes)
			return;
		uint64_t esz = u->types[et].size;
		size_t before = b->n;
		if (!esz || !t->count)
			return; /* flexible: the object's trailing data, see xfer.c */
		/* the element type as declared: its typedef name counts */
		layout_walk(b, u, t->target, base, mflags, depth + 1);
		/* plain-data elements merge into one leaf: repeat cheaply */
		if (b->n == before + 1 && b->v[before].kind == STF_LEAF_BYTES &&
		    b->v[before].off == base && b->v[before].size == esz) {
			b->v[before].size = esz * t->count;
			b->v[before].type = STF_NONE;
			return;
		}
		for (uint64_t i = 1; i < t->count && !b->oom; i++)
			layout_walk(b, u, t->target, base + i * esz, mflags, depth + 1);
		return;
	}
	case STF_K_STRUCT:
		for (uint32_t i = 0; i < t->nmembers; i++) {
			const struct stf_member_rec *m = &u->members[t->members + i];
			if (m->bit_size) {
				struct stf_leaf bl = { 0 };
				bl.off = base + m->offset;
				bl.kind = STF_LEAF_BITS;
				bl.bit_off = m->bit_offset;
				bl.bit_size = m->bit_size;
				bl.size = (m->bit_offset + m->bit_size + 7) / 8;
				bl.unit = u;
				bl.type = m->type;
				leaf_push(b, &bl);
				continue;
			}
			size_t before = b->n;
			layout_walk(b, u, m->type, base + m->offset, m->flags, depth + 1);
			if (b->n == before + 1 && is_void_ptr(u, &b->v[before])) {
				b->v[before].owner = type;
				b->v[before].member = t->members + i + 1;
			} else if (b->n > before + 1 && is_void_ptr_array(u, m->type, b->n - before)) {
				/* user-data slots `void *ud[N]`: each element its own use */
				for (size_t e = before; e < b->n; e++) {
					b->v[e].owner = type;
					b->v[e].member = t->members + i + 1;
					b->v[e].element = (uint32_t)(e - before + 1);
				}
			}
		}
		return;
	case STF_K_UNION:
		/* annotated STF_PXFER where it is a member: a pointer or an
		 * integer, like an annotated integer */
		if (((mflags & STF_MF_PXFER) || stf__union_of_pointers(u, type)) && t->size == 8) {
			l.kind = STF_LEAF_PXFER;
			leaf_push(b, &l);
			return;
		}
		/* a member of its own annotated STF_PXFER: that member's word
		 * is a pointer or an integer, the other bytes plain data */
		for (uint32_t i = 0; i < t->nmembers; i++) {
			const struct stf_member_rec *m = &u->members[t->members + i];
			uint32_t mt = stf_meta_strip_typedefs(u, m->type);
			if (!(m->flags & STF_MF_PXFER) || m->bit_size || mt >= u->ntypes ||
			    u->types[mt].size != 8 || (uint64_t)m->offset + 8 > t->size)
				continue;
			struct stf_leaf w = l;
			if (m->offset) {
				w.size = m->offset;
				w.type = STF_NONE;
				leaf_push(b, &w);
			}
			w.off = base + m->offset;
			w.size = 8;
			w.type = mt;
			w.kind = STF_LEAF_PXFER;
			leaf_push(b, &w);
			if ((uint64_t)m->offset + 8 < t->size) {
				w.off = base + m->offset + 8;
				w.size = t->size - m->offset - 8;
				w.type = STF_NONE;
				w.kind = STF_LEAF_BYTES;
				leaf_push(b, &w);
			}
			return;
		}
		/* every member a function pointer: one function pointer */
		if ((t->flags & STF_TF_FUNCTIONS) && t->size == 8 && t->nmembers) {
			uint32_t mt = stf_meta_strip_typedefs(u, u->members[t->members].type);
			if (mt < u->ntypes && u->types[mt].kind == STF_K_POINTER) {
				l.kind = STF_LEAF_PTR;
				l.type = u->types[mt].target;
				leaf_push(b, &l);
				return;
			}
		}
		if (t->flags & STF_TF_AMBIGUOUS)
			l.kind = STF_LEAF_AMBIG;
		leaf_push(b, &l);
		return;
	default:
		leaf_push(b, &l);
		return;
	}
}

int stf__union_of_pointers(const struct stf_meta_unit *u, uint32_t type)
{
	uint32_t t = stf_meta_strip_typedefs(u, type);
	if (t >= u->ntypes || u->types[t].kind != STF_K_UNION || u->types[t].size != 8 ||
	    !u->types[t].nmembers)
		return 0;
	for (uint32_t i = 0; i < u->types[t].nmembers; i++) {
		const struct stf_member_rec *m = &u->members[u->types[t].members + i];
		uint32_t mt = stf_meta_strip_typedefs(u, m->type);
		if (m->bit_size || m->offset || mt >= u->ntypes || u->types[mt].kind != STF_K_POINTER)
			return 0;
		/* function pointers: by function ID (STF_TF_FUNCTIONS) */
		uint32_t pt = stf_meta_strip_typedefs(u, u->types[mt].target);
		if (pt < u->ntypes && u->types[pt].kind == STF_K_FUNCTION)
			return 0;
	}
	return 1;
}

/* The slot of (u, type) in c's table (cap > 0): its own, or the empty
 * one it would take. */
static size_t layout_slot(const struct stf_layouts *c, const struct stf_meta_unit *u,
			  uint32_t type)
{
	size_t h = ((uintptr_t)u * 31 + type) & (c->cap - 1);
	while (c->slots[h].layout && (c->slots[h].unit != u || c->slots[h].type != type))
		h = (h + 1) & (c->cap - 1);
	return h;
}

const struct stf_layout *stf__layout_made(const struct stf_layouts *c,
					  const struct stf_meta_unit *u, uint32_t type)
{
	return c->cap ? c->slots[layout_slot(c, u, type)].layout : NULL;
}

const struct stf_layout *stf__layout(struct stf_layouts *c,
				     const struct stf_meta_unit *u, uint32_t type)
{
	size_t h;

	if (c->last.layout && c->last.unit == u && c->last.type == type)
		return c->last.layout;
	if (c->n * 2 + 2 > c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 256;
		struct layout_slot *ns = stf__arena_alloc(c->arena, ncap * sizeof(*ns));
		if (!ns)
			return NULL;
		for (size_t i = 0; i < c->cap; i++) {
			if (!c->slots[i].layout)
				continue;
			h = ((uintptr_t)c->slots[i].unit * 31 + c->slots[i].type) & (ncap - 1);
			while (ns[h].layout)
				h = (h + 1) & (ncap - 1);
			ns[h] = c->slots[i];
		}
		c->slots = ns;
		c->cap = ncap;
	}
	h = layout_slot(c, u, type);
	if (c->slots[h].layout) {
		c->last = c->slots[h];
		return c->last.layout;
	}
	struct leaf_buf b = { 0 };
	uint32_t st = stf_meta_strip_typedefs(u, type);
	layout_walk(&b, u, type, 0, 0, 0);
	struct stf_layout *l = stf__arena_alloc(c->arena, sizeof(*l));
	if (b.oom || !l) {
		stf__raw_free(b.v);
		return NULL;
	}
	l->leaves = stf__arena_alloc(c->arena, (b.n ? b.n : 1) * sizeof(*l->leaves));
	if (!l->leaves) {
		stf__raw_free(b.v);
		return NULL;
	}
	if (b.n)
		memcpy(l->leaves, b.v, b.n * sizeof(*b.v));
	stf__raw_free(b.v);
	l->n = b.n;
	l->size = st < u->ntypes ? u->types[st].size : 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct stf_leaf *f = &l->leaves[i];
		l->nptrs += f->kind == STF_LEAF_PTR || f->kind == STF_LEAF_PXFER ||
			    f->kind == STF_LEAF_AMBIG;
		l->nambig += f->kind == STF_LEAF_AMBIG;
		l->nvoids += f->member != 0;
		l->naddr += f->addr_words != 0;
	}
	c->slots[h].unit = u;
	c->slots[h].type = type;
	c->slots[h].layout = l;
	c->n++;
	c->last = c->slots[h];
	return l;
}

void stf__type_path(const struct stf_meta_unit *u, uint32_t type, uint64_t off,
		    char *buf, size_t len, uint32_t *leaf_type)
{
	size_t pos = strlen(buf);

	for (int depth = 0; depth < 64; depth++) {
		type = stf_meta_strip_typedefs(u, type);
		*leaf_type = type;
		if (type >= u->ntypes)
			return;
		const struct stf_type_rec *t = &u->types[type];
		if (t->kind == STF_K_ARRAY) {
			uint32_t et = stf_meta_strip_typedefs(u, t->target);
			uint64_t esz = et < u->ntypes ? u->types[et].size : 0;
			if (!esz)
				return;
			pos += snprintf(buf + pos, pos < len ? len - pos : 0, "[%" PRIu64 "]",
					off / esz);
			off %= esz;
			type = et;
			continue;
		}
		/* which member of a union is meant is unknowable: stop there */
		if (t->kind != STF_K_STRUCT)
			return;
		const struct stf_member_rec *best = NULL;
		for (uint32_t i = 0; i < t->nmembers; i++) {
			const struct stf_member_rec *m = &u->members[t->members + i];
			uint32_t mt = stf_meta_strip_typedefs(u, m->type);
			uint64_t msz = mt < u->ntypes ? u->types[mt].size : 0;
			if ((uint64_t)m->offset <= off &&
			    (off - m->offset < msz || (m->bit_size && off - m->offset <
						       (m->bit_offset + m->bit_size + 7u) / 8) ||
			     (mt < u->ntypes && (u->types[mt].flags & STF_TF_FLEXIBLE)))) {
				best = m;
				break;
			}
		}
		if (!best)
			return;
		const char *name = stf_meta_str(u, best->name);
		if (*name && pos < len)
			pos += snprintf(buf + pos, len - pos, ".%s", name);
		off -= best->offset;
		type = best->type;
		if (best->bit_size)
			return;
	}
}
