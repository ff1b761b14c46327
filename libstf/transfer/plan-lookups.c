/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * plan-lookups.c - the untyped plan's lookups made ahead, across the
 * machine's cores.
 *
 * Planning (untyped-plan.c) looks each word of the untyped blocks and of
 * the ambiguous unions up in the source's index: which object it points
 * into.  At 10^6 objects these searches, in random address order, are
 * most of the plan, and their answers depend only on the source's bytes
 * and catalog, never on what planning decided so far.  So before planning
 * the objects are cut into parts by cost (parallel.c), and each part walks
 * its objects' words with planning's own walks (stf__plan_typed,
 * stf__plan_block), which record every answer and plan nothing; planning
 * then walks the same words in the same order and takes the answers in
 * turn.  What it decides (placed, pinned, the pin notes, the problems and
 * their order) is what one thread decides, whatever the number of threads.
 * Recorded: the typed objects whose unions the roots' loop walks, and the
 * untyped blocks with no typed head (walked as work).  An object walked
 * otherwise (a block under a head, a block of bytes.c) searches as it goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "heads.h"
#include "remote.h"
#include "untyped.h"

#define PLAN_PART_MIN 16384 /* cost of a part at least, in objects (parallel.c) */

enum { NOT_RECORDED, RECORDED_TYPED, RECORDED_BLOCK, TAKEN };

struct plan_ahead {
	uint32_t *answer; /* all parts' answers, in object order */
	uint32_t *end;    /* object i's answers end at end[i] (start: end[i - 1]) */
	uint8_t *state;   /* per object: NOT_RECORDED ... TAKEN */
};

struct ahead_run {
	struct stf_xfer *x; /* only read */
	struct plan_ahead *a;
	struct plan_record rec[PARTS_MAX];
	const size_t *bounds;
};

void stf__plan_record(struct plan_record *rec, uint32_t answer)
{
	if (rec->n == rec->cap) {
		size_t ncap = rec->cap ? 2 * rec->cap : 4096;
		uint32_t *n = stf__raw_realloc(rec->answer, ncap * sizeof(*n));
		if (!n) {
			rec->oom = 1;
			rec->n = 0; /* keep recording nowhere: the whole is dropped */
			return;
		}
		rec->answer = n;
		rec->cap = ncap;
	}
	rec->answer[rec->n++] = answer;
}

/* An untyped block planning walks as work when a word or the roots'
 * loop places it (and no typed head comes first: stf__xfer_head). */
static int block_walked(const struct stf_peer *p, const struct stf_obj *o)
{
	const struct stf_meta_unit *u;
	uint32_t t;
	return !o->unit && o->bytes && (o->kind == STF_OBJ_HEAP || stf__library_mapping(o)) &&
	       !(o->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN | STF_OBJF_STREAM)) &&
	       !stf__peer_head(p, o, &u, &t);
}

/* Infer-types made the layouts of nearly every typed object already: a
 * part makes its own cache (a populated arena) only for one it lacks. */
const struct stf_layout *stf__plan_record_layout(struct plan_record *rec,
						 const struct stf_meta_unit *u, uint32_t t)
{
	const struct stf_layout *l = stf__layout_made(rec->shared, u, t);
	if (l)
		return l;
	if (!rec->own) {
		rec->arena = stf__arena_new();
		rec->own = rec->arena ? stf__layouts_new(rec->arena) : NULL;
		if (!rec->own)
			return NULL;
	}
	return stf__layout(rec->own, u, t);
}

