/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * validate.c - validation of a loaded unit (meta-private.h): table bounds,
 * type and string references, record fields, the blob header, and the
 * acyclicity of the type graph, so that every consumer may walk the
 * metadata without bounds checks and without guarding against infinite
 * recursion.
 */
#include <stdio.h>
#include <string.h>

#include "meta-private.h"

/* ------------------------------------------------------------------ */
/* Validation                                                           */

static bool table_ok(struct ctx *c, const struct stf_blob_hdr *h,
		     const struct stf_table *t, const char *what,
		     size_t recsize, size_t align)
{
	uint64_t end = (uint64_t)t->off + (uint64_t)t->count * recsize;

	if (t->count == 0)
		return true;
	if (end > h->size) {
		meta_fail(c, "%s table [%u, +%u x %zu bytes) exceeds the blob (%u bytes)",
		     what, t->off, t->count, recsize, h->size);
		return false;
	}
	if (t->off % align) {
		meta_fail(c, "%s table offset %u is not %zu-byte aligned", what,
		     t->off, align);
		return false;
	}
	return true;
}

static bool str_ok(struct ctx *c, uint32_t off, const char *what, uint32_t i,
		   const char *field)
{
	if (off < c->u->strtab_size)
		return true;
	meta_fail(c, "%s %u: %s string offset %u out of range (string table has %u bytes)",
	     what, i, field, off, c->u->strtab_size);
	return false;
}

static bool type_ref_ok(struct ctx *c, uint32_t t, bool none_ok,
			const char *what, uint32_t i, const char *field)
{
	if (t < c->u->ntypes || (none_ok && t == STF_NONE))
		return true;
	if (t == STF_NONE)
		meta_fail(c, "%s %u %s is missing (no type)", what, i, field);
	else
		meta_fail(c, "%s %u %s references type %u (only %u types)", what, i,
		     field, t, c->u->ntypes);
	return false;
}

static bool target_required(uint8_t kind)
{
	return kind == STF_K_POINTER || kind == STF_K_ARRAY ||
	       kind == STF_K_TYPEDEF || kind == STF_K_COMPLEX ||
	       kind == STF_K_VECTOR;
}

static bool has_members(uint8_t kind)
{
	return kind == STF_K_STRUCT || kind == STF_K_UNION ||
	       kind == STF_K_ENUM || kind == STF_K_FUNCTION;
}

const char *stf_meta_kind_name(unsigned kind)
{
	static const char *const words[] = {
		[STF_K_VOID] = "void", [STF_K_INT] = "int", [STF_K_FLOAT] = "float",
		[STF_K_ENUM] = "enum", [STF_K_POINTER] = "pointer",
		[STF_K_ARRAY] = "array", [STF_K_STRUCT] = "struct",
		[STF_K_UNION] = "union", [STF_K_FUNCTION] = "function",
		[STF_K_TYPEDEF] = "typedef", [STF_K_COMPLEX] = "complex",
		[STF_K_VECTOR] = "vector",
	};
	return kind < sizeof words / sizeof *words && words[kind] ? words[kind] : "?";
}

bool meta_types_ok(struct ctx *c)
{
	const struct stf_meta_unit *u = c->u;

	for (uint32_t i = 0; i < u->ntypes; i++) {
		const struct stf_type_rec *t = &u->types[i];

		if (t->kind < STF_K_VOID || t->kind > STF_K_VECTOR) {
			meta_fail(c, "type %u has unknown kind %u", i, t->kind);
			return false;
		}
		if (!str_ok(c, t->name, "type", i, "name") ||
		    !type_ref_ok(c, t->target, !target_required(t->kind), "type",
				 i, "target"))
			return false;
		if (t->nmembers && !has_members(t->kind)) {
			meta_fail(c, "type %u (%s) has %u members", i,
			     stf_meta_kind_name(t->kind), t->nmembers);
			return false;
		}
		if ((uint64_t)t->members + t->nmembers > u->nmembers) {
			meta_fail(c, "type %u members [%u, +%u) exceed the member table (%u members)",
			     i, t->members, t->nmembers, u->nmembers);
			return false;
		}
		for (uint32_t k = 0; k < t->nmembers; k++) {
			const struct stf_member_rec *mr = &u->members[t->members + k];
			bool is_enum = t->kind == STF_K_ENUM;

			if (!is_enum && mr->type >= u->ntypes) {
				meta_fail(c, "type %u member %u references type %u (only %u types)",
				     i, k, mr->type, u->ntypes);
				return false;
			}
			if (!is_enum && mr->bit_size && mr->bit_offset > 7) {
				meta_fail(c, "type %u member %u bit offset %u is not within a byte",
				     i, k, mr->bit_offset);
				return false;
			}
		}
	}
	for (uint32_t i = 0; i < u->nmembers; i++) {
		const struct stf_member_rec *mr = &u->members[i];
		if (!str_ok(c, mr->name, "member", i, "name") ||
		    !type_ref_ok(c, mr->type, true, "member", i, "type"))
			return false;
	}
	return true;
}

