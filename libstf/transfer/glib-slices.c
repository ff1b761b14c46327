/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * glib-slices.c - the program's structs inside GLib's own blocks.
 *
 * `g_slice_new0 (struct sess)` on GLib 2.74 carves the struct out of a
 * page of GLib's slice allocator, which libstf tracks: a block GLib
 * allocated, untyped and kept as bytes at its address (untyped.c), or,
 * when GLib allocated the page during the program's g_slice_alloc0 call
 * (a site of the program, typed by the plugin), a block of that site
 * typed as an array of the struct, though GLib's free chunks and its
 * page header lie between the structs.  Either way a struct that changes
 * in the new version would not be converted where the program's
 * pointers and GLib's magazines expect it.  So a typed pointer to a
 * struct of the program whose layout changes, into a block GLib
 * allocated, and a block of a g_slice_alloc site that is not the one
 * struct its site says, refuse the update before anything is allocated,
 * naming the pointer or block, the struct and the fix.  With G_SLICE=always-malloc (and on GLib 2.76
 * and later, whose g_slice_new is g_malloc) each struct is a block of
 * its own, typed by the plugin's site of the call (t/xfer/garray16-gslice).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "glib-arrays.h"
#include "remote.h"

/* The struct leaf f points to, if a struct of the program whose layout
 * changes in the new version (its name in buf). */
static int changing_struct(struct stf_xfer *x, const struct stf_leaf *f, char *buf, size_t len)
{
	if (!f->unit || f->type >= f->unit->ntypes)
		return 0;
	uint32_t pt = strip(f->unit, f->type);
	const struct stf_type_rec *r = T(f->unit, pt);
	return r->kind == STF_K_STRUCT && !(r->flags & STF_TF_SYSTEM) &&
	       stf__struct_changed(f->unit, pt, x->dst->meta, buf, len);
}

static const char slice_fix[] = "allocate it with g_new or malloc, or run the program "
				"with G_SLICE=always-malloc (GLib 2.76 and later always do)";

/* Is the site of object o a call of GLib's slice allocator?  Decided
 * once per site in memo (0: not yet, 1: no, 2: yes). */
static int slice_site(const struct stf_peer *p, const struct stf_obj *o, uint8_t *memo)
{
	const struct stf_meta_unit *u;
	uint32_t k;
	if (o->site >= p->nsites || !p->site_ids[o->site])
		return 0;
	if (!memo[o->site]) {
		const char *a = stf_meta_find_site(p->meta, p->site_ids[o->site], &u, &k) < 0 ? "" :
				stf_meta_str(u, u->sites[k].allocator);
		memo[o->site] = !strcmp(a, "g_slice_alloc") || !strcmp(a, "g_slice_alloc0") ||
				!strcmp(a, "g_slice_copy") ? 2 : 1;
	}
	return memo[o->site] == 2;
}

/* A block of a g_slice_alloc site larger than the struct its site says:
 * GLib's page, typed by the call that made GLib allocate it. */
static int check_slice_pages(struct stf_xfer *x)
{
	struct stf_peer *p = x->src;
	char tn[256], on[256];
	int failed = 0;
	uint8_t *memo = stf__raw_malloc(p->nsites + 1);
	if (!memo) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	memset(memo, 0, p->nsites + 1);
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (o->kind != STF_OBJ_HEAP || !o->unit || o->container ||
		    (o->flags & (STF_OBJF_EXTERNAL | STF_OBJF_INTERNAL)))
			continue;
		uint32_t t = strip(o->unit, o->type);
		const struct stf_type_rec *r = T(o->unit, t);
		if (r->kind != STF_K_STRUCT || o->size == r->size || !slice_site(p, o, memo) ||
		    !stf__struct_changed(o->unit, t, x->dst->meta, tn, sizeof(tn)))
			continue;
		x->failed = 0; /* each one is a problem of its own */
		stf__xfail(x, "%s: %" PRIu64 " bytes allocated while g_slice_new made a %s (%"
			   PRIu64 " bytes): a page of GLib's slice allocator, its structs "
			   "between GLib's free chunks; %s changes in the new version and "
			   "cannot be converted there: %s", stf__obj_name(o, on, sizeof(on)),
			   o->size, tn, r->size, tn, slice_fix);
		failed = 1;
	}
	stf__raw_free(memo);
	return failed ? -1 : 0;
}

int stf__check_glib_slices(struct stf_xfer *x)
{
	static const char glib[] = "libglib-2.0.so";
	struct stf_peer *p = x->src;
	struct stf_ptr_walk w = { 0 };
	char tn[256], on[256], path[512];
	unsigned minor;

	if (x->dir != STF_FORWARD || !stf__peer_glib(p, &minor))
		return 0;
	int failed = check_slice_pages(x) < 0;
	for (size_t i = 0; i < p->nobjs; i++) {
		int rc = stf__ptr_walk_start(&w, x->layouts, &p->objs[i], 1u << STF_LEAF_PTR);
		const struct stf_leaf *f;
		uint64_t v;
		if (rc < 0) {
			stf__xfail(x, "out of memory");
			return -1;
		}
		while (rc && stf__ptr_walk_next(&w, &f, &v)) {
			const struct stf_range *r = v ? stf__index_find(&p->index, v, 0) : NULL;
			const struct stf_obj *so = r ? &p->objs[r->value] : NULL;
			if (!so || so->unit || so->kind != STF_OBJ_HEAP ||
			    !(so->flags & STF_OBJF_EXTERNAL) || !so->id ||
			    strncmp(so->id, glib, sizeof(glib) - 1) ||
			    !changing_struct(x, f, tn, sizeof(tn)))
				continue;
			uint32_t lt;
			snprintf(path, sizeof(path), "%s", stf__obj_name(w.o, on, sizeof(on)));
			stf__type_path(w.o->unit, w.o->type, w.e * w.l->size + f->off, path,
				       sizeof(path), &lt);
			x->failed = 0;
			stf__xfail(x, "%s: points to %s at offset %" PRIu64 " of %s, a block of "
				   "GLib's own (a page of its slice allocator: g_slice_new), kept "
				   "as bytes at its address; %s changes in the new version and "
				   "cannot be converted there: %s", path, tn, v - so->addr,
				   stf__obj_name(so, on, sizeof(on)), tn, slice_fix);
			failed = 1;
		}
	}
	return failed ? -1 : 0;
}
