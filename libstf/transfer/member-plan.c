/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * member-plan.c - what transforming one struct type into another does,
 * worked out once per pair of types (not once per value): the source
 * member of each destination member (matched by name, renames applied),
 * and the plan transform.c runs per value: runs of bytes copied as they
 * are (members of unchanged types without pointers, adjacent ones merged),
 * unchanged members with pointers (copied, then their pointers fixed up),
 * pointers whose pointee type changed (relocated), scalars converted, and
 * every other member (unions, arrays, nested structs that changed,
 * bit-fields, annotated members) transformed by the general member by
 * member walk.  A heap of a million changed objects of a few types paid
 * that walk's lookups (names, typedefs, layouts, callbacks) per member of
 * every object.
 */
#include <string.h>

#include "callbacks.h"
#include "engine.h"
#include "remote.h"

#define MEMBER_MAPS 256 /* pairs remembered; more are looked up each time */

/* Types are matched by name: a struct, union or enum whose tag changed
 * (and no rename says so) is another type. */
int stf__renamed_type(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
		      const struct stf_meta_unit *du, uint32_t dt)
{
	const struct stf_type_rec *S = T(su, st), *D = T(du, dt);
	char a[256], b[256];
	if ((S->kind != STF_K_STRUCT && S->kind != STF_K_UNION && S->kind != STF_K_ENUM) ||
	    S->kind != D->kind || !S->name || !D->name)
		return 0;
	if (!strcmp(stf_meta_str(su, S->name), stf_meta_str(du, D->name)))
		return 0;
	if (!x->renames)
		return 1;
	stf__type_str(su, st, a, sizeof(a));
	stf__type_str(du, dt, b, sizeof(b));
	return strcmp(stf__rename(STF_RENAME_TYPE, a, x->dir), b) != 0;
}

/* The step for destination member i, whose source member is sm at sabs:
 * what stf__xform would do with the pair of member types, decided now. */
static struct member_step step_for(struct stf_xfer *x, const struct stf_meta_unit *su,
				   const struct stf_member_rec *sm, uint64_t sabs,
				   const struct stf_meta_unit *du, const struct stf_member_rec *dm,
				   uint32_t i)
{
	struct member_step op = { STF_STEP_MEMBER, i, sabs, (uint64_t)dm->offset, 0,
				  stf_meta_str(du, dm->name), NULL, { NULL, 0, NULL, 0 }, 0, 0 };
	uint32_t smt = strip(su, sm->type), dmt = strip(du, dm->type);
	if (smt >= su->ntypes || dmt >= du->ntypes || sm->bit_size || dm->bit_size ||
	    ((sm->flags | dm->flags) & (STF_MF_IXFER | STF_MF_PXFER)) ||
	    (stf__is_flexible(du, dmt) && stf__is_flexible(su, smt)))
		return op;
	const struct stf_type_rec *S = T(su, smt), *D = T(du, dmt);
	if (S->hash == D->hash && S->size == D->size && S->kind == D->kind) {
		const struct stf_layout *l = stf__layout(x->layouts, su, smt);
		if (!l)
			return op;
		op.layout = l;
		op.stype = smt;
		op.kind = l->nptrs ? STF_STEP_SAME : STF_STEP_COPY;
		op.len = l->size;
		return op;
	}
	if ((S->flags | D->flags) & STF_TF_OPAQUE || stf__renamed_type(x, su, smt, du, dmt))
		return op;
	if (S->kind == STF_K_POINTER && D->kind == STF_K_POINTER) {
		uint32_t sp = strip(su, S->target), dp = strip(du, D->target);
		op.kind = STF_STEP_POINTER;
		op.pe = (struct pointee){ su, S->target, NULL, 0 };
		if (sp < su->ntypes && dp < du->ntypes && T(su, sp)->hash != T(du, dp)->hash) {
			op.pe.dunit = du;
			op.pe.dtype = D->target;
		}
	} else if (D->kind == STF_K_INT || D->kind == STF_K_ENUM || D->kind == STF_K_FLOAT) {
		op.kind = STF_STEP_SCALAR;
		op.stype = smt;
		op.dtype = dmt;
	}
	return op;
}

/* The plan of a pair: its steps in destination order, byte copies that
 * continue each other merged.  Returns 0, -1 when out of memory. */
static int plan_steps(struct stf_xfer *x, struct member_map *m)
{
	const struct stf_type_rec *D = T(m->du, m->dt);
	struct member_step *ops = stf__arena_alloc(x->arena, (D->nmembers + 1) * sizeof(*ops));
	size_t n = 0;
	if (!ops)
		return -1;
	for (uint32_t i = 0; i < D->nmembers; i++) {
		const struct stf_member_rec *dm = &m->du->members[D->members + i];
		if (strip(m->du, dm->type) >= m->du->ntypes)
			continue;
		if (*stf_meta_str(m->du, dm->name) && !m->sm[i])
			continue; /* added member: stays zero */
		struct member_step op = { STF_STEP_MEMBER, i, 0, 0, 0, NULL, NULL,
					  { NULL, 0, NULL, 0 }, 0, 0 };
		if (m->sm[i])
			op = step_for(x, m->su, m->sm[i], m->sabs[i], m->du, dm, i);
		struct member_step *last = n ? &ops[n - 1] : NULL;
		if (op.kind == STF_STEP_COPY && last && last->kind == STF_STEP_COPY &&
		    last->soff + last->len == op.soff && last->doff + last->len == op.doff) {
			last->len += op.len;
			continue;
		}
		ops[n++] = op;
	}
	m->steps = ops;
	m->nsteps = n;
	return 0;
}

const struct member_map *stf__member_map(struct stf_xfer *x, const struct stf_meta_unit *su,
					 uint32_t st, const struct stf_meta_unit *du,
					 uint32_t dt)
{
	if (!x->member_maps &&
	    !(x->member_maps = stf__arena_alloc(x->arena, MEMBER_MAPS * sizeof(*x->member_maps))))
		return NULL;
	uint64_t h = ((uint64_t)(uintptr_t)su ^ ((uint64_t)(uintptr_t)du << 7) ^
		      ((uint64_t)st << 32) ^ dt) * 0x9e3779b97f4a7c15ull;
	size_t k = (size_t)(h >> 56) % MEMBER_MAPS;
	for (size_t probe = 0; probe < MEMBER_MAPS; probe++, k = (k + 1) % MEMBER_MAPS) {
		struct member_map *m = x->member_maps[k];
		if (m && m->su == su && m->st == st && m->du == du && m->dt == dt)
			return m;
		if (m)
			continue;
		const struct stf_type_rec *D = T(du, dt);
		m = stf__arena_alloc(x->arena, sizeof(*m) + D->nmembers *
				     (sizeof(*m->sm) + sizeof(*m->sabs)));
		if (!m)
			return NULL;
		*m = (struct member_map){ su, du, st, dt, NULL, NULL, NULL, 0 };
		m->sabs = (uint64_t *)(m + 1);
		m->sm = (const struct stf_member_rec **)(m->sabs + D->nmembers);
		for (uint32_t i = 0; i < D->nmembers; i++) {
			const char *dname = stf_meta_str(du, du->members[D->members + i].name);
			if (*dname)
				m->sm[i] = stf__src_member_for(x, su, st, dname, &m->sabs[i]);
		}
		if (plan_steps(x, m) < 0)
			return NULL;
		x->member_maps[k] = m;
		return m;
	}
	return NULL;
}