/*
 * Two relations over types must be meta_acyclic, or the recursive walks of the
 * engine and of stf_meta_type_name would never end:
 *  - containment by value (typedef, array, enum, complex, vector targets and
 *    struct/union members): a struct cannot contain itself;
 *  - spelling (pointer, array, function, typedef, complex, vector targets
 *    and function parameters): self-reference is only legal through a tag.
 * Iterative DFS; scratch holds ntypes bytes of colour plus a stack.
 */

static uint32_t edge(const struct stf_meta_unit *u, uint32_t t, uint32_t k,
		     bool spelling)
{
	const struct stf_type_rec *r = &u->types[t];
	uint8_t kind = r->kind;

	if (spelling) {
		if (kind == STF_K_STRUCT || kind == STF_K_UNION || kind == STF_K_ENUM)
			return STF_NONE - 1; /* named by their tag: no edges */
		if (k == 0)
			return r->target;
		if (kind == STF_K_FUNCTION && k - 1 < r->nmembers)
			return u->members[r->members + k - 1].type;
		return STF_NONE - 1; /* no more edges */
	}
	if (kind == STF_K_POINTER || kind == STF_K_FUNCTION)
		return STF_NONE - 1;
	if (kind == STF_K_STRUCT || kind == STF_K_UNION) {
		if (k < r->nmembers)
			return u->members[r->members + k].type;
		return STF_NONE - 1;
	}
	return k == 0 ? r->target : STF_NONE - 1;
}

bool meta_acyclic(struct ctx *c, bool spelling, uint8_t *colour,
		    struct dfs_frame *stack)
{
	const struct stf_meta_unit *u = c->u;

	memset(colour, 0, u->ntypes);
	for (uint32_t root = 0; root < u->ntypes; root++) {
		size_t sp = 0;

		if (colour[root])
			continue;
		colour[root] = 1;
		stack[sp++] = (struct dfs_frame){ root, 0 };
		while (sp) {
			struct dfs_frame *f = &stack[sp - 1];
			uint32_t next = edge(u, f->type, f->next++, spelling);

			if (next == STF_NONE - 1) {
				colour[f->type] = 2;
				sp--;
				continue;
			}
			if (next == STF_NONE || next >= u->ntypes)
				continue;
			if (colour[next] == 1) {
				meta_fail(c, "type %u (%s) %s itself", next,
				     stf_meta_kind_name(u->types[next].kind),
				     spelling ? "is spelled through" : "contains");
				return false;
			}
			if (colour[next] == 0) {
				colour[next] = 1;
				stack[sp++] = (struct dfs_frame){ next, 0 };
			}
		}
	}
	return true;
}