static void record_part(void *ctx, unsigned k, size_t lo, size_t hi)
{
	struct ahead_run *r = ctx;
	struct plan_record *rec = &r->rec[k];
	struct stf_xfer *x = r->x;
	struct range_memo memo = { 0 };
	memo.record = rec;
	for (size_t i = lo; i < hi && !rec->oom; i++) {
		const struct stf_obj *o = &x->src->objs[i];
		stf__peer_prefetch_ahead(x->src, i, hi);
		if (stf__plan_typed_root(o)) {
			r->a->state[i] = RECORDED_TYPED;
			(void)stf__plan_typed(x, i, o->unit, o->type, o->size, &memo, NULL, NULL);
		} else if (block_walked(x->src, o)) {
			r->a->state[i] = RECORDED_BLOCK;
			stf__plan_block(x, i, 0, &memo, NULL, NULL);
		}
		r->a->end[i] = (uint32_t)rec->n; /* in the part's: made global after */
	}
}

void stf__plan_ahead_free(struct plan_ahead *a)
{
	if (!a)
		return;
	stf__bulk_free(a->answer);
	stf__bulk_free(a->end);
	stf__bulk_free(a->state);
	stf__raw_free(a);
}

static void records_free(struct ahead_run *r, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		stf__raw_free(r->rec[k].answer);
		stf__arena_free(r->rec[k].arena);
	}
}

/* The parts' answers in one array, each object's end counted in it
 * (fewer than 2^32: a 32 GiB heap's words). */
static int join_parts(struct ahead_run *r, unsigned n, size_t nobjs)
{
	size_t total = 0;
	for (unsigned k = 0; k < n; k++)
		total += r->rec[k].n;
	if (total >= UINT32_MAX)
		return -1;
	r->a->answer = stf__bulk_alloc((total + 1) * sizeof(*r->a->answer));
	if (!r->a->answer)
		return -1;
	size_t base = 0;
	for (unsigned k = 0; k < n; k++) {
		const struct plan_record *rec = &r->rec[k];
		memcpy(r->a->answer + base, rec->answer, rec->n * sizeof(*rec->answer));
		for (size_t i = r->bounds[k]; i < r->bounds[k + 1] && i < nobjs; i++)
			r->a->end[i] += (uint32_t)base;
		base += rec->n;
	}
	return 0;
}

struct plan_ahead *stf__plan_ahead(struct stf_xfer *x)
{
	size_t n = x->src->nobjs, bounds[PARTS_MAX + 1];
	unsigned nparts = stf__parallel_pieces(x->src->objs, n, PLAN_PART_MIN, bounds);
	if (nparts < 2)
		return NULL;
	struct plan_ahead *a = stf__raw_malloc(sizeof(*a));
	if (!a)
		return NULL;
	a->answer = NULL;
	a->end = stf__bulk_alloc(n * sizeof(*a->end));
	a->state = stf__bulk_alloc(n);
	struct ahead_run r;
	memset(&r, 0, sizeof(r));
	r.x = x;
	r.a = a;
	r.bounds = bounds;
	for (unsigned k = 0; k < nparts; k++)
		r.rec[k].shared = x->layouts;
	int ok = a->end && a->state;
	if (ok) {
		memset(a->state, NOT_RECORDED, n);
		(void)stf__lowest_mappable(); /* read before the threads */
		stf__parallel_cut(bounds, nparts, record_part, &r);
		for (unsigned k = 0; k < nparts; k++)
			ok &= !r.rec[k].oom;
	}
	ok = ok && join_parts(&r, nparts, n) == 0;
	if (ok) {
		char what[80];
		snprintf(what, sizeof(what), "untyped plan: lookups ahead in %u parts, %u answers",
			 nparts, a->end[n - 1]);
		stf__profile_mark(what);
	}
	records_free(&r, nparts);
	if (!ok) {
		stf__plan_ahead_free(a);
		return NULL;
	}
	return a;
}

void stf__plan_ahead_take(struct plan_ahead *a, size_t i, int typed, struct range_memo *memo)
{
	if (!a || a->state[i] != (typed ? RECORDED_TYPED : RECORDED_BLOCK))
		return;
	a->state[i] = TAKEN;
	memo->ahead = a->answer + (i ? a->end[i - 1] : 0);
	memo->ahead_end = a->answer + a->end[i];
}
