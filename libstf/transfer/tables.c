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
 * destination has keep its values.  Entries whose identity changed (a
 * handler renamed, a heap string) leave the table paired by index.
 */
#include <stdio.h>
#include <string.h>

#include "remote.h"
#include "tables.h"

#define KEY_MAX 256    /* bytes of one entry's identity */

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

/* Append what value v of peer p is to key (length *len): the function's
 * ID or the literal's text, "-" for NULL; -1 if it is neither. */
static int key_add(const struct stf_peer *p, uint64_t v, enum ident how, char *key, size_t *len)
{
	const struct stf_obj *o = v ? stf__peer_find(p, v) : NULL;
	size_t room = KEY_MAX - *len - 1;
	int n;

	if (!v) {
		n = snprintf(key + *len, room, "-|");
	} else if (!o) {
		return -1;
	} else if (how == ID_FUNC) {
		if (o->kind != STF_OBJ_FUNC || o->addr != v)
			return -1;
		n = snprintf(key + *len, room, "%s|", o->id);
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
		n = snprintf(key + *len, room, "\"%s|", text);
	}
	if (n < 0 || (size_t)n >= room)
		return -1;
	*len += (size_t)n;
	return 0;
}

struct ident_member {
	int64_t soff, doff;
	enum ident how;
};

/* The identity of each of count entries of esz bytes at base, in keys
 * (count x KEY_MAX), by the members im (of nm): -1 if a member of one is
 * neither NULL nor a function or literal.  Entries whose members are all
 * NULL (a terminator; unused slots) have one identity, which must be
 * unique like any other. */
static int entry_keys(const struct stf_peer *p, const uint8_t *base, uint64_t count, uint64_t esz,
		      const struct ident_member *im, size_t nm, int dst_side, char *keys)
{
	for (uint64_t k = 0; k < count; k++) {
		char *key = keys + k * KEY_MAX;
		size_t len = 0;
		for (size_t m = 0; m < nm; m++) {
			uint64_t v;
			memcpy(&v, base + k * esz + (dst_side ? im[m].doff : im[m].soff), sizeof(v));
			if (key_add(p, v, im[m].how, key, &len) < 0)
				return -1;
		}
		key[len] = 0;
	}
	return 0;
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
	char *skeys = stf__arena_alloc(x->arena, count * KEY_MAX);
	char *dkeys = stf__arena_alloc(x->arena, dcount * KEY_MAX);
	uint8_t *taken = stf__arena_alloc(x->arena, dcount);
	if (!skeys || !dkeys || !taken ||
	    entry_keys(x->src, s, count, sr->size, im, nm, 0, skeys) < 0 ||
	    entry_keys(x->dst, dorig, dcount, dr->size, im, nm, 1, dkeys) < 0)
		return 0;
	memset(taken, 0, dcount);
	uint64_t unmatched_src = 0, moved = 0;
	for (uint64_t i = 0; i < count; i++) {
		map[i] = STF_TABLE_NONE;
		for (uint64_t j = 0; j < dcount; j++) {
			if (strcmp(skeys + i * KEY_MAX, dkeys + j * KEY_MAX))
				continue;
			if (map[i] != STF_TABLE_NONE || taken[j])
				return 0; /* not unique */
			map[i] = j;
			taken[j] = 1;
		}
		unmatched_src += map[i] == STF_TABLE_NONE;
		moved += map[i] != i;
	}
	uint64_t unmatched_dst = dcount - (count - unmatched_src);
	/* entries inserted (forward) or dropped again (backward), never both:
	 * an entry gone on one side and new on the other may be a rename */
	if (!moved || (unmatched_src && unmatched_dst))
		return 0;
	ids->n = nm;
	for (size_t m = 0; m < nm; m++)
		ids->doff[m] = im[m].doff;
	return 1;
}