/* An STF_USE_ADDR_KEY record (stf-format.h): the fields its kind uses. */
static bool addr_key_ok(struct ctx *c, const struct stf_use_rec *r, uint32_t i)
{
	uint32_t kind = r->flags & STF_USE_KIND_MASK & ~(STF_USE_ADDR_KEY | STF_USE_ADDR_ORDER);
	bool typed = kind == 0 || kind == STF_USE_ADDR_ARG;
	if (!type_ref_ok(c, r->type, kind != 0, "use", i, "type") ||
	    !type_ref_ok(c, r->used, kind != 0, "use", i, "used") ||
	    !str_ok(c, r->member, "use", i, "member") || !str_ok(c, r->via, "use", i, "via"))
		return false;
	if ((kind && kind != STF_USE_ADDR_PARAM && kind != STF_USE_ADDR_ARG &&
	     kind != STF_USE_ADDR_ANY) || (!typed && r->type != STF_NONE) ||
	    r->type != r->used ||
	    (kind == STF_USE_ADDR_ARG && (r->flags & STF_USE_ADDR_ORDER)) ||
	    (!(kind & (STF_USE_ADDR_PARAM | STF_USE_ADDR_ARG)) && STF_USE_INDEX(r->flags))) {
		meta_fail(c, "use %u: unknown address key flags 0x%x", i, r->flags);
		return false;
	}
	return true;
}

