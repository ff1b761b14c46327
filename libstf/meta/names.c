/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * names.c - names in the metadata (meta.h): strings, the name index of
 * objects, sites, types and literal places built at load time, the
 * queries over it, and the C spelling of types.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta-private.h"

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

bool meta_build_index(struct meta_private *p, struct ctx *c)
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
