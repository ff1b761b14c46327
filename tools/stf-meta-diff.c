/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stf-meta diff - the state-level difference between two versions.
 *
 * Follows the pairing rules of the transfer engine (DESIGN.md, "State
 * transfer rules"): static objects by static ID, named types by name,
 * members by name, enumerators by name, allocation sites by site ID.  Each
 * change is classified by what the automatic transfer does with it:
 *   auto      the engine transforms it on its own
 *   lossy     auto, but a value may not fit (the engine then aborts the
 *             update and names the value)
 *   review    the engine does it, but what it gives may be wrong for the
 *             program: a pointer or struct member added to a type of heap
 *             objects is zero in every existing object, where the program
 *             may rely on it being set
 *   callback  the engine cannot do it: the update needs a callback
 */
#include <config.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "stf-meta.h"

enum verdict { V_SAME = 0, V_AUTO, V_LOSSY, V_REVIEW, V_CALLBACK };

static const char *const verdict_word[] = { "same", "auto", "auto", "review", "callback" };

struct change {
	char what[24];   /* "member retyped" */
	char name[512];  /* "struct entry.val" */
	char old[256], new[256]; /* types or values; empty if not applicable */
	enum verdict verdict;
	char note[200];  /* "possibly lossy", "zero-filled" */
};

/* Where the value being compared lives. */
enum place { IN_TYPE = 0, IN_STATIC, IN_HEAP };

struct diff {
	const struct stf_meta *old, *new;
	enum place place;   /* of the value classify() and diff_members() look at */
	char **heap_types;  /* names of the aggregates heap objects are made of */
	size_t nheap_types;
	struct change *changes;
	size_t nchanges, cap;
	int oom;
};

static void add(struct diff *d, const char *what, const char *name,
		const char *old, const char *new, enum verdict v, const char *note)
{
	struct change *c;

	if (d->nchanges == d->cap) {
		size_t ncap = d->cap ? 2 * d->cap : 32;
		void *p = realloc(d->changes, ncap * sizeof *d->changes);
		if (!p) {
			d->oom = 1;
			return;
		}
		d->changes = p;
		d->cap = ncap;
	}
	c = &d->changes[d->nchanges++];
	snprintf(c->what, sizeof c->what, "%s", what);
	snprintf(c->name, sizeof c->name, "%s", name);
	snprintf(c->old, sizeof c->old, "%s", old ? old : "");
	snprintf(c->new, sizeof c->new, "%s", new ? new : "");
	c->verdict = v;
	snprintf(c->note, sizeof c->note, "%s", note ? note : "");
}

static void spell(const struct stf_meta_unit *u, uint32_t t, char *buf, size_t len)
{
	if (t == STF_NONE)
		snprintf(buf, len, "void");
	else
		stf_meta_type_name(u, t, buf, len);
}

/* ------------------------------------------------------------------ */
/* Classification of a type change                                      */

struct verdict_note {
	enum verdict v;
	char note[200];
};

static void worse(struct verdict_note *r, enum verdict v, const char *note)
{
	if (v > r->v) {
		r->v = v;
		snprintf(r->note, sizeof r->note, "%s", note);
	}
}

static void diff_members(struct diff *d, const char *path,
			 const struct stf_meta_unit *uo, uint32_t to,
			 const struct stf_meta_unit *un, uint32_t tn);
static void diff_enum(struct diff *d, const char *path,
		      const struct stf_meta_unit *uo, const struct stf_type_rec *ro,
		      const struct stf_meta_unit *un, const struct stf_type_rec *rn);

/* Name of a struct/union/enum: its tag, else the name of the typedef that
 * names it ("typedef struct { ... } foo_t"), else "" (anonymous). */
static const char *aggregate_name(const struct stf_meta_unit *u, uint32_t t)
{
	const char *typedef_name = "";

	while (t < u->ntypes && u->types[t].kind == STF_K_TYPEDEF) {
		typedef_name = stf_meta_str(u, u->types[t].name);
		t = u->types[t].target;
	}
	if (t < u->ntypes && u->types[t].name)
		return stf_meta_str(u, u->types[t].name);
	return typedef_name;
}

static int is_arith(const struct stf_type_rec *r)
{
	return r->kind == STF_K_INT || r->kind == STF_K_FLOAT;
}

/*
 * What transferring a value of type to (old) into type tn (new) takes.
 * path names the value; changes inside anonymous structs are emitted as
 * member changes under it, since no type name would find them.
 */
static struct verdict_note classify(struct diff *d, const char *path,
				    const struct stf_meta_unit *uo, uint32_t to,
				    const struct stf_meta_unit *un, uint32_t tn)
{
	struct verdict_note r = { V_SAME, "" };
	const struct stf_type_rec *ro, *rn;
	const char *ao = aggregate_name(uo, to), *an = aggregate_name(un, tn);
	char so[256], sn[256];

	to = stf_meta_strip_typedefs(uo, to);
	tn = stf_meta_strip_typedefs(un, tn);
	if (to == STF_NONE || tn == STF_NONE) {
		if (to != tn)
			worse(&r, V_CALLBACK, "void <-> non-void");
		return r;
	}
	ro = &uo->types[to];
	rn = &un->types[tn];
	if (is_arith(ro) && is_arith(rn)) {
		int so_ = !!(ro->flags & STF_TF_SIGNED), sn_ = !!(rn->flags & STF_TF_SIGNED);
		int bo = !!(ro->flags & STF_TF_BOOL), bn = !!(rn->flags & STF_TF_BOOL);

		if (ro->kind == rn->kind && ro->size == rn->size && so_ == sn_ && bo == bn)
			return r;
		if (ro->kind != rn->kind)
			worse(&r, V_LOSSY, "possibly lossy");
		else if (ro->kind == STF_K_FLOAT)
			worse(&r, rn->size > ro->size ? V_AUTO : V_LOSSY,
			      rn->size > ro->size ? "" : "possibly lossy");
		else if (bo && !bn)
			worse(&r, V_AUTO, "");
		else if (bn && !bo)
			worse(&r, V_LOSSY, "possibly lossy");
		else if (so_ == sn_ ? rn->size >= ro->size : (!so_ && rn->size > ro->size))
			worse(&r, V_AUTO, ""); /* widening, or unsigned into a wider signed */
		else
			worse(&r, V_LOSSY, "possibly lossy");
		return r;
	}
	if (ro->kind == STF_K_ENUM && rn->kind == STF_K_ENUM) {
		/* enumerator changes are reported with the (named) enum */
		if (!*ao && !*an)
			diff_enum(d, path, uo, ro, un, rn);
		else if (strcmp(ao, an))
			worse(&r, V_CALLBACK, "different enum");
		return r;
	}
	if ((ro->kind == STF_K_POINTER && (rn->kind == STF_K_INT || rn->kind == STF_K_ENUM)) ||
	    (rn->kind == STF_K_POINTER && (ro->kind == STF_K_INT || ro->kind == STF_K_ENUM))) {
		worse(&r, V_CALLBACK, "pointer <-> integer");
		return r;
	}
	if (ro->kind != rn->kind) {
		worse(&r, V_CALLBACK, "different kind of type");
		return r;
	}
	switch (ro->kind) {
	case STF_K_POINTER: {
		uint32_t po = stf_meta_strip_typedefs(uo, ro->target);
		uint32_t pn = stf_meta_strip_typedefs(un, rn->target);
		const struct stf_type_rec *a = po < uo->ntypes ? &uo->types[po] : NULL;
		const struct stf_type_rec *b = pn < un->ntypes ? &un->types[pn] : NULL;

		/* Pointers are relocated to the same target object: only a
		 * pointee of another named aggregate changes their meaning. */
		if (a && b && (a->kind == STF_K_STRUCT || a->kind == STF_K_UNION) &&
		    (b->kind == STF_K_STRUCT || b->kind == STF_K_UNION) &&
		    (a->kind != b->kind ||
		     strcmp(aggregate_name(uo, ro->target), aggregate_name(un, rn->target)))) {
			worse(&r, V_CALLBACK, "points to another struct");
			return r;
		}
		spell(uo, to, so, sizeof so);
		spell(un, tn, sn, sizeof sn);
		if (strcmp(so, sn))
			worse(&r, V_AUTO, "");
		return r;
	}
	case STF_K_ARRAY: {
		struct verdict_note el = classify(d, path, uo, ro->target, un, rn->target);

		worse(&r, el.v, el.note);
		if (rn->count > ro->count && d->place == IN_STATIC)
			worse(&r, V_AUTO, "array expanded: a mutable table that gains entries; the "
			      "new elements take the new version's static initializer");
		else if (rn->count > ro->count)
			worse(&r, V_AUTO, "array expanded, zero-filled");
		else if (rn->count < ro->count)
			worse(&r, V_LOSSY, "array truncated, possibly lossy");
		return r;
	}
	case STF_K_STRUCT:
	case STF_K_UNION:
		/* named ones are compared once, by name, in diff_types */
		if (!*ao && !*an)
			diff_members(d, path, uo, to, un, tn);
		else if (strcmp(ao, an))
			worse(&r, V_CALLBACK, "another struct");
		return r;
	case STF_K_FUNCTION:
		return r; /* function pointers are relocated by function ID */
	default:
		spell(uo, to, so, sizeof so);
		spell(un, tn, sn, sizeof sn);
		if (strcmp(so, sn))
			worse(&r, V_CALLBACK, "different type");
		return r;
	}
}

/* ------------------------------------------------------------------ */
/* Members and enumerators                                              */

/* Does the anonymous member m of unit u (looking through nested anonymous
 * ones) have a member named name? */
static int anon_has(const struct stf_meta_unit *u, const struct stf_member_rec *m,
		    const char *name, int depth)
{
	uint32_t t = stf_meta_strip_typedefs(u, m->type);
	const struct stf_type_rec *r;

	if (t >= u->ntypes || depth > 8)
		return 0;
	r = &u->types[t];
	for (uint32_t k = 0; r->kind != STF_K_ENUM && k < r->nmembers; k++) {
		const struct stf_member_rec *in = &u->members[r->members + k];
		if (in->name ? !strcmp(stf_meta_str(u, in->name), name) :
			       anon_has(u, in, name, depth + 1))
			return 1;
	}
	return 0;
}

/* Do two anonymous members share a member name?  That is how the engine
 * pairs anonymous members. */
static int anon_match(const struct stf_meta_unit *ua, const struct stf_member_rec *a,
		      const struct stf_meta_unit *ub, const struct stf_member_rec *b,
		      int depth)
{
	uint32_t t = stf_meta_strip_typedefs(ua, a->type);
	const struct stf_type_rec *r;

	if (t >= ua->ntypes || depth > 8)
		return 0;
	r = &ua->types[t];
	for (uint32_t k = 0; r->kind != STF_K_ENUM && k < r->nmembers; k++) {
		const struct stf_member_rec *in = &ua->members[r->members + k];
		if (in->name ? anon_has(ub, b, stf_meta_str(ua, in->name), 0) :
			       anon_match(ua, in, ub, b, depth + 1))
			return 1;
	}
	return 0;
}

/* Index in type t of unit u of the member matching member m of unit um:
 * by name, or for an anonymous member by shared inner names. */
static uint32_t find_member(const struct stf_meta_unit *u, uint32_t t,
			    const struct stf_meta_unit *um, const struct stf_member_rec *m)
{
	const struct stf_type_rec *r = &u->types[t];
	const char *name = stf_meta_str(um, m->name);

	for (uint32_t k = 0; k < r->nmembers; k++) {
		const struct stf_member_rec *mr = &u->members[r->members + k];
		if (m->name ? !strcmp(stf_meta_str(u, mr->name), name) :
			      (!mr->name && anon_match(um, m, u, mr, 0)))
			return k;
	}
	return STF_NONE;
}

/* A pointer, struct or union (or an array of them): zero is seldom what the
 * program expects there. */
static int needs_value(const struct stf_meta_unit *u, uint32_t t)
{
	for (int depth = 0; depth < 16; depth++) {
		t = stf_meta_strip_typedefs(u, t);
		if (t >= u->ntypes)
			return 0;
		switch (u->types[t].kind) {
		case STF_K_POINTER:
		case STF_K_STRUCT:
		case STF_K_UNION:
			return 1;
		case STF_K_ARRAY:
			t = u->types[t].target;
			continue;
		default:
			return 0;
		}
	}
	return 0;
}

static void diff_members(struct diff *d, const char *path,
			 const struct stf_meta_unit *uo, uint32_t to,
			 const struct stf_meta_unit *un, uint32_t tn)
{
	const struct stf_type_rec *ro = &uo->types[to], *rn = &un->types[tn];
	char name[512], so[256], sn[256];

	for (uint32_t k = 0; k < ro->nmembers; k++) {
		const struct stf_member_rec *mo = &uo->members[ro->members + k];
		const char *mname = stf_meta_str(uo, mo->name);
		uint32_t kn = find_member(un, tn, uo, mo);
		const struct stf_member_rec *mn;
		struct verdict_note vn;

		/* the members of an anonymous member are named as the outer ones */
		snprintf(name, sizeof name, "%s%s%s", path, mo->name ? "." : "",
			 mo->name ? mname : "");
		spell(uo, mo->type, so, sizeof so);
		if (kn == STF_NONE) {
			if (!mo->name)
				snprintf(name, sizeof name, "%s.<anonymous>", path);
			add(d, "member dropped", name, so, NULL, V_AUTO, "discarded");
			continue;
		}
		mn = &un->members[rn->members + kn];
		spell(un, mn->type, sn, sizeof sn);
		vn = classify(d, name, uo, mo->type, un, mn->type);
		if (mo->bit_size != mn->bit_size) {
			char bo[280], bn[280];
			snprintf(bo, sizeof bo, "%s:%u", so, mo->bit_size);
			snprintf(bn, sizeof bn, "%s:%u", sn, mn->bit_size);
			if (mn->bit_size && (!mo->bit_size || mn->bit_size < mo->bit_size))
				worse(&vn, V_LOSSY, "possibly lossy");
			else
				worse(&vn, V_AUTO, "");
			add(d, "member retyped", name, bo, bn, vn.v, vn.note);
		} else if (vn.v != V_SAME) {
			add(d, "member retyped", name, so, sn, vn.v, vn.note);
		}
		if (mo->offset != mn->offset || mo->bit_offset != mn->bit_offset) {
			char oo[32], on[32];

			if (!mo->name)
				snprintf(name, sizeof name, "%s.<anonymous>", path);
			if (mo->bit_size || mn->bit_size) {
				snprintf(oo, sizeof oo, "bit %" PRIu64,
					 (uint64_t)mo->offset * 8 + mo->bit_offset);
				snprintf(on, sizeof on, "bit %" PRIu64,
					 (uint64_t)mn->offset * 8 + mn->bit_offset);
			} else {
				snprintf(oo, sizeof oo, "offset %" PRId64, mo->offset);
				snprintf(on, sizeof on, "offset %" PRId64, mn->offset);
			}
			add(d, "member moved", name, oo, on, V_AUTO, "");
		}
	}
	for (uint32_t k = 0; k < rn->nmembers; k++) {
		const struct stf_member_rec *mn = &un->members[rn->members + k];
		const char *mname = stf_meta_str(un, mn->name);

		if (find_member(uo, to, un, mn) != STF_NONE)
			continue;
		snprintf(name, sizeof name, "%s.%s", path, mn->name ? mname : "<anonymous>");
		spell(un, mn->type, sn, sizeof sn);
		if (d->place == IN_HEAP && needs_value(un, mn->type))
			add(d, "member added", name, NULL, sn, V_REVIEW,
			    "existing heap objects get zero; a pointer or struct that must be "
			    "set for them: give an stf_on_member callback or an initializer");
		else if (d->place == IN_STATIC)
			add(d, "member added", name, NULL, sn, V_AUTO, "takes the new version's "
			    "initializer or what its startup computed (zero where it sets none)");
		else
			add(d, "member added", name, NULL, sn, V_AUTO, "zero-filled");
	}
}

/* "path.member", truncated to len. */
static void dotted(char *buf, size_t len, const char *path, const char *member)
{
	size_t n = strlen(path);

	if (n >= len)
		n = len - 1;
	memcpy(buf, path, n);
	snprintf(buf + n, len - n, ".%s", member);
}

static void diff_enum(struct diff *d, const char *path,
		      const struct stf_meta_unit *uo, const struct stf_type_rec *ro,
		      const struct stf_meta_unit *un, const struct stf_type_rec *rn)
{
	char name[512], vo[32], vn[32];

	for (uint32_t k = 0; k < ro->nmembers; k++) {
		const struct stf_member_rec *eo = &uo->members[ro->members + k];
		const char *ename = stf_meta_str(uo, eo->name);
		const struct stf_member_rec *en = NULL;

		for (uint32_t j = 0; j < rn->nmembers && !en; j++)
			if (!strcmp(stf_meta_str(un, un->members[rn->members + j].name), ename))
				en = &un->members[rn->members + j];
		dotted(name, sizeof name, path, ename);
		snprintf(vo, sizeof vo, "%" PRId64, eo->offset);
		if (!en)
			add(d, "enumerator removed", name, vo, NULL, V_CALLBACK,
			    "values using it have no new name");
		else if (en->offset != eo->offset) {
			snprintf(vn, sizeof vn, "%" PRId64, en->offset);
			add(d, "enumerator changed", name, vo, vn, V_AUTO, "remapped by name");
		}
	}
	for (uint32_t j = 0; j < rn->nmembers; j++) {
		const struct stf_member_rec *en = &un->members[rn->members + j];
		const char *ename = stf_meta_str(un, en->name);
		int found = 0;

		for (uint32_t k = 0; k < ro->nmembers && !found; k++)
			found = !strcmp(stf_meta_str(uo, uo->members[ro->members + k].name), ename);
		if (found)
			continue;
		dotted(name, sizeof name, path, ename);
		snprintf(vn, sizeof vn, "%" PRId64, en->offset);
		add(d, "enumerator added", name, NULL, vn, V_AUTO, "");
	}
}

/* ------------------------------------------------------------------ */
/* Objects, types, sites                                                */

static int transferable(const struct stf_object_rec *o)
{
	return o->kind == STF_O_VAR;
}

static void diff_objects(struct diff *d)
{
	const struct stf_meta *mo = d->old, *mn = d->new;
	char so[256], sn[256];

	for (size_t ui = 0; ui < mo->nunits; ui++) {
		const struct stf_meta_unit *uo = &mo->units[ui];

		for (uint32_t i = 0; i < uo->nobjects; i++) {
			const struct stf_object_rec *o = &uo->objects[i];
			const char *id = stf_meta_str(uo, o->id);
			const struct stf_meta_unit *un, *first;
			uint32_t j, fi;
			struct verdict_note vn;

			/* one line per ID even if several units define it */
			if (!transferable(o) || stf_meta_find_object(mo, id, &first, &fi) ||
			    first != uo || fi != i)
				continue;
			spell(uo, o->type, so, sizeof so);
			if (stf_meta_find_object(mn, id, &un, &j) ||
			    !transferable(&un->objects[j])) {
				add(d, "object removed", id, so, NULL, V_AUTO, "discarded");
				continue;
			}
			spell(un, un->objects[j].type, sn, sizeof sn);
			d->place = IN_STATIC;
			vn = classify(d, id, uo, o->type, un, un->objects[j].type);
			d->place = IN_TYPE;
			if (vn.v != V_SAME)
				add(d, "object retyped", id, so, sn, vn.v, vn.note);
		}
	}
	for (size_t ui = 0; ui < mn->nunits; ui++) {
		const struct stf_meta_unit *un = &mn->units[ui];

		for (uint32_t j = 0; j < un->nobjects; j++) {
			const struct stf_object_rec *o = &un->objects[j];
			const char *id = stf_meta_str(un, o->id);
			const struct stf_meta_unit *uo, *first;
			uint32_t i, fj;

			if (!transferable(o) || stf_meta_find_object(mn, id, &first, &fj) ||
			    first != un || fj != j)
				continue;
			if (stf_meta_find_object(d->old, id, &uo, &i) == 0 &&
			    transferable(&uo->objects[i]))
				continue;
			spell(un, o->type, sn, sizeof sn);
			add(d, "object added", id, NULL, sn, V_AUTO, "initialized by the new version");
		}
	}
}

static int is_aggregate(const struct stf_type_rec *r)
{
	return r->kind == STF_K_STRUCT || r->kind == STF_K_UNION || r->kind == STF_K_ENUM;
}

/* The name diff_types compares an aggregate under: "struct entry", or the
 * typedef naming an anonymous one; "" for none. */
static void aggregate_key(const struct stf_meta_unit *u, uint32_t t, char *buf, size_t len)
{
	const char *typedef_name = "";

	while (t < u->ntypes && u->types[t].kind == STF_K_TYPEDEF) {
		typedef_name = stf_meta_str(u, u->types[t].name);
		t = u->types[t].target;
	}
	buf[0] = '\0';
	if (t >= u->ntypes || !is_aggregate(&u->types[t]))
		return;
	if (u->types[t].name)
		snprintf(buf, len, "%s %s", u->types[t].kind == STF_K_STRUCT ? "struct" :
			 u->types[t].kind == STF_K_UNION ? "union" : "enum",
			 stf_meta_str(u, u->types[t].name));
	else
		snprintf(buf, len, "%s", typedef_name);
}

static int is_heap_type(const struct diff *d, const char *name)
{
	for (size_t i = 0; i < d->nheap_types; i++)
		if (!strcmp(d->heap_types[i], name))
			return 1;
	return 0;
}

/* Remember the aggregate t of u and those embedded in it (members, array
 * elements; not what pointers lead to, which has a site of its own). */
static void note_heap_type(struct diff *d, const struct stf_meta_unit *u, uint32_t t, int depth)
{
	char name[512];
	char **p;

	t = stf_meta_strip_typedefs(u, t);
	while (t < u->ntypes && u->types[t].kind == STF_K_ARRAY)
		t = stf_meta_strip_typedefs(u, u->types[t].target);
	if (t >= u->ntypes || depth > 16 ||
	    (u->types[t].kind != STF_K_STRUCT && u->types[t].kind != STF_K_UNION))
		return;
	aggregate_key(u, t, name, sizeof name);
	if (*name) {
		if (is_heap_type(d, name))
			return;
		p = realloc(d->heap_types, (d->nheap_types + 1) * sizeof *p);
		if (!p || !(p[d->nheap_types] = strdup(name))) {
			d->oom = 1;
			if (p)
				d->heap_types = p;
			return;
		}
		d->heap_types = p;
		d->nheap_types++;
	}
	for (uint32_t k = 0; k < u->types[t].nmembers; k++)
		note_heap_type(d, u, u->members[u->types[t].members + k].type, depth + 1);
}

/* What the new version allocates on the heap, by its sites' types. */
static void find_heap_types(struct diff *d)
{
	for (size_t ui = 0; ui < d->new->nunits; ui++) {
		const struct stf_meta_unit *u = &d->new->units[ui];
		for (uint32_t i = 0; i < u->nsites; i++)
			if (u->sites[i].type != STF_NONE)
				note_heap_type(d, u, u->sites[i].type, 0);
	}
}

/* Named structs, unions and enums, and anonymous ones named by a typedef,
 * compared member by member under that name. */
static void diff_types(struct diff *d)
{
	const struct stf_meta *mo = d->old, *mn = d->new;

	for (size_t ui = 0; ui < mo->nunits; ui++) {
		const struct stf_meta_unit *u = &mo->units[ui];

		for (uint32_t t = 0; t < u->ntypes; t++) {
			const struct stf_type_rec *r = &u->types[t], *ro, *rn;
			const struct stf_meta_unit *uo, *un;
			uint32_t to, tn, ao, an;
			char name[512];

			if (r->name && is_aggregate(r)) {
				snprintf(name, sizeof name, "%s %s",
					 r->kind == STF_K_STRUCT ? "struct" :
					 r->kind == STF_K_UNION ? "union" : "enum",
					 stf_meta_str(u, r->name));
			} else if (r->kind == STF_K_TYPEDEF) {
				ao = stf_meta_strip_typedefs(u, t);
				if (ao >= u->ntypes || u->types[ao].name ||
				    !is_aggregate(&u->types[ao]))
					continue;
				snprintf(name, sizeof name, "%s", stf_meta_str(u, r->name));
			} else {
				continue;
			}
			/* The best record of the name, once: where find_type leads. */
			if (stf_meta_find_type(mo, name, &uo, &to) || uo != u || to != t)
				continue;
			ao = stf_meta_strip_typedefs(uo, to);
			ro = &uo->types[ao];
			if (stf_meta_find_type(mn, name, &un, &tn)) {
				/* a struct of the same tag may have become a union */
				static const char *const other[] = { "struct ", "union " };
				const char *bare = stf_meta_str(u, r->name);
				char alt[512];

				for (int k = 0; k < 2 && r->kind != STF_K_TYPEDEF; k++) {
					snprintf(alt, sizeof alt, "%s%s", other[k], bare);
					if (r->kind != STF_K_ENUM && strcmp(alt, name) &&
					    stf_meta_find_type(mn, alt, &un, &tn) == 0)
						add(d, "type changed", name, name, alt, V_CALLBACK,
						    "struct <-> union");
				}
				continue;
			}
			an = stf_meta_strip_typedefs(un, tn);
			if (an >= un->ntypes)
				continue;
			rn = &un->types[an];
			if ((ro->flags | rn->flags) & STF_TF_INCOMPLETE)
				continue;
			if (ro->kind != rn->kind) {
				char so[256], sn[256];
				spell(uo, ao, so, sizeof so);
				spell(un, an, sn, sizeof sn);
				add(d, "type changed", name, so, sn, V_CALLBACK, "different kind of type");
			} else if (ro->kind == STF_K_ENUM) {
				diff_enum(d, name, uo, ro, un, rn);
			} else {
				d->place = is_heap_type(d, name) ? IN_HEAP : IN_TYPE;
				diff_members(d, name, uo, ao, un, an);
				d->place = IN_TYPE;
			}
		}
	}
}

static void diff_sites(struct diff *d)
{
	const struct stf_meta *mo = d->old, *mn = d->new;
	char so[256], sn[256];

	for (size_t ui = 0; ui < mo->nunits; ui++) {
		const struct stf_meta_unit *uo = &mo->units[ui];

		for (uint32_t i = 0; i < uo->nsites; i++) {
			const struct stf_site_rec *s = &uo->sites[i];
			const char *id = stf_meta_str(uo, s->id);
			const struct stf_meta_unit *un, *first;
			uint32_t j, fi;
			struct verdict_note vn;

			if (stf_meta_find_site(mo, id, &first, &fi) || first != uo || fi != i)
				continue;
			spell(uo, s->type, so, sizeof so);
			if (stf_meta_find_site(mn, id, &un, &j)) {
				add(d, "site removed", id, so, NULL, V_CALLBACK,
				    "its live blocks have no allocation site in the new version");
				continue;
			}
			spell(un, un->sites[j].type, sn, sizeof sn);
			vn = classify(d, id, uo, s->type, un, un->sites[j].type);
			if (vn.v != V_SAME)
				add(d, "site retyped", id, so, sn, vn.v, vn.note);
		}
	}
	for (size_t ui = 0; ui < mn->nunits; ui++) {
		const struct stf_meta_unit *un = &mn->units[ui];

		for (uint32_t j = 0; j < un->nsites; j++) {
			const char *id = stf_meta_str(un, un->sites[j].id);
			const struct stf_meta_unit *first;
			uint32_t fj;

			if (stf_meta_find_site(mn, id, &first, &fj) || first != un || fj != j ||
			    stf_meta_find_site(mo, id, NULL, NULL) == 0)
				continue;
			spell(un, un->sites[j].type, sn, sizeof sn);
			add(d, "site added", id, NULL, sn, V_AUTO, "");
		}
	}
}

/* ------------------------------------------------------------------ */
/* Output                                                               */

static void print_text(const struct diff *d)
{
	size_t counts[5] = { 0 };

	for (size_t i = 0; i < d->nchanges; i++) {
		const struct change *c = &d->changes[i];

		printf("%s: %s", c->what, c->name);
		if (*c->old && *c->new)
			printf(": %s -> %s", c->old, c->new);
		else if (*c->old || *c->new)
			printf(" (%s)", *c->old ? c->old : c->new);
		printf(": %s", verdict_word[c->verdict]);
		if (*c->note)
			printf(" (%s)", c->note);
		printf("\n");
		counts[c->verdict]++;
	}
	if (d->nchanges)
		printf("diff: %zu state change%s: %zu auto, %zu possibly lossy, %zu need%s review, "
		       "%zu need%s a callback\n",
		       d->nchanges, d->nchanges == 1 ? "" : "s", counts[V_AUTO],
		       counts[V_LOSSY], counts[V_REVIEW], counts[V_REVIEW] == 1 ? "s" : "",
		       counts[V_CALLBACK], counts[V_CALLBACK] == 1 ? "s" : "");
	else
		printf("diff: no state changes\n");
}

static void print_json(const struct diff *d, const char *old, const char *new)
{
	printf("{\"old\":");
	json_string(stdout, old);
	printf(",\"new\":");
	json_string(stdout, new);
	printf(",\"changes\":[");
	for (size_t i = 0; i < d->nchanges; i++) {
		const struct change *c = &d->changes[i];

		printf("%s\n{\"change\":", i ? "," : "");
		json_string(stdout, c->what);
		printf(",\"name\":");
		json_string(stdout, c->name);
		printf(",\"old\":");
		if (*c->old)
			json_string(stdout, c->old);
		else
			printf("null");
		printf(",\"new\":");
		if (*c->new)
			json_string(stdout, c->new);
		else
			printf("null");
		printf(",\"transfer\":\"%s\",\"lossy\":%s,\"note\":",
		       verdict_word[c->verdict], c->verdict == V_LOSSY ? "true" : "false");
		json_string(stdout, c->note);
		printf("}");
	}
	printf("]}\n");
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	struct diff d = { 0 };
	struct elfmeta *eo = NULL, *en = NULL;
	int json = 0, c, status = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j') {
			fprintf(stderr, "Try 'stf-meta --help'.\n");
			return EXIT_USAGE;
		}
		json = 1;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "stf-meta: diff: expected OLD and NEW\nTry 'stf-meta --help'.\n");
		return EXIT_USAGE;
	}
	eo = stf_meta_tool_open(argv[optind]);
	if (eo)
		en = stf_meta_tool_open(argv[optind + 1]);
	if (!eo || !en)
		goto out;
	d.old = elfmeta_meta(eo);
	d.new = elfmeta_meta(en);
	find_heap_types(&d);
	diff_objects(&d);
	diff_types(&d);
	diff_sites(&d);
	if (d.oom) {
		fprintf(stderr, "stf-meta: diff: out of memory\n");
		goto out;
	}
	if (json)
		print_json(&d, argv[optind], argv[optind + 1]);
	else
		print_text(&d);
	status = d.nchanges ? EXIT_DIFF : EXIT_SAME;
out:
	for (size_t i = 0; i < d.nheap_types; i++)
		free(d.heap_types[i]);
	free(d.heap_types);
	free(d.changes);
	elfmeta_close(eo);
	elfmeta_close(en);
	return status;
}