bool meta_records_ok(struct ctx *c)
{
	const struct stf_meta_unit *u = c->u;

	for (uint32_t i = 0; i < u->nobjects; i++) {
		const struct stf_object_rec *o = &u->objects[i];
		if (!str_ok(c, o->id, "object", i, "id") ||
		    !str_ok(c, o->name, "object", i, "name") ||
		    !str_ok(c, o->func, "object", i, "func") ||
		    !type_ref_ok(c, o->type, false, "object", i, "type"))
			return false;
		if (o->kind < STF_O_VAR || o->kind > STF_O_STRING) {
			meta_fail(c, "object %u (%s) has unknown kind %u", i,
			     stf_meta_str(u, o->id), o->kind);
			return false;
		}
		if (!u->strtab[o->id]) {
			meta_fail(c, "object %u has an empty static ID", i);
			return false;
		}
	}
	for (uint32_t i = 0; i < u->nsites; i++) {
		const struct stf_site_rec *s = &u->sites[i];
		if (!str_ok(c, s->id, "site", i, "id") ||
		    !str_ok(c, s->func, "site", i, "func") ||
		    !str_ok(c, s->allocator, "site", i, "allocator") ||
		    !str_ok(c, s->dest, "site", i, "dest") ||
		    !str_ok(c, s->slab, "site", i, "slab") ||
		    !str_ok(c, s->slab_path, "site", i, "slab_path") ||
		    !type_ref_ok(c, s->type, true, "site", i, "type") ||
		    !str_ok(c, s->counter, "site", i, "counter"))
			return false;
		if ((s->flags & STF_SF_SIZE_HEADER) && s->size_width &&
		    ((s->size_width != 4 && s->size_width != 8) || s->size_at > -(int32_t)s->size_width ||
		     (uint64_t)-(int64_t)s->size_at > s->prefix)) {
			meta_fail(c, "site %u: a size field of %u bytes at %d outside its prefix of %u",
				  i, s->size_width, s->size_at, s->prefix);
			return false;
		}
		if (!u->strtab[s->id]) {
			meta_fail(c, "site %u has an empty site ID", i);
			return false;
		}
	}
	for (uint32_t i = 0; i < u->nframes; i++) {
		const struct stf_frame_rec *f = &u->frames[i];
		if (!str_ok(c, f->func, "frame", i, "func"))
			return false;
		if ((uint64_t)f->locals + f->nlocals > u->nlocals) {
			meta_fail(c, "frame %u locals [%u, +%u) exceed the local table (%u locals)",
			     i, f->locals, f->nlocals, u->nlocals);
			return false;
		}
	}
	for (uint32_t i = 0; i < u->nlocals; i++) {
		const struct stf_local_rec *l = &u->locals[i];
		if (!str_ok(c, l->name, "local", i, "name") ||
		    !type_ref_ok(c, l->type, false, "local", i, "type"))
			return false;
	}
	for (uint32_t i = 0; i < u->nuses; i++) {
		const struct stf_use_rec *r = &u->uses[i];
		uint32_t kind = r->flags & STF_USE_KIND_MASK;
		bool site_passed = (kind & ~STF_USE_FALLBACK) == (STF_USE_SITE | STF_USE_PASSED);
		if (kind & STF_USE_ADDR_KEY) {
			if (!addr_key_ok(c, r, i))
				return false;
			continue;
		}
		if (kind & STF_USE_BYTES_READ) {
			if (!type_ref_ok(c, r->type, true, "use", i, "type") ||
			    !str_ok(c, r->member, "use", i, "member") ||
			    !str_ok(c, r->via, "use", i, "via"))
				return false;
			if (r->flags != STF_USE_BYTES_READ || r->used != r->type ||
			    !u->strtab[r->member]) {
				meta_fail(c, "use %u: a static's bytes read with flags 0x%x", i,
					  r->flags);
				return false;
			}
			continue;
		}
		if (!str_ok(c, r->member, "use", i, "member") ||
		    !type_ref_ok(c, r->type, site_passed, "use", i, "type") ||
		    !type_ref_ok(c, r->used, site_passed || (kind & STF_USE_OFFSET), "use", i,
				 "used"))
			return false;
		if (kind & ~(STF_USE_VIA | STF_USE_STRIDE | STF_USE_ELEMENT | STF_USE_RETURNED |
			     STF_USE_RESULT | STF_USE_PASSED | STF_USE_PARAM | STF_USE_CAST |
			     STF_USE_SITE | STF_USE_FALLBACK | STF_USE_IN_FN | STF_USE_OFFSET |
			     STF_USE_OFFSET_SUB) ||
		    (kind & STF_USE_FALLBACK && !(kind & STF_USE_PASSED)) ||
		    (kind & STF_USE_SITE && kind != STF_USE_SITE && !site_passed) ||
		    (kind & STF_USE_VIA_MEMBER && kind & STF_USE_VIA_VAR) ||
		    (kind & STF_USE_STRIDE && kind != STF_USE_STRIDE) ||
		    (kind & (STF_USE_OFFSET | STF_USE_OFFSET_SUB) &&
		     (kind & ~(STF_USE_OFFSET | STF_USE_OFFSET_SUB)) != 0) ||
		    (kind & STF_USE_OFFSET_SUB && !(kind & STF_USE_OFFSET)) ||
		    (kind & STF_USE_RETURNED && kind & ~(STF_USE_RETURNED | STF_USE_ELEMENT)) ||
		    (kind & STF_USE_RESULT && kind != STF_USE_RESULT) ||
		    (kind & STF_USE_PASSED && !site_passed &&
		     kind & ~(STF_USE_PASSED | STF_USE_ELEMENT | STF_USE_FALLBACK)) ||
		    (kind & STF_USE_PARAM && kind != STF_USE_PARAM) ||
		    (kind & STF_USE_CAST && kind != STF_USE_CAST) ||
		    (kind & STF_USE_IN_FN && kind & ~(STF_USE_IN_FN | STF_USE_ELEMENT)) ||
		    (!(kind & (STF_USE_ELEMENT | STF_USE_PARAM)) && STF_USE_INDEX(r->flags))) {
			meta_fail(c, "use %u: unknown path flags 0x%x", i, r->flags);
			return false;
		}
		if (((r->flags & STF_USE_VIA_MEMBER) &&
		     !type_ref_ok(c, r->via_type, false, "use", i, "via_type")) ||
		    (r->flags & (STF_USE_VIA | STF_USE_STRIDE | STF_USE_RETURNED | STF_USE_PASSED |
				 STF_USE_IN_FN) &&
		     !str_ok(c, r->via, "use", i, "via")))
			return false;
	}
	return true;
}

