/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * meta.c - reader of the plugin metadata (see meta.h, stf-format.h).
 *
 * Loading is three bulk reads' worth of work: the stf_units section in one
 * read, every blob into one shared buffer, then validation and a name index.
 * Validation is complete (tables, indexes, strings, and acyclicity of the
 * type graph) so that every consumer may walk the metadata without bounds
 * checks and without guarding against infinite recursion.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "meta.h"

/* Upper bounds on what we agree to copy: a corrupted address range must
 * produce an error, not an attempt to allocate terabytes. */
#define SECTION_MAX ((uint64_t)1 << 30)
#define BLOBS_MAX   ((uint64_t)1 << 32)

enum index_kind { IX_OBJECT = 1, IX_SITE, IX_TYPE, IX_PLACE };

/* Name index entry; kind 0 = empty slot. */
struct index_entry {
	uint32_t hash;
	uint32_t kind;
	uint32_t unit;
	uint32_t index;
};

struct meta_private {
	struct stf_meta pub;  /* first: stf_meta_free casts back */
	void *section;        /* copy of [units_start, units_end) */
	void *blobs;          /* every unit's blob, 8-byte aligned each */
	struct index_entry *ix;
	size_t ix_mask;       /* capacity - 1 (capacity is a power of two) */
};

/* ------------------------------------------------------------------ */
/* Error reporting                                                      */

struct ctx {
	char *err;
	size_t errlen;
	size_t unit_no;
	const struct stf_meta_unit *u; /* strtab usable once set */
};

static void fail(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct ctx *c, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	if (!c->err || !c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->u)
		snprintf(c->err, c->errlen, "unit %zu (%s): %s", c->unit_no,
			 stf_meta_str(c->u, c->u->blob->file), msg);
	else
		snprintf(c->err, c->errlen, "unit %zu: %s", c->unit_no, msg);
}

/* ------------------------------------------------------------------ */
/* Read callbacks                                                       */

