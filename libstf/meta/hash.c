/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hash.c - structural hashes of types (see hash.h), 64-bit FNV-1a over
 * the fields that describe structure.  Computed at load time instead of
 * stored: 8 bytes per type record that do not compress.
 */
#include <string.h>

#include "hash.h"

/* Flags that describe structure; annotations are left out. */
#define HASHED_FLAGS (STF_TF_SIGNED | STF_TF_BOOL | STF_TF_CHAR | STF_TF_FLEXIBLE | \
		      STF_TF_INCOMPLETE | STF_TF_VARIADIC)
#define FNV_OFFSET 0xcbf29ce484222325ULL
/* Deeper than this, a type hashes as unknown: no walk without end. */
#define MAX_DEPTH 64

enum { UNSEEN, IN_PROGRESS, DONE };

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return fnv_bytes(h, b, 8);
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv_bytes(h, s, strlen(s) + 1);
}

static uint64_t full_hash(struct stf_meta_unit *u, uint32_t t, int depth, uint8_t *state);

static uint64_t pointee_hash(struct stf_meta_unit *u, uint32_t t, int depth, uint8_t *state)
{
	if (t >= u->ntypes)
		return FNV_OFFSET;
	const struct stf_type_rec *r = &u->types[t];
	if (depth > MAX_DEPTH)
		return fnv_str(FNV_OFFSET, "?");
	if (r->kind == STF_K_TYPEDEF) {
		uint64_t h = fnv_str(fnv_u64(FNV_OFFSET, r->kind), stf_meta_str(u, r->name));
		return fnv_u64(h, pointee_hash(u, r->target, depth + 1, state));
	}
	if ((r->kind == STF_K_STRUCT || r->kind == STF_K_UNION) && r->name)
		return fnv_str(fnv_u64(FNV_OFFSET, r->kind), stf_meta_str(u, r->name));
	return full_hash(u, t, depth + 1, state);
}

static uint64_t full_hash(struct stf_meta_unit *u, uint32_t t, int depth, uint8_t *state)
{
	if (t >= u->ntypes)
		return FNV_OFFSET;
	/* the reader's own copy of the blob: its records are ours to fill */
	struct stf_type_rec *r = (struct stf_type_rec *)&u->types[t];
	if (state[t] == DONE)
		return r->hash;
	/* A cycle not through a named tag (a struct passed by value to a
	 * function its member points to) or a very deep type. */
	if (state[t] == IN_PROGRESS || depth > MAX_DEPTH)
		return fnv_str(FNV_OFFSET, "?");
	state[t] = IN_PROGRESS;
	uint64_t h = fnv_u64(FNV_OFFSET, r->kind);
	h = fnv_str(h, stf_meta_str(u, r->name));
	h = fnv_u64(h, r->size);
	h = fnv_u64(h, r->flags & HASHED_FLAGS);
	h = fnv_u64(h, r->count);
	if (r->target != STF_NONE)
		h = fnv_u64(h, r->kind == STF_K_POINTER ? pointee_hash(u, r->target, depth, state)
							: full_hash(u, r->target, depth + 1, state));
	for (uint32_t k = 0; k < r->nmembers; k++) {
		const struct stf_member_rec *m = &u->members[r->members + k];
		h = fnv_str(h, stf_meta_str(u, m->name));
		h = fnv_u64(h, (uint64_t)m->offset);
		h = fnv_u64(h, ((uint64_t)m->bit_offset << 16) | m->bit_size);
		if (m->type != STF_NONE)
			h = fnv_u64(h, full_hash(u, m->type, depth + 1, state));
	}
	r->hash = h;
	state[t] = DONE;
	return h;
}

void stf_meta_hash_types(struct stf_meta_unit *u, uint8_t *state)
{
	if (!u->ntypes)
		return;
	memset(state, UNSEEN, u->ntypes);
	for (uint32_t t = 0; t < u->ntypes; t++)
		full_hash(u, t, 0, state);
}
