/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tables.c - static tables whose entries are paired by what they are
 * (see tables.h).
 *
 * A static array is transferred element by element, by index.  A command
 * table that gains an entry in its middle ({ "SET", cmd_set }, { "APPEND",
 * cmd_append }, { "DEL", cmd_del }, ...) would then give the old DEL's
 * state (its call counter, and its handler: cmd_del) to the new APPEND,
 * and string literals, paired by their place in the code, would rename
 * it: the update would commit a table whose names and handlers no longer
 * agree, and the round trip would not see it (the way back shifts them
 * back).  Such a table's entries carry their identity in their constant
 * members: the functions they point to and the literals they name.  When
 * every entry of both versions is identified uniquely by those (the
 * destination's own entries: its initializer), each source entry goes to
 * the destination's entry with the same identity; entries only the
 * destination has keep its values.  An entry whose name the program
 * pointed to a string of the heap (a command renamed at run time) goes to
 * the one entry left that agrees with its other members (its handler),
 * keeping its name; when several agree and the table's length changed
 * the update rolls back (by index, an inserted entry would be lost).
 * Entries whose identity changed otherwise (a handler renamed) leave the
 * table paired by index.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"
#include "tables.h"

#define MEMBER_KEY 80  /* bytes of one member's part of an entry's identity */

enum ident { ID_NONE, ID_FUNC, ID_TEXT };

/* How member type t identifies an entry: a pointer to a function or to
 * char (a name). */
static enum ident ident_of(const struct stf_meta_unit *u, uint32_t t)
{
	const struct stf_type_rec *p = T(u, strip(u, t)), *q;
	if (p->kind != STF_K_POINTER || p->target == STF_NONE)
		return ID_NONE;
	q = T(u, strip(u, p->target));
	if (q->kind == STF_K_FUNCTION)
		return ID_FUNC;
	if (q->kind == STF_K_INT && q->size == 1)
		return ID_TEXT;
	return ID_NONE;
}

/* What value v of peer p is, in key (MEMBER_KEY bytes): the function's
 * ID or the literal's text, "-" for NULL; -1 if it is neither. */
static int member_key(const struct stf_peer *p, uint64_t v, enum ident how, char *key)
{
	const struct stf_obj *o = v ? stf__peer_find(p, v) : NULL;
	int n;

	if (!v) {
		n = snprintf(key, MEMBER_KEY, "-");
	} else if (!o) {
		return -1;
	} else if (how == ID_FUNC) {
		if (o->kind != STF_OBJ_FUNC || o->addr != v)
			return -1;
		n = snprintf(key, MEMBER_KEY, "%s", o->id);
	} else {
		char text[64];
		size_t tl = o->addr + o->size - v;
		if (o->kind != STF_OBJ_STRING || v >= o->addr + o->size)
			return -1;
		if (tl > sizeof(text) - 1)
			tl = sizeof(text) - 1;
		if (stf__peer_read(p, v, text, tl) < 0)
			return -1;
		text[tl] = 0;
		n = snprintf(key, MEMBER_KEY, "\"%s", text);
	}
	return n < 0 || n >= MEMBER_KEY ? -1 : 0;
}

struct ident_member {
	int64_t soff, doff;
	enum ident how;
};

/* The identity of each of count entries of esz bytes at base, in keys
 * (count x nm x MEMBER_KEY), by the members im (of nm).  Entries whose
 * members are all NULL (a terminator; unused slots) have one identity,
 * which must be unique like any other.  A member of a source entry that
 * is neither NULL nor a function or literal (a name the program pointed
 * to a string of the heap: a command renamed at run time) says nothing:
 * its bit in unknown[k]; -1 for such a member of the destination's
 * initializer (unknown NULL). */
static int entry_keys(const struct stf_peer *p, const uint8_t *base, uint64_t count, uint64_t esz,
		      const struct ident_member *im, size_t nm, char *keys, uint8_t *unknown)
{
	for (uint64_t k = 0; k < count; k++) {
		if (unknown)
			unknown[k] = 0;
		for (size_t m = 0; m < nm; m++) {
			char *key = keys + (k * nm + m) * MEMBER_KEY;
			uint64_t v;
			memcpy(&v, base + k * esz + (unknown ? im[m].soff : im[m].doff), sizeof(v));
			if (member_key(p, v, im[m].how, key) == 0)
				continue;
			if (!unknown)
				return -1;
			key[0] = 0;
			unknown[k] |= (uint8_t)(1u << m);
		}
	}
	return 0;
}

/* Source entry i's known members agree with destination entry j's. */
static int same_identity(const char *skeys, uint64_t i, const char *dkeys, uint64_t j, size_t nm,
			 uint8_t unknown)
{
	for (size_t m = 0; m < nm; m++)
		if (!(unknown & (1u << m)) &&
		    strcmp(skeys + (i * nm + m) * MEMBER_KEY, dkeys + (j * nm + m) * MEMBER_KEY))
			return 0;
	return 1;
}

/* The one destination entry not taken whose identity source entry i has
 * (by its known members); STF_TABLE_NONE if none, ENTRY_MANY if more. */
#define ENTRY_MANY (STF_TABLE_NONE - 1)
static uint64_t entry_match(const char *skeys, uint64_t i, const char *dkeys, uint64_t dcount,
			    size_t nm, uint8_t unknown, const uint8_t *taken)
{
	uint64_t found = STF_TABLE_NONE;
	for (uint64_t j = 0; j < dcount; j++) {
		if (taken[j] || !same_identity(skeys, i, dkeys, j, nm, unknown))
			continue;
		if (found != STF_TABLE_NONE)
			return ENTRY_MANY;
		found = j;
	}
	return found;
}

int stf__table_map(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
		   const uint8_t *s, uint64_t count, const struct stf_meta_unit *du, uint32_t dt,
		   const uint8_t *dorig, uint64_t dcount, uint64_t *map, struct stf_table_ids *ids)
{
	const struct stf_type_rec *sr = T(su, st), *dr = T(du, dt);
	struct ident_member im[STF_TABLE_IDS];
	size_t nm = 0;

	if (!dorig || count < 2 || dcount < 2 || count > STF_TABLE_MAX || dcount > STF_TABLE_MAX ||
	    sr->kind != STF_K_STRUCT || dr->kind != STF_K_STRUCT)
		return 0;
	for (uint32_t i = 0; i < sr->nmembers && nm < sizeof(im) / sizeof(im[0]); i++) {
		const struct stf_member_rec *sm = &su->members[sr->members + i];
		enum ident how = ident_of(su, sm->type);
		if (how == ID_NONE || !sm->name)
			continue;
		const char *name = stf_meta_str(su, sm->name);
		for (uint32_t j = 0; j < dr->nmembers; j++) {
			const struct stf_member_rec *dm = &du->members[dr->members + j];
			if (dm->name && !strcmp(stf_meta_str(du, dm->name), name) &&
			    ident_of(du, dm->type) == how) {
				im[nm++] = (struct ident_member){ sm->offset, dm->offset, how };
				break;
			}
		}
	}
	if (!nm)
		return 0;
	char *skeys = stf__arena_alloc(x->arena, count * nm * MEMBER_KEY);
	char *dkeys = stf__arena_alloc(x->arena, dcount * nm * MEMBER_KEY);
	uint8_t *taken = stf__arena_alloc(x->arena, dcount);
	uint8_t *unknown = stf__arena_alloc(x->arena, count);
	if (!skeys || !dkeys || !taken || !unknown ||
	    entry_keys(x->src, s, count, sr->size, im, nm, skeys, unknown) < 0 ||
	    entry_keys(x->dst, dorig, dcount, dr->size, im, nm, dkeys, NULL) < 0)
		return 0;
	memset(taken, 0, dcount);
	uint64_t unmatched_src = 0, moved = 0, all_unknown = (1u << nm) - 1;
	/* entries known by all their members first, each the only one of
	 * its identity on both sides; then each renamed one, to the one entry
	 * left that agrees with its known members */
	for (uint64_t i = 0; i < count; i++) {
		map[i] = STF_TABLE_NONE;
		for (uint64_t j = 0; !unknown[i] && j < dcount; j++) {
			if (!same_identity(skeys, i, dkeys, j, nm, 0))
				continue;
			if (map[i] != STF_TABLE_NONE || taken[j])
				return 0;
			map[i] = j;
			taken[j] = 1;
		}
	}
	for (uint64_t i = 0; i < count; i++) {
		if (!unknown[i])
			continue;
		uint64_t j = entry_match(skeys, i, dkeys, dcount, nm, unknown[i], taken);
		if (j == ENTRY_MANY || (unknown[i] == all_unknown && j != STF_TABLE_NONE))
			return count != dcount ? -1 : 0;
		map[i] = j;
		if (j != STF_TABLE_NONE)
			taken[j] = 1;
	}
	for (uint64_t i = 0; i < count; i++) {
		unmatched_src += map[i] == STF_TABLE_NONE;
		moved += map[i] != i;
	}
	uint64_t unmatched_dst = dcount - (count - unmatched_src);
	/* entries inserted (forward) or dropped again (backward), never both:
	 * an entry gone on one side and new on the other may be a rename */
	if (!moved || (unmatched_src && unmatched_dst))
		return 0;
	ids->n = nm;
	ids->unknown = unknown;
	for (size_t m = 0; m < nm; m++)
		ids->doff[m] = im[m].doff;
	return 1;
}

/*
 * The literals of a table's initializer follow their entry.  A literal
 * in a static initializer pairs by its place ("init:f.c:cmds[3].arg"),
 * so in a table whose new version inserted an entry before it, the
 * literal of the old cmds[3] would pair with the new cmds[3]'s (another
 * entry's), or with none: the update rolled back when its text had
 * changed (a version string as a handler's `void *` argument,
 * t/xfer/red10-tablit).  An entry is recognised by its literals: one at
 * cmds[i].R whose text is, at member R, in exactly one entry j of the
 * new version's table says entry i is entry j there (a text many entries
 * have, flags, says nothing); when all of entry i's literals that say
 * something agree, they pair at cmds[j].
 */

#define ENTRY_AMBIGUOUS UINT64_MAX

/* An initializer place with an index, "init:PREFIX[index]REST". */
struct indexed_place {
	int plen;
	uint64_t index;
	const char *rest;
};

static int indexed_place(const struct stf_obj *o, char *buf, size_t len, struct indexed_place *ip)
{
	size_t n;
	char *open, *end;
	if (o->kind != STF_OBJ_STRING || !o->unit)
		return 0;
	n = stf_meta_literal_place(o->unit, o->site, buf, len);
	if (!n || n >= len || strncmp(buf, "init:", 5) || !(open = strchr(buf, '[')))
		return 0;
	ip->index = strtoull(open + 1, &end, 10);
	if (end == open + 1 || *end != ']')
		return 0;
	ip->plen = (int)(open - buf);
	ip->rest = end + 1;
	return 1;
}

/* "PREFIX[*]REST\x1fID" (the member of any entry, with a text), or with
 * index >= 0 "PREFIX[index]REST", in the arena. */
static char *place_key(struct stf_arena *a, const char *place, const struct indexed_place *ip,
		       int64_t index, const char *rest, const char *id)
{
	char mid[32];
	if (index < 0)
		snprintf(mid, sizeof(mid), "[*]");
	else
		snprintf(mid, sizeof(mid), "[%" PRId64 "]", index);
	size_t n = (size_t)ip->plen + strlen(mid) + strlen(rest) + (id ? strlen(id) + 1 : 0) + 1;
	char *k = stf__arena_alloc(a, n);
	if (k)
		snprintf(k, n, "%.*s%s%s%s%s", ip->plen, place, mid, rest, id ? "\x1f" : "",
			 id ? id : "");
	return k;
}

/* Puts key -> val, or ENTRY_AMBIGUOUS when key has another value. */
static int put_agreeing(struct stf_strmap *m, const char *key, uint64_t val)
{
	uint64_t had;
	if (!stf__strmap_get(m, key, &had) && had != val)
		val = ENTRY_AMBIGUOUS;
	return stf__strmap_put(m, key, val);
}

int stf__table_literals(struct stf_xfer *x, const struct stf_strmap *dst_places)
{
	struct stf_strmap texts = { 0 }, entries = { 0 };
	struct indexed_place ip;
	char buf[512];
	uint64_t j, k;
	int rc = 0;

	/* the new version's: (table, member, text) -> its entry */
	for (size_t d = 0; d < x->dst->nobjs && !rc; d++) {
		const struct stf_obj *o = &x->dst->objs[d];
		if (!indexed_place(o, buf, sizeof(buf), &ip))
			continue;
		char *key = place_key(x->arena, buf, &ip, -1, ip.rest, o->id);
		rc = key ? put_agreeing(&texts, key, ip.index) : -1;
	}
	/* each old entry -> the new entry its literals agree on */
	for (size_t i = 0; i < x->src->nobjs && !rc; i++) {
		const struct stf_obj *o = &x->src->objs[i];
		if (!indexed_place(o, buf, sizeof(buf), &ip))
			continue;
		char *key = place_key(x->arena, buf, &ip, -1, ip.rest, o->id);
		if (!key || stf__strmap_get(&texts, key, &j) || j == ENTRY_AMBIGUOUS)
			continue; /* a text no entry or many have ("rw" flags) */
		key = place_key(x->arena, buf, &ip, (int64_t)ip.index, "", NULL);
		rc = key ? put_agreeing(&entries, key, j) : -1;
	}
	/* the literals of an entry that moved: at its new place */
	for (size_t i = 0; i < x->src->nobjs && !rc; i++) {
		const struct stf_obj *o = &x->src->objs[i];
		if (!indexed_place(o, buf, sizeof(buf), &ip))
			continue;
		char *key = place_key(x->arena, buf, &ip, (int64_t)ip.index, "", NULL);
		if (!key || stf__strmap_get(&entries, key, &j) || j == ENTRY_AMBIGUOUS || j == ip.index)
			continue;
		key = place_key(x->arena, buf, &ip, (int64_t)j, ip.rest, NULL);
		if (!key || stf__strmap_get(dst_places, key, &k))
			continue;
		x->pair[i].dst = (int64_t)k;
		x->pair[i].dst_addr = x->dst->objs[k].addr;
		x->pair[i].same = o->size == x->dst->objs[k].size;
	}
	stf__strmap_free(&texts);
	stf__strmap_free(&entries);
	return rc;
}