static int read_vm(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	/* Large reads are one call; a short count means the range crossed an
	 * unmapped page, which the retry then reports as an error. */
	while (done < len) {
		struct iovec local = { (char *)buf + done, len - done };
		struct iovec remote = { (void *)(uintptr_t)(addr + done), len - done };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EFAULT;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

int stf_meta_read_self(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	/* Through the kernel rather than memcpy: a corrupted address then
	 * yields EFAULT instead of SIGSEGV. */
	return read_vm(getpid(), addr, buf, len);
}

int stf_meta_read_pid(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return read_vm(*(const pid_t *)ctx, addr, buf, len);
}

/* ------------------------------------------------------------------ */
/* Strings and names                                                    */

const char *stf_meta_str(const struct stf_meta_unit *u, uint32_t off)
{
	if (!u->strtab || off >= u->strtab_size)
		return "";
	return u->strtab + off;
}

static uint32_t hash_bytes(uint32_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

#define HASH_SEED 2166136261u

/* Name spaces of C type names: tags and ordinary identifiers. */
enum type_ns { NS_ORDINARY = 0, NS_STRUCT, NS_UNION, NS_ENUM };

static enum type_ns kind_ns(uint8_t kind)
{
	switch (kind) {
	case STF_K_STRUCT: return NS_STRUCT;
	case STF_K_UNION:  return NS_UNION;
	case STF_K_ENUM:   return NS_ENUM;
	default:           return NS_ORDINARY;
	}
}

static const char *const ns_prefix[] = { "", "struct ", "union ", "enum " };

/* Split "struct entry" into (NS_STRUCT, "entry"). */
static enum type_ns split_type_name(const char *name, const char **rest)
{
	for (int ns = NS_STRUCT; ns <= NS_ENUM; ns++) {
		size_t n = strlen(ns_prefix[ns]);
		if (!strncmp(name, ns_prefix[ns], n)) {
			*rest = name + n;
			return (enum type_ns)ns;
		}
	}
	*rest = name;
	return NS_ORDINARY;
}

static uint32_t type_key_hash(uint32_t unit, enum type_ns ns, const char *name)
{
	uint32_t h = hash_bytes(HASH_SEED, (const char *)&unit, sizeof unit);
	unsigned char b = (unsigned char)ns;
	h = hash_bytes(h, (const char *)&b, 1);
	return hash_bytes(h, name, strlen(name));
}

static uint32_t id_key_hash(enum index_kind kind, const char *id)
{
	unsigned char b = (unsigned char)kind;
	return hash_bytes(hash_bytes(HASH_SEED, (const char *)&b, 1), id, strlen(id));
}

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
		fail(c, "%s table [%u, +%u x %zu bytes) exceeds the blob (%u bytes)",
		     what, t->off, t->count, recsize, h->size);
		return false;
	}
	if (t->off % align) {
		fail(c, "%s table offset %u is not %zu-byte aligned", what,
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
	fail(c, "%s %u: %s string offset %u out of range (string table has %u bytes)",
	     what, i, field, off, c->u->strtab_size);
	return false;
}

static bool type_ref_ok(struct ctx *c, uint32_t t, bool none_ok,
			const char *what, uint32_t i, const char *field)
{
	if (t < c->u->ntypes || (none_ok && t == STF_NONE))
		return true;
	if (t == STF_NONE)
		fail(c, "%s %u %s is missing (no type)", what, i, field);
	else
		fail(c, "%s %u %s references type %u (only %u types)", what, i,
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

static bool types_ok(struct ctx *c)
{
	const struct stf_meta_unit *u = c->u;

	for (uint32_t i = 0; i < u->ntypes; i++) {
		const struct stf_type_rec *t = &u->types[i];

		if (t->kind < STF_K_VOID || t->kind > STF_K_VECTOR) {
			fail(c, "type %u has unknown kind %u", i, t->kind);
			return false;
		}
		if (!str_ok(c, t->name, "type", i, "name") ||
		    !type_ref_ok(c, t->target, !target_required(t->kind), "type",
				 i, "target"))
			return false;
		if (t->nmembers && !has_members(t->kind)) {
			fail(c, "type %u (%s) has %u members", i,
			     stf_meta_kind_name(t->kind), t->nmembers);
			return false;
		}
		if ((uint64_t)t->members + t->nmembers > u->nmembers) {
			fail(c, "type %u members [%u, +%u) exceed the member table (%u members)",
			     i, t->members, t->nmembers, u->nmembers);
			return false;
		}
		for (uint32_t k = 0; k < t->nmembers; k++) {
			const struct stf_member_rec *mr = &u->members[t->members + k];
			bool is_enum = t->kind == STF_K_ENUM;

			if (!is_enum && mr->type >= u->ntypes) {
				fail(c, "type %u member %u references type %u (only %u types)",
				     i, k, mr->type, u->ntypes);
				return false;
			}
			if (!is_enum && mr->bit_size && mr->bit_offset > 7) {
				fail(c, "type %u member %u bit offset %u is not within a byte",
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
 * Two relations over types must be acyclic, or the recursive walks of the
 * engine and of stf_meta_type_name would never end:
 *  - containment by value (typedef, array, enum, complex, vector targets and
 *    struct/union members): a struct cannot contain itself;
 *  - spelling (pointer, array, function, typedef, complex, vector targets
 *    and function parameters): self-reference is only legal through a tag.
 * Iterative DFS; scratch holds ntypes bytes of colour plus a stack.
 */
struct dfs_frame { uint32_t type, next; };

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

static bool acyclic(struct ctx *c, bool spelling, uint8_t *colour,
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
				fail(c, "type %u (%s) %s itself", next,
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

static bool records_ok(struct ctx *c)
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
			fail(c, "object %u (%s) has unknown kind %u", i,
			     stf_meta_str(u, o->id), o->kind);
			return false;
		}
		if (!u->strtab[o->id]) {
			fail(c, "object %u has an empty static ID", i);
			return false;
		}
	}
	for (uint32_t i = 0; i < u->nsites; i++) {
		const struct stf_site_rec *s = &u->sites[i];
		if (!str_ok(c, s->id, "site", i, "id") ||
		    !str_ok(c, s->func, "site", i, "func") ||
		    !str_ok(c, s->allocator, "site", i, "allocator") ||
		    !str_ok(c, s->dest, "site", i, "dest") ||
		    !type_ref_ok(c, s->type, true, "site", i, "type"))
			return false;
		if (!u->strtab[s->id]) {
			fail(c, "site %u has an empty site ID", i);
			return false;
		}
	}
	for (uint32_t i = 0; i < u->nframes; i++) {
		const struct stf_frame_rec *f = &u->frames[i];
		if (!str_ok(c, f->func, "frame", i, "func"))
			return false;
		if ((uint64_t)f->locals + f->nlocals > u->nlocals) {
			fail(c, "frame %u locals [%u, +%u) exceed the local table (%u locals)",
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
		if (!str_ok(c, r->member, "use", i, "member") ||
		    !type_ref_ok(c, r->type, false, "use", i, "type") ||
		    !type_ref_ok(c, r->used, false, "use", i, "used"))
			return false;
	}
	return true;
}

/* Point u's tables into its blob copy and validate the blob header. */
static bool blob_ok(struct ctx *c, struct stf_meta_unit *u)
{
	const struct stf_blob_hdr *h = u->blob;
	const char *base = (const char *)h;

	if (h->magic != STF_BLOB_MAGIC) {
		fail(c, "bad blob magic 0x%08x at 0x%llx (expected 0x%08x)",
		     h->magic, (unsigned long long)u->unit->blob, STF_BLOB_MAGIC);
		return false;
	}
	if (h->version != STF_FORMAT_VERSION) {
		fail(c, "blob format version %u, this reader supports %u: rebuild with the matching stf.so",
		     h->version, STF_FORMAT_VERSION);
		return false;
	}
	if (h->size != u->unit->blob_size) {
		fail(c, "blob size %u in the blob header disagrees with %llu in the unit header",
		     h->size, (unsigned long long)u->unit->blob_size);
		return false;
	}
	if (!table_ok(c, h, &h->types, "types", sizeof(struct stf_type_rec), 8) ||
	    !table_ok(c, h, &h->members, "members", sizeof(struct stf_member_rec), 8) ||
	    !table_ok(c, h, &h->objects, "objects", sizeof(struct stf_object_rec), 8) ||
	    !table_ok(c, h, &h->sites, "sites", sizeof(struct stf_site_rec), 8) ||
	    !table_ok(c, h, &h->frames, "frames", sizeof(struct stf_frame_rec), 4) ||
	    !table_ok(c, h, &h->locals, "locals", sizeof(struct stf_local_rec), 4) ||
	    !table_ok(c, h, &h->strtab, "strtab", 1, 1) ||
	    !table_ok(c, h, &h->uses, "uses", sizeof(struct stf_use_rec), 4))
		return false;
	if (h->strtab.count == 0 || base[h->strtab.off] != '\0' ||
	    base[h->strtab.off + h->strtab.count - 1] != '\0') {
		fail(c, "string table must start and end with NUL (offset %u, %u bytes)",
		     h->strtab.off, h->strtab.count);
		return false;
	}
	if (h->objects.count != u->unit->nobjects) {
		fail(c, "blob has %u objects but the unit header has %llu addresses",
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
		fail(c, "blob file name string offset %u out of range (string table has %u bytes)",
		     h->file, u->strtab_size);
		return false;
	}
	c->u = u; /* from here on, errors can name the file */
	return str_ok(c, h->path, "blob", 0, "path") &&
	       str_ok(c, h->producer, "blob", 0, "producer");
}

/* ------------------------------------------------------------------ */
/* Name index                                                           */

size_t stf_meta_literal_place(const struct stf_meta_unit *u, uint32_t i, char *buf, size_t len)
{
	const struct stf_object_rec *o = i < u->nobjects ? &u->objects[i] : NULL;
	const char *where = o && o->kind == STF_O_STRING ? stf_meta_str(u, o->name) : "";
	int n;

	if (*where == '=')
		n = snprintf(buf, len, "init:%s%s", stf_meta_str(u, o->func), where + 1);
	else if (*where)
		n = snprintf(buf, len, "code:%s:%s%s", stf_meta_str(u, u->blob->file),
			     stf_meta_str(u, o->func), where);
	else
		n = snprintf(buf, len, "%s", "");
	return n < 0 ? 0 : (size_t)n;
}

/* The key of an index entry; places are put together in buf. */
static const char *entry_key(const struct stf_meta *m, const struct index_entry *e,
			     char *buf, size_t len)
{
	const struct stf_meta_unit *u = &m->units[e->unit];

	switch (e->kind) {
	case IX_OBJECT: return stf_meta_str(u, u->objects[e->index].id);
	case IX_PLACE:  stf_meta_literal_place(u, e->index, buf, len); return buf;
	case IX_SITE:   return stf_meta_str(u, u->sites[e->index].id);
	default:        return stf_meta_str(u, u->types[e->index].name);
	}
}

/* For several type records with one name in a unit, prefer the complete,
 * unqualified one: that is the type the program's objects have. */
static int type_rank(const struct stf_type_rec *t)
{
	return (t->quals ? 0 : 2) + (t->flags & STF_TF_INCOMPLETE ? 0 : 1);
}

static void index_insert(struct meta_private *p, enum index_kind kind,
			 uint32_t unit, uint32_t index, uint32_t hash)
{
	const struct stf_meta *m = &p->pub;
	const struct stf_meta_unit *u = &m->units[unit];
	char kbuf[1024], ebuf[1024];
	const char *key = entry_key(m, &(struct index_entry){ 0, kind, unit, index },
				    kbuf, sizeof kbuf);

	for (size_t i = hash & p->ix_mask;; i = (i + 1) & p->ix_mask) {
		struct index_entry *e = &p->ix[i];

		if (!e->kind) {
			*e = (struct index_entry){ hash, kind, unit, index };
			return;
		}
		if (e->hash != hash || e->kind != kind ||
		    strcmp(entry_key(m, e, ebuf, sizeof ebuf), key))
			continue;
		if (kind != IX_TYPE)
			return; /* first definition wins (e.g. weak duplicates) */
		if (e->unit != unit ||
		    kind_ns(u->types[e->index].kind) != kind_ns(u->types[index].kind))
			continue;
		if (type_rank(&u->types[index]) > type_rank(&u->types[e->index]))
			e->index = index;
		return;
	}
}

static bool build_index(struct meta_private *p, struct ctx *c)
{
	struct stf_meta *m = &p->pub;
	size_t n = 0, cap = 16;

	for (size_t i = 0; i < m->nunits; i++)
		n += 2 * (size_t)m->units[i].nobjects + m->units[i].nsites +
		     m->units[i].ntypes;
	while (cap < 2 * n)
		cap *= 2;
	p->ix = calloc(cap, sizeof *p->ix);
	if (!p->ix) {
		snprintf(c->err, c->errlen, "out of memory for the metadata index (%zu entries)", cap);
		return false;
	}
	p->ix_mask = cap - 1;
	for (uint32_t ui = 0; ui < m->nunits; ui++) {
		const struct stf_meta_unit *u = &m->units[ui];

		for (uint32_t i = 0; i < u->nobjects; i++) {
			const struct stf_object_rec *o = &u->objects[i];
			index_insert(p, IX_OBJECT, ui, i, id_key_hash(IX_OBJECT, stf_meta_str(u, o->id)));
			char place[1024];
			if (o->kind == STF_O_STRING && o->name &&
			    stf_meta_literal_place(u, i, place, sizeof place) < sizeof place)
				index_insert(p, IX_PLACE, ui, i, id_key_hash(IX_PLACE, place));
		}
		for (uint32_t i = 0; i < u->nsites; i++)
			index_insert(p, IX_SITE, ui, i,
				     id_key_hash(IX_SITE, stf_meta_str(u, u->sites[i].id)));
		for (uint32_t i = 0; i < u->ntypes; i++) {
			const struct stf_type_rec *t = &u->types[i];
			if (t->name)
				index_insert(p, IX_TYPE, ui, i,
					     type_key_hash(ui, kind_ns(t->kind),
							   stf_meta_str(u, t->name)));
		}
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Loading                                                              */

static int read_checked(struct ctx *c, stf_meta_read_fn read, void *rctx,
			uint64_t addr, void *buf, size_t len, const char *what)
{
	if (read(rctx, addr, buf, len) == 0)
		return 0;
	fail(c, "cannot read %s (%zu bytes at 0x%llx): %s", what, len,
	     (unsigned long long)addr, strerror(errno));
	return -1;
}

struct stf_meta *stf_meta_load(stf_meta_read_fn read, void *rctx,
			       uint64_t units_start, uint64_t units_end,
			       char *err, size_t errlen)
{
	struct ctx c = { .err = err, .errlen = errlen };
	struct meta_private *p = calloc(1, sizeof *p);
	uint64_t len = units_end - units_start;
	uint64_t blobs_total = 0;
	size_t cap_units = 0, max_types = 0;
	uint8_t *colour = NULL;
	struct dfs_frame *stack = NULL;

	if (err && errlen)
		err[0] = '\0';
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (units_end < units_start || len > SECTION_MAX || len % 8) {
		snprintf(err, errlen,
			 "bad %s section range [0x%llx, 0x%llx): must be a multiple of 8 bytes below 1 GiB",
			 STF_UNITS_SECTION, (unsigned long long)units_start,
			 (unsigned long long)units_end);
		goto fail;
	}
	if (len) {
		p->section = malloc(len);
		if (!p->section) {
			snprintf(err, errlen, "out of memory for %llu bytes of %s",
				 (unsigned long long)len, STF_UNITS_SECTION);
			goto fail;
		}
		if (read(rctx, units_start, p->section, len)) {
			snprintf(err, errlen, "cannot read the %s section (%llu bytes at 0x%llx): %s",
				 STF_UNITS_SECTION, (unsigned long long)len,
				 (unsigned long long)units_start, strerror(errno));
			goto fail;
		}
	}

	/* Pass 1: walk the unit headers. */
	for (uint64_t off = 0; off < len;) {
		const struct stf_unit *h = (const void *)((char *)p->section + off);
		struct stf_meta_unit *u;

		c.unit_no = p->pub.nunits;
		/* Tolerate zero padding a linker may insert between units. */
		if (*(const uint64_t *)h == 0) {
			off += 8;
			continue;
		}
		if (len - off < sizeof *h) {
			fail(&c, "truncated unit header at section offset %llu (%llu bytes left)",
			     (unsigned long long)off, (unsigned long long)(len - off));
			goto fail;
		}
		if (h->magic != STF_UNIT_MAGIC) {
			fail(&c, "bad unit magic 0x%016llx at 0x%llx: not ttst metadata or corrupted",
			     (unsigned long long)h->magic,
			     (unsigned long long)(units_start + off));
			goto fail;
		}
		if (h->version != STF_FORMAT_VERSION) {
			fail(&c, "format version %llu, this reader supports %u: rebuild with the matching stf.so",
			     (unsigned long long)h->version, STF_FORMAT_VERSION);
			goto fail;
		}
		if (h->nobjects > (len - off - sizeof *h) / 8) {
			fail(&c, "%llu object addresses exceed the section (%llu bytes left)",
			     (unsigned long long)h->nobjects,
			     (unsigned long long)(len - off - sizeof *h));
			goto fail;
		}
		if (h->blob_size < sizeof(struct stf_blob_hdr) || h->blob_size > UINT32_MAX) {
			fail(&c, "blob size %llu is out of range", (unsigned long long)h->blob_size);
			goto fail;
		}
		blobs_total += (h->blob_size + 7) & ~7ull;
		if (blobs_total > BLOBS_MAX) {
			fail(&c, "blobs exceed %llu bytes in total", (unsigned long long)BLOBS_MAX);
			goto fail;
		}
		if (p->pub.nunits == cap_units) {
			size_t ncap = cap_units ? 2 * cap_units : 16;
			void *n = realloc(p->pub.units, ncap * sizeof *p->pub.units);
			if (!n) {
				snprintf(err, errlen, "out of memory for %zu units", ncap);
				goto fail;
			}
			p->pub.units = n;
			cap_units = ncap;
		}
		u = &p->pub.units[p->pub.nunits++];
		memset(u, 0, sizeof *u);
		u->addr = units_start + off;
		u->unit = h;
		off += stf_unit_size(h->nobjects);
	}

	/* Pass 2: copy every blob into one buffer and validate it. */
	if (blobs_total) {
		p->blobs = malloc(blobs_total);
		if (!p->blobs) {
			snprintf(err, errlen, "out of memory for %llu bytes of metadata blobs",
				 (unsigned long long)blobs_total);
			goto fail;
		}
	}
	for (size_t i = 0, boff = 0; i < p->pub.nunits; i++) {
		struct stf_meta_unit *u = &p->pub.units[i];

		c.unit_no = i;
		c.u = NULL;
		u->blob = (const void *)((char *)p->blobs + boff);
		if (read_checked(&c, read, rctx, u->unit->blob, (void *)u->blob,
				 u->unit->blob_size, "the blob"))
			goto fail;
		boff += (u->unit->blob_size + 7) & ~7ull;
		if (!blob_ok(&c, u))
			goto fail;
		if (u->ntypes > max_types)
			max_types = u->ntypes;
	}
	if (max_types) {
		colour = malloc(max_types);
		stack = malloc(max_types * sizeof *stack);
		if (!colour || !stack) {
			snprintf(err, errlen, "out of memory validating %zu types", max_types);
			goto fail;
		}
	}
	for (size_t i = 0; i < p->pub.nunits; i++) {
		c.unit_no = i;
		c.u = &p->pub.units[i];
		if (!types_ok(&c) || !records_ok(&c) ||
		    !acyclic(&c, false, colour, stack) ||
		    !acyclic(&c, true, colour, stack))
			goto fail;
	}
	free(colour);
	free(stack);
	colour = NULL;
	stack = NULL;
	if (!build_index(p, &c))
		goto fail;
	return &p->pub;
fail:
	free(colour);
	free(stack);
	stf_meta_free(&p->pub);
	return NULL;
}

void stf_meta_free(struct stf_meta *m)
{
	struct meta_private *p = (struct meta_private *)m;

	if (!p)
		return;
	free(p->ix);
	free(p->blobs);
	free(p->section);
	free(p->pub.units);
	free(p);
}

/* ------------------------------------------------------------------ */
/* Queries                                                              */

uint32_t stf_meta_strip_typedefs(const struct stf_meta_unit *u, uint32_t type)
{
	while (type < u->ntypes && u->types[type].kind == STF_K_TYPEDEF)
		type = u->types[type].target;
	return type;
}

static int find_id(const struct stf_meta *m, enum index_kind kind, const char *id,
		   const struct stf_meta_unit **unit, uint32_t *index)
{
	const struct meta_private *p = (const struct meta_private *)m;
	uint32_t hash = id_key_hash(kind, id);
	char buf[1024];

	for (size_t i = hash & p->ix_mask;; i = (i + 1) & p->ix_mask) {
		const struct index_entry *e = &p->ix[i];

		if (!e->kind)
			return -1;
		if (e->hash == hash && e->kind == kind &&
		    !strcmp(entry_key(m, e, buf, sizeof buf), id)) {
			if (unit)
				*unit = &m->units[e->unit];
			if (index)
				*index = e->index;
			return 0;
		}
	}
}

int stf_meta_find_object(const struct stf_meta *m, const char *id,
			 const struct stf_meta_unit **unit, uint32_t *index)
{
	return find_id(m, IX_OBJECT, id, unit, index);
}

int stf_meta_find_literal(const struct stf_meta *m, const char *place,
			  const struct stf_meta_unit **unit, uint32_t *index)
{
	return find_id(m, IX_PLACE, place, unit, index);
}

int stf_meta_find_site(const struct stf_meta *m, const char *id,
		       const struct stf_meta_unit **unit, uint32_t *index)
{
	return find_id(m, IX_SITE, id, unit, index);
}

uint32_t stf_meta_unit_find_type(const struct stf_meta *m,
				 const struct stf_meta_unit *u, const char *name)
{
	const struct meta_private *p = (const struct meta_private *)m;
	uint32_t unit = (uint32_t)(u - m->units);
	const char *bare;
	enum type_ns ns = split_type_name(name, &bare);
	uint32_t hash = type_key_hash(unit, ns, bare);

	for (size_t i = hash & p->ix_mask;; i = (i + 1) & p->ix_mask) {
		const struct index_entry *e = &p->ix[i];

		if (!e->kind)
			return STF_NONE;
		if (e->hash == hash && e->kind == IX_TYPE && e->unit == unit &&
		    kind_ns(u->types[e->index].kind) == ns &&
		    !strcmp(entry_key(m, e, NULL, 0), bare))
			return e->index;
	}
}

int stf_meta_find_type(const struct stf_meta *m, const char *name,
		       const struct stf_meta_unit **unit, uint32_t *index)
{
	const struct stf_meta_unit *best_u = NULL;
	uint32_t best = STF_NONE;

	/* A complete definition anywhere beats a forward declaration. */
	for (size_t i = 0; i < m->nunits; i++) {
		uint32_t t = stf_meta_unit_find_type(m, &m->units[i], name);

		if (t == STF_NONE)
			continue;
		if (!best_u || type_rank(&m->units[i].types[t]) >
			       type_rank(&best_u->types[best])) {
			best_u = &m->units[i];
			best = t;
		}
		if (type_rank(&best_u->types[best]) == 3)
			break;
	}
	if (!best_u)
		return -1;
	if (unit)
		*unit = best_u;
	if (index)
		*index = best;
	return 0;
}

/* ------------------------------------------------------------------ */
/* C spelling of types                                                  */

#define SPELL_DEPTH 32
#define SPELL_BUF   1024

/* Concatenate the NULL-terminated list of strings into out, truncating. */
static void join(char *out, size_t len, ...)
{
	size_t n = 0;
	va_list ap;
	const char *part;

	va_start(ap, len);
	while ((part = va_arg(ap, const char *)) && n + 1 < len) {
		size_t k = strlen(part);
		if (k > len - 1 - n)
			k = len - 1 - n;
		memcpy(out + n, part, k);
		n += k;
	}
	va_end(ap);
	if (len)
		out[n] = '\0';
}

static void quals_prefix(uint16_t q, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", q & STF_Q_CONST ? "const " : "",
		 q & STF_Q_VOLATILE ? "volatile " : "");
}

/* Spell type t around the declarator decl (C's inside-out syntax). */
static void spell(const struct stf_meta_unit *u, uint32_t t, const char *decl,
		  char *out, size_t len, int depth)
{
	char inner[SPELL_BUF], q[24];
	const struct stf_type_rec *r;

	if (t == STF_NONE || t >= u->ntypes) {
		snprintf(out, len, "void%s%s", *decl ? " " : "", decl);
		return;
	}
	if (depth > SPELL_DEPTH) {
		snprintf(out, len, "...%s%s", *decl ? " " : "", decl);
		return;
	}
	r = &u->types[t];
	quals_prefix(r->quals, q, sizeof q);
	switch (r->kind) {
	case STF_K_POINTER: {
		const struct stf_type_rec *to = r->target < u->ntypes ? &u->types[r->target] : NULL;
		bool wrap = to && (to->kind == STF_K_ARRAY || to->kind == STF_K_FUNCTION);
		/* Pointer qualifiers go after the star: "char *const p". */
		snprintf(inner, sizeof inner, "%s*%s%s%s%s", wrap ? "(" : "",
			 r->quals & STF_Q_CONST ? "const" : "",
			 r->quals & STF_Q_VOLATILE ? (r->quals & STF_Q_CONST ? " volatile" : "volatile") : "",
			 r->quals && *decl ? " " : "", decl);
		if (wrap)
			strncat(inner, ")", sizeof inner - strlen(inner) - 1);
		spell(u, r->target, inner, out, len, depth + 1);
		return;
	}
	case STF_K_ARRAY:
		if (r->flags & STF_TF_FLEXIBLE || (!r->count && r->flags & STF_TF_INCOMPLETE))
			snprintf(inner, sizeof inner, "%s[]", decl);
		else
			snprintf(inner, sizeof inner, "%s[%llu]", decl,
				 (unsigned long long)r->count);
		spell(u, r->target, inner, out, len, depth + 1);
		return;
	case STF_K_FUNCTION: {
		size_t n = (size_t)snprintf(inner, sizeof inner, "%s(", decl);
		for (uint32_t k = 0; k < r->nmembers && n < sizeof inner; k++) {
			char param[SPELL_BUF];
			spell(u, u->members[r->members + k].type, "", param,
			      sizeof param, depth + 1);
			n += (size_t)snprintf(inner + n, sizeof inner - n, "%s%s",
					      k ? ", " : "", param);
		}
		if (n < sizeof inner)
			n += (size_t)snprintf(inner + n, sizeof inner - n, "%s)",
					      r->flags & STF_TF_VARIADIC ?
					      (r->nmembers ? ", ..." : "...") :
					      (r->nmembers ? "" : "void"));
		spell(u, r->target, inner, out, len, depth + 1);
		return;
	}
	case STF_K_STRUCT:
	case STF_K_UNION:
	case STF_K_ENUM:
		snprintf(out, len, "%s%s%s%s%s", q, ns_prefix[kind_ns(r->kind)],
			 r->name ? stf_meta_str(u, r->name) : "<anonymous>",
			 *decl ? " " : "", decl);
		return;
	case STF_K_COMPLEX: {
		char comp[SPELL_BUF];
		spell(u, r->target, "", comp, sizeof comp, depth + 1);
		join(out, len, q, "_Complex ", comp, *decl ? " " : "", decl, NULL);
		return;
	}
	case STF_K_VECTOR: {
		char elem[SPELL_BUF];
		spell(u, r->target, "", elem, sizeof elem, depth + 1);
		char attr[48];
		snprintf(attr, sizeof attr, " __attribute__((vector_size(%llu)))",
			 (unsigned long long)r->size);
		join(out, len, q, elem, attr, *decl ? " " : "", decl, NULL);
		return;
	}
	default: /* VOID, INT, FLOAT, TYPEDEF: spelled by their name */
		snprintf(out, len, "%s%s%s%s", q,
			 r->name ? stf_meta_str(u, r->name) : stf_meta_kind_name(r->kind),
			 *decl ? " " : "", decl);
		return;
	}
}

size_t stf_meta_type_name(const struct stf_meta_unit *u, uint32_t type,
			  char *buf, size_t len)
{
	char tmp[SPELL_BUF];

	spell(u, type, "", tmp, sizeof tmp, 0);
	return (size_t)snprintf(buf, len, "%s", tmp);
}
