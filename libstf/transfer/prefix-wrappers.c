/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * prefix-wrappers.c - blocks a function not declared STF_ALLOCATOR hands
 * out past a prefix of its own: refused when a struct changes.
 *
 * A size-prefixing wrapper the program does not declare STF_ALLOCATOR
 *
 *     void *obj_new(enum kind k, size_t n) {
 *             struct hdr *h = malloc(sizeof *h + n);
 *             h->kind = k; h->size = n; h->magic = MAGIC;
 *             return h + 1;
 *     }
 *
 * is no wrapper to the plugin (it returns no fresh block): its malloc is a
 * site of its own, typed after its prefix (an array of struct hdr, of
 * size_t) or not at all, and its callers' types never reach the block.
 * What they keep past the prefix (a struct conn, reached only through
 * `void *objs[]`) is copied as the prefix's type says, as bytes: when that
 * struct's layout changes, the new version reads it with the new layout.
 * The plugin flags such a site (STF_SF_UNDECLARED_PREFIX, with the prefix
 * it found in the function's body: every return is the block plus that
 * constant).  A live block of one, with room past its prefix for a struct
 * of the program whose layout changes, rolls the update back naming the
 * function and the fix (STF_ALLOCATOR makes the callers' sites type what
 * it hands out), once per site.
 *
 * So does a live object of a site flagged STF_SF_UNKNOWN_CALLERS: what a
 * found wrapper of an STF_ALLOCATOR (obj_new returning xmalloc's result)
 * handed out to a caller that did not know it is one (in another file,
 * through a pointer), registered with the wrapper's own site, of no type
 * the caller chose.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "remote.h"
#include "xfer.h"

/* The program's structs whose layout changes in the destination (or that
 * it no longer has): the smallest one's old size in *min and its name in
 * name; 0 if there is none. */
static int smallest_changed_struct(const struct stf_meta *m, const struct stf_meta *dst,
				   uint64_t *min, char *name, size_t len)
{
	char tn[256];
	int any = 0;

	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *u = &m->units[k];
		for (uint32_t t = 0; t < u->ntypes; t++) {
			const struct stf_type_rec *tr = &u->types[t];
			if (tr->kind != STF_K_STRUCT || (tr->flags & (STF_TF_SYSTEM | STF_TF_INCOMPLETE)) ||
			    !tr->size || (any && tr->size >= *min) ||
			    !stf__struct_changed(u, t, dst, tn, sizeof(tn)))
				continue;
			*min = tr->size;
			snprintf(name, len, "%s", tn);
			any = 1;
		}
	}
	return any;
}

/* What memo says of a site: not looked at yet, not flagged (or reported
 * already), flagged (flagged()). */
enum { SITE_UNSEEN, SITE_DONE, SITE_FLAGGED };

/* Whether a site's objects may hold what the transfer has no type for:
 * past an undeclared prefix (whole blocks only), or handed out by a found
 * wrapper to callers that do not know it (sub-objects). */
static int flagged(const struct stf_site_rec *r, const struct stf_obj *o)
{
	return ((r->flags & STF_SF_UNDECLARED_PREFIX) && r->prefix && !o->container &&
		o->kind == STF_OBJ_HEAP) ||
	       (r->flags & STF_SF_UNKNOWN_CALLERS);
}

/* The site record of heap object o if the plugin flagged it (flagged())
 * and it is not reported yet, else NULL; the site's state in memo. */
static const struct stf_site_rec *prefix_site(const struct stf_peer *p, const struct stf_obj *o,
					      uint8_t *memo, const struct stf_meta_unit **u)
{
	uint32_t k;
	if ((o->kind != STF_OBJ_HEAP && o->kind != STF_OBJ_USER) || o->site >= p->nsites ||
	    memo[o->site] == SITE_DONE)
		return NULL;
	if (!p->site_ids[o->site] || stf_meta_find_site(p->meta, p->site_ids[o->site], u, &k) < 0 ||
	    !flagged(&(*u)->sites[k], o)) {
		memo[o->site] = SITE_DONE;
		return NULL;
	}
	memo[o->site] = SITE_FLAGGED;
	return &(*u)->sites[k];
}

/* Whether a unit of m has a site flagged so: the
 * objects are looked at only then (a million of them would cost the
 * pause for nothing). */
static int any_prefix_site(const struct stf_meta *m)
{
	for (size_t k = 0; k < m->nunits; k++)
		for (uint32_t i = 0; i < m->units[k].nsites; i++)
			if (m->units[k].sites[i].flags &
			    (STF_SF_UNDECLARED_PREFIX | STF_SF_UNKNOWN_CALLERS))
				return 1;
	return 0;
}

int stf__check_prefix_wrappers(struct stf_xfer *x)
{
	struct stf_peer *p = x->src;
	char sn[256], on[256];
	uint64_t min = 0;
	int failed = 0, changed = -1; /* -1: not looked for yet */

	if (x->dir != STF_FORWARD || !x->dst || !x->dst->meta || !any_prefix_site(p->meta))
		return 0;
	uint8_t *memo = stf__raw_malloc(p->nsites + 1);
	if (!memo) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	memset(memo, SITE_UNSEEN, p->nsites + 1);
	for (size_t i = 0; i < p->nobjs && changed; i++) {
		const struct stf_obj *o = &p->objs[i];
		const struct stf_meta_unit *u;
		const struct stf_site_rec *r = prefix_site(p, o, memo, &u);
		if (!r || o->size <= r->prefix)
			continue;
		if (changed < 0)
			changed = smallest_changed_struct(p->meta, x->dst->meta, &min, sn, sizeof(sn));
		if (!changed || o->size - r->prefix < min)
			continue;
		const char *fn = stf_meta_str(u, r->func);
		memo[o->site] = SITE_DONE; /* reported: once per site */
		if (r->flags & STF_SF_UNKNOWN_CALLERS)
			stf__xfail(x, "%s returns what the STF_ALLOCATOR %s hands out, so its "
				   "callers' sites type what they get, but a caller that does not "
				   "know it (in another file, or through a pointer) leaves it under "
				   "%s's own site %s, of no type (%s is one, %" PRIu64 " bytes); "
				   "%s, which may be there, changed its layout in the new version: "
				   "copied as it is, it would be read with the new layout; declare "
				   "%s STF_ALLOCATOR so that each caller's site types what it hands out",
				   fn, stf_meta_str(u, r->allocator), fn, stf_meta_str(u, r->id),
				   stf__obj_name(o, on, sizeof(on)), o->size, sn, fn);
		else
			stf__xfail(x, "%s hands out the bytes past a %" PRIu32 "-byte prefix of the blocks "
				   "it allocates (every return is the block plus %" PRIu32 ") but is not "
				   "declared STF_ALLOCATOR, so what its callers keep there has no type the "
				   "transfer knows (its site %s types the block as its prefix's, if at all; "
				   "%s is one of them, with %" PRIu64 " bytes past the prefix); %s, which "
				   "may be there, changed its layout in the new version: copied as it is, "
				   "it would be read with the new layout; declare %s STF_ALLOCATOR so that "
				   "each caller's site types what it hands out",
				   fn, r->prefix, r->prefix, stf_meta_str(u, r->id),
				   stf__obj_name(o, on, sizeof(on)), o->size - r->prefix, sn, fn);
		failed = 1;
	}
	stf__raw_free(memo);
	return failed ? -1 : 0;
}