/* Point u's tables into its blob copy and validate the blob header. */
bool meta_blob_ok(struct ctx *c, struct stf_meta_unit *u)
{
	const struct stf_blob_hdr *h = u->blob;
	const char *base = (const char *)h;

	if (h->magic != STF_BLOB_MAGIC) {
		meta_fail(c, "bad blob magic 0x%08x at 0x%llx (expected 0x%08x)",
		     h->magic, (unsigned long long)u->blob_addr, STF_BLOB_MAGIC);
		return false;
	}
	if (h->version != STF_FORMAT_VERSION) {
		meta_fail(c, "blob format version %u, this reader supports %u: rebuild with the matching stf.so",
		     h->version, STF_FORMAT_VERSION);
		return false;
	}
	if (!table_ok(c, h, &h->types, "types", sizeof(struct stf_type_rec), 8) ||
	    !table_ok(c, h, &h->members, "members", sizeof(struct stf_member_rec), 8) ||
	    !table_ok(c, h, &h->objects, "objects", sizeof(struct stf_object_rec), 8) ||
	    !table_ok(c, h, &h->sites, "sites", sizeof(struct stf_site_rec), 8) ||
	    !table_ok(c, h, &h->frames, "frames", sizeof(struct stf_frame_rec), 4) ||
	    !table_ok(c, h, &h->locals, "locals", sizeof(struct stf_local_rec), 4) ||
	    !table_ok(c, h, &h->strtab, "strtab", 1, 1) ||
	    !table_ok(c, h, &h->site_ids, "site_ids", sizeof(uint32_t), 4) ||
	    !table_ok(c, h, &h->uses, "uses", sizeof(struct stf_use_rec), 4))
		return false;
	/* A running program reads these as stored, never inflated. */
	if (h->site_ids.off + (uint64_t)h->site_ids.count * sizeof(uint32_t) > h->stored ||
	    h->frames.off + (uint64_t)h->frames.count * sizeof(struct stf_frame_rec) > h->stored) {
		meta_fail(c, "site IDs or frames lie past the %u bytes stored as they are", h->stored);
		return false;
	}
	if (h->site_ids.count != h->sites.count) {
		meta_fail(c, "%u site IDs for %u sites", h->site_ids.count, h->sites.count);
		return false;
	}
	const uint32_t *site_ids = (const void *)(base + h->site_ids.off);
	for (uint32_t i = 0; i < h->sites.count; i++) {
		const struct stf_site_rec *r = (const void *)(base + h->sites.off);
		if (site_ids[i] != r[i].id || h->stored <= h->strtab.off ||
		    site_ids[i] >= h->stored - h->strtab.off ||
		    !memchr(base + h->strtab.off + site_ids[i], '\0', h->stored - h->strtab.off - site_ids[i])) {
			meta_fail(c, "site %u: its ID as stored (string %u) is not the record's (%u) "
			     "or not stored as it is", i, site_ids[i], r[i].id);
			return false;
		}
	}
	if (h->strtab.count == 0 || base[h->strtab.off] != '\0' ||
	    base[h->strtab.off + h->strtab.count - 1] != '\0') {
		meta_fail(c, "string table must start and end with NUL (offset %u, %u bytes)",
		     h->strtab.off, h->strtab.count);
		return false;
	}
	if (h->objects.count != u->unit->nobjects) {
		meta_fail(c, "blob has %u objects but the unit header has %llu addresses",
		     h->objects.count, (unsigned long long)u->unit->nobjects);
		return false;
	}
	u->types = (const void *)(base + h->types.off);
	u->members = (const void *)(base + h->members.off);
	u->objects = (const void *)(base + h->objects.off);
	u->sites = (const void *)(base + h->sites.off);
	u->frames = (const void *)(base + h->frames.off);
	u->locals = (const void *)(base + h->locals.off);
	u->uses = (const void *)(base + h->uses.off);
	u->strtab = base + h->strtab.off;
	u->ntypes = h->types.count;
	u->nmembers = h->members.count;
	u->nobjects = h->objects.count;
	u->nsites = h->sites.count;
	u->nframes = h->frames.count;
	u->nlocals = h->locals.count;
	u->nuses = h->uses.count;
	u->strtab_size = h->strtab.count;
	if (h->file >= u->strtab_size) {
		meta_fail(c, "blob file name string offset %u out of range (string table has %u bytes)",
		     h->file, u->strtab_size);
		return false;
	}
	c->u = u; /* from here on, errors can name the file */
	return str_ok(c, h->path, "blob", 0, "path") &&
	       str_ok(c, h->producer, "blob", 0, "producer");
}
