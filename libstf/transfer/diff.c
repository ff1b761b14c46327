/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * diff.c - state differencing: the reversed version R against the past
 * version P (same binary), object by object.
 *
 * Scope: what the backward transfer wrote into R (stf__xfer_served): its
 * statics and locals by static ID, its dynamic objects by site ID and
 * dynamic ID; P's dynamic objects of instrumented sites must all come back,
 * but those nothing carried reaches, which the forward transfer drops
 * (unreached.c).
 * Values are compared leaf by leaf (padding is ignored), pointers by the
 * (object, offset) or (library symbol, offset) they point to; pointers to
 * stdio streams libc allocated (re-created by the transfer, not copied) by
 * the stream's file descriptor, mode and pending output (diff-values.c).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "apr-pools.h"
#include "diff-values.h"
#include "heads.h"
#include "remote.h"
#include "slots.h"
#include "sort-keys.h"
#include "spans.h"
#include "xfer.h"

#define PRINT_MAX 200

/* Differences a part of the comparison keeps (in order) for the report;
 * past these, a part only counts them (they are omitted from the report
 * as past its STF_PROBLEMS_MAX texts anyway). */
#define KEEP_MAX 4096

/* One part of the comparison (parallel.c): what it reads is shared, what
 * it finds is its own until merged in part order. */
struct differ {
	struct stf_peer *p, *r;
	struct stf_layouts *layouts;
	/* where the last pointer lookup in each process ended (stf__canon) */
	const struct stf_range *phint, *rhint;
	char *found;           /* NUL-terminated messages, in order */
	size_t found_len, found_cap;
	uint64_t nfound, dropped;
	/* the value being compared, its path printed only for a difference:
	 * the object, its element (UINT64_MAX: none), a member path */
	const struct stf_obj *obj;
	uint64_t elem;
	char path[768];
};

static const char *full_path(const struct differ *d, char *buf, size_t len)
{
	int n;
	if (d->obj->dyn_id)
		n = snprintf(buf, len, "%s@%" PRIu64, d->obj->id, d->obj->dyn_id);
	else
		n = snprintf(buf, len, "%s", d->obj->id);
	if (n >= 0 && (size_t)n < len && d->elem != UINT64_MAX)
		n += snprintf(buf + n, len - n, "[%" PRIu64 "]", d->elem);
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "%s", d->path);
	return buf;
}

static void report(struct differ *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report(struct differ *d, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
	msg[len] = 0;
	if (d->nfound >= KEEP_MAX) {
		d->dropped++;
		return;
	}
	if (d->found_len + len + 1 > d->found_cap) {
		size_t cap = d->found_cap ? d->found_cap * 2 : 16384;
		while (cap < d->found_len + len + 1)
			cap *= 2;
		char *f = stf__raw_realloc(d->found, cap);
		if (!f) {
			d->dropped++;
			return;
		}
		d->found = f;
		d->found_cap = cap;
	}
	memcpy(d->found + d->found_len, msg, len + 1);
	d->found_len += len + 1;
	d->nfound++;
}

/* Merge what a part found into the report (parts in order: the report
 * is the one of a single thread). */
static void merge_found(struct differ *d, struct stf_xfer_report *rep)
{
	const char *msg = d->found;
	for (uint64_t k = 0; k < d->nfound; k++, msg += strlen(msg) + 1) {
		if (!rep->differences)
			snprintf(rep->first_diff, sizeof(rep->first_diff), "%s", msg);
		stf__report_problem(rep, msg);
		rep->differences++;
		if (rep->differences <= PRINT_MAX)
			fprintf(stderr, "libstf: diff: %s\n", msg);
	}
	rep->differences += d->dropped;
	rep->problems_omitted += d->dropped;
	stf__raw_free(d->found);
	d->found = NULL;
	d->found_len = d->found_cap = 0;
	d->nfound = d->dropped = 0;
}

/* Report the first differing byte of a plain-data range. */
static void diff_bytes(struct differ *d, const struct stf_obj *o, uint64_t elem_base,
		       uint64_t off, const uint8_t *pb, const uint8_t *rb)
{
	char path[1024], a[96], b[96];
	uint32_t leaf = STF_NONE;
	uint64_t start = off;
	full_path(d, path, sizeof(path));
	if (o->unit) {
		stf__type_path(o->unit, o->type, off - elem_base, path, sizeof(path), &leaf);
		leaf = stf__scalar_at(o->unit, o->type, off - elem_base, &start);
		start += elem_base;
	} else {
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "+%" PRIu64, off);
	}
	if (o->unit && leaf != STF_NONE) {
		stf__fmt_scalar(o->unit, leaf, pb + start, a, sizeof(a));
		stf__fmt_scalar(o->unit, leaf, rb + start, b, sizeof(b));
	} else {
		snprintf(a, sizeof(a), "0x%02x", pb[off]);
		snprintf(b, sizeof(b), "0x%02x", rb[off]);
	}
	report(d, "%s: %s (past) != %s (reversed)", path, a, b);
}

/* Do the differing 8-byte words of two union values (at offset 0, 8...)
 * point to the same objects or library symbols? */
static int ambig_same(struct differ *d, const uint8_t *pb, const uint8_t *rb, uint64_t size)
{
	for (uint64_t w = 0; w + 8 <= size; w += 8) {
		uint64_t pv, rv;
		struct target pt, rt;
		memcpy(&pv, pb + w, 8);
		memcpy(&rv, rb + w, 8);
		if (pv == rv)
			continue;
		stf__canon(d->p, pv, &pt, &d->phint);
		stf__canon(d->r, rv, &rt, &d->rhint);
		if ((pt.kind != 1 && pt.kind != 2) || !stf__same_target(&pt, &rt))
			return 0;
	}
	return !(size % 8) || !memcmp(pb + size - size % 8, rb + size - size % 8, size % 8);
}

static void diff_layout(struct differ *d, const struct stf_obj *o, const struct stf_layout *l,
			uint64_t base, const uint8_t *pb, const uint8_t *rb)
{
	for (size_t k = 0; k < l->n; k++) {
		const struct stf_leaf *f = &l->leaves[k];
		uint64_t off = base + f->off;
		switch (f->kind) {
		case STF_LEAF_PTR:
		case STF_LEAF_PXFER: {
			uint64_t pv, rv;
			struct target pt, rt;
			memcpy(&pv, pb + off, 8);
			memcpy(&rv, rb + off, 8);
			stf__canon(d->p, pv, &pt, &d->phint);
			stf__canon(d->r, rv, &rt, &d->rhint);
			if (pt.kind == TARGET_OBJECT && pt.off == 0 && f->kind == STF_LEAF_PTR) {
				if (pt.obj->flags & STF_OBJF_STREAM) {
					/* the reversed version's stream is its own
					 * libc's block, whatever its catalog says */
					stf__canon_stream(d->p, pv, &pt);
					if (rv && !stf__not_a_pointer(rv) && rt.kind != 2)
						stf__canon_stream(d->r, rv, &rt);
				}
			}
			if (!stf__same_target(&pt, &rt)) {
				char path[1024], a[300], b[300];
				uint32_t lt;
				full_path(d, path, sizeof(path));
				if (o->unit)
					stf__type_path(o->unit, o->type, f->off, path, sizeof(path), &lt);
				stf__fmt_target(&pt, a, sizeof(a));
				stf__fmt_target(&rt, b, sizeof(b));
				report(d, "%s: %s (past) != %s (reversed)", path, a, b);
			}
			break;
		}
		case STF_LEAF_BITS: {
			uint64_t pv = 0, rv = 0, mask;
			memcpy(&pv, pb + off, f->size > 8 ? 8 : f->size);
			memcpy(&rv, rb + off, f->size > 8 ? 8 : f->size);
			mask = (f->bit_size < 64 ? (1ULL << f->bit_size) - 1 : ~0ULL) << f->bit_off;
			if ((pv & mask) != (rv & mask)) {
				char path[1024];
				uint32_t lt;
				full_path(d, path, sizeof(path));
				stf__type_path(o->unit, o->type, f->off, path, sizeof(path), &lt);
				report(d, "%s: bitfield %" PRIu64 " (past) != %" PRIu64 " (reversed)",
				       path, (pv & mask) >> f->bit_off, (rv & mask) >> f->bit_off);
			}
			break;
		}
		case STF_LEAF_AMBIG:
			/* a union that may hold a pointer, transferred by a
			 * callback: a pointer word that differs is the same
			 * if it points to the same target */
			if (memcmp(pb + off, rb + off, f->size) &&
			    ambig_same(d, pb + off, rb + off, f->size))
				break;
			/* fall through */
		default:
			if (memcmp(pb + off, rb + off, f->size))
				for (uint64_t i = 0; i < f->size; i++)
					if (pb[off + i] != rb[off + i]) {
						diff_bytes(d, o, base, off + i, pb, rb);
						break;
					}
		}
	}
}

/* The bytes of an object kept at its address from offset `from` on whose
 * words the transfer classified like an untyped block's (untyped.c):
 * a word that differs is the same if it points to the same target.  The
 * bytes of the typed sub-objects in [sub, subs_end) are theirs. */
static void diff_words(struct differ *d, const struct stf_obj *po, const struct stf_obj *ro,
		       uint64_t from, const struct stf_obj *sub, const struct stf_obj *subs_end,
		       const uint8_t *pb, const uint8_t *rb)
{
	struct stf_obj untyped = *ro;
	untyped.unit = NULL;
	if (!memcmp(pb + from, rb + from, ro->size - from))
		return;
	for (uint64_t i = from; i < ro->size; i++) {
		while (sub < subs_end && (sub->addr + sub->size <= po->addr + i ||
					  stf__untyped_sub(sub)))
			sub++;
		if (sub < subs_end && sub->addr <= po->addr + i)
			continue;
		if (pb[i] == rb[i])
			continue;
		uint64_t w = i & ~(uint64_t)7;
		if (!(ro->addr & 7) && w + 8 <= ro->size && ambig_same(d, pb + w, rb + w, 8)) {
			i = w + 7;
			continue;
		}
		diff_bytes(d, &untyped, 0, i, pb, rb);
		break;
	}
}

/* A struct ending in a flexible array member: the member's element type,
 * offset and name. */
static int flex_elem(const struct stf_meta_unit *u, uint32_t t, uint32_t *elem, uint64_t *off,
		     const char **name)
{
	t = stf_meta_strip_typedefs(u, t);
	if (t >= u->ntypes || u->types[t].kind != STF_K_STRUCT || !u->types[t].nmembers)
		return 0;
	const struct stf_member_rec *m =
		&u->members[u->types[t].members + u->types[t].nmembers - 1];
	uint32_t mt = stf_meta_strip_typedefs(u, m->type);
	if (mt >= u->ntypes || u->types[mt].kind != STF_K_ARRAY ||
	    !(u->types[mt].flags & STF_TF_FLEXIBLE || !u->types[mt].count))
		return 0;
	*elem = stf_meta_strip_typedefs(u, u->types[mt].target);
	*off = m->offset;
	*name = stf_meta_str(u, m->name);
	return *elem < u->ntypes && u->types[*elem].size;
}

/* A heap object of a struct with a flexible array member: the struct,
 * then the elements of the flexible array (pointers by target), then
 * bytes. */
static void diff_flexible(struct differ *d, struct stf_layouts *layouts,
			  const struct stf_obj *po, const struct stf_obj *ro,
			  const struct stf_layout *l, uint32_t fe,
			  uint64_t foff, const char *fname, const uint8_t *pb, const uint8_t *rb)
{
	const struct stf_layout *el = stf__layout(layouts, ro->unit, fe);
	uint64_t esz = ro->unit->types[fe].size, end = foff;
	size_t mark = strlen(d->path);
	char path[1024];
	if (l->size <= ro->size)
		diff_layout(d, ro, l, 0, pb, rb);
	if (ro->inferred && el && !el->nptrs) {
		/* typed by inference only: its flexible array may hold objects
		 * the program carved out of the block, whose words the transfer
		 * classified (flex-pages.c) */
		diff_words(d, po, ro, foff, NULL, NULL, pb, rb);
		return;
	}
	if (el && el->size == esz) {
		struct stf_obj eo = *ro;
		eo.type = fe;
		for (uint64_t k = 0; foff + (k + 1) * esz <= ro->size; k++) {
			end = foff + (k + 1) * esz;
			if (!el->nptrs && !memcmp(pb + end - esz, rb + end - esz, esz))
				continue;
			snprintf(d->path + mark, sizeof(d->path) - mark, ".%s[%" PRIu64 "]",
				 fname, k);
			diff_layout(d, &eo, el, end - esz, pb, rb);
		}
		d->path[mark] = 0;
	}
	if (end < l->size)
		end = l->size;
	for (uint64_t i = end; i < ro->size; i++)
		if (pb[i] != rb[i]) {
			report(d, "%s+%" PRIu64 ": 0x%02x (past) != 0x%02x (reversed)",
			       full_path(d, path, sizeof(path)),
			       i, pb[i], rb[i]);
			break;
		}
}

/* A container's typed head (heads.c), compared by its type (pointers by
 * target): its size, 0 if it has none. */
static uint64_t diff_head(struct differ *d, struct stf_layouts *layouts,
			  const struct stf_obj *po, const struct stf_obj *ro, const uint8_t *pb,
			  const uint8_t *rb)
{
	const struct stf_meta_unit *u;
	uint32_t t;
	uint64_t size = stf__peer_head(d->p, po, &u, &t);
	const struct stf_layout *l = size ? stf__layout(layouts, u, t) : NULL;
	if (!l || l->size != size)
		return 0;
	struct stf_obj typed = *ro;
	typed.unit = u;
	typed.type = t;
	diff_layout(d, &typed, l, 0, pb, rb);
	return size;
}

static void diff_object(struct differ *d, struct stf_layouts *layouts,
			const struct stf_obj *po, const struct stf_obj *ro)
{
	const uint8_t *pb = po->bytes, *rb = ro->bytes;
	char path[1024];

	d->obj = ro;
	d->elem = UINT64_MAX;
	d->path[0] = 0;
	if (po->size != ro->size) {
		report(d, "%s: size %" PRIu64 " (past) != %" PRIu64 " (reversed)",
		       full_path(d, path, sizeof(path)), po->size, ro->size);
		return;
	}
	if ((ro->flags & STF_OBJF_PXFER) && ro->size == 8) {
		static const struct stf_leaf word = { .off = 0, .size = 8, .kind = STF_LEAF_PXFER };
		struct stf_layout one = { .leaves = (struct stf_leaf *)&word, .n = 1, .size = 8,
					   .nptrs = 1 };
		struct stf_obj untyped = *ro;
		untyped.unit = NULL;
		diff_layout(d, &untyped, &one, 0, pb, rb);
		return;
	}
	const struct stf_layout *l = ro->unit && !(ro->flags & STF_OBJF_IXFER) ?
		stf__layout(layouts, ro->unit, ro->type) : NULL;
	/* a block typed as bytes is compared like an untyped one: the
	 * transfer relocates its words that point to statics (bytes.c) */
	if (!l || !l->size || (l->size == 1 && !l->nptrs && ro->kind != STF_OBJ_STATIC &&
			       ro->kind != STF_OBJ_LOCAL) ||
	    (!stf__is_dynamic(ro) && l->size != ro->size)) {
		/* a container's typed sub-objects are compared on their own; an
		 * untyped block kept at its address has words the transfer
		 * relocated (functions, libraries, library structs inside program
		 * structs): those are compared by target */
		const struct stf_obj *sub = NULL, *subs_end = NULL;
		uint64_t head = 0;
		if (po->flags & STF_OBJF_CONTAINER) {
			uint32_t nsubs;
			sub = stf__peer_subs(d->p, po, &nsubs);
			subs_end = sub + nsubs;
			head = diff_head(d, layouts, po, ro, pb, rb);
		}
		diff_words(d, po, ro, head, sub, subs_end, pb, rb);
		return;
	}
	uint32_t fe;
	uint64_t foff;
	const char *fname;
	if (ro->kind != STF_OBJ_STATIC && ro->kind != STF_OBJ_LOCAL &&
	    flex_elem(ro->unit, ro->type, &fe, &foff, &fname)) {
		diff_flexible(d, layouts, po, ro, l, fe, foff, fname, pb, rb);
		return;
	}
	uint32_t variant;
	if (ro->size < l->size && stf__variant_type(ro, &variant)) {
		/* allocated as a shorter struct sharing its first members */
		const struct stf_layout *vl = stf__layout(layouts, ro->unit, variant);
		if (vl && vl->size == ro->size) {
			diff_layout(d, ro, vl, 0, pb, rb);
			return;
		}
	}
	uint64_t count = ro->size / l->size, hack, hack_size;
	if (!l->nptrs && !memcmp(pb, rb, ro->size))
		return; /* plain data, equal bytes */
	if (stf__tail_object(ro, &hack, &hack_size)) {
		/* a last member running past the struct's end (member-tail.c):
		 * the struct by the layout, on copies padded with zeros, then
		 * the name's bytes after the member */
		uint8_t pp[STF_HACK_MAX] = { 0 }, rp[STF_HACK_MAX] = { 0 };
		uint64_t whole = ro->size < l->size ? ro->size : l->size;
		memcpy(pp, pb, whole);
		memcpy(rp, rb, whole);
		diff_layout(d, ro, l, 0, pp, rp);
		hack += hack_size;
		if (hack < ro->size && memcmp(pb + hack, rb + hack, ro->size - hack))
			report(d, "%s: the bytes after offset %" PRIu64 " differ",
			       full_path(d, path, sizeof(path)), hack);
		return;
	}
	for (uint64_t e = 0; e < count; e++) {
		if (count > 1)
			d->elem = e;
		diff_layout(d, ro, l, e * l->size, pb, rb);
	}
	d->elem = UINT64_MAX;
	/* trailing bytes (flexible array members): compared as bytes */
	uint64_t tail = count * l->size;
	if (tail < ro->size && memcmp(pb + tail, rb + tail, ro->size - tail))
		for (uint64_t i = tail; i < ro->size; i++)
			if (pb[i] != rb[i]) {
				report(d, "%s+%" PRIu64 ": 0x%02x (past) != 0x%02x (reversed)",
				       full_path(d, path, sizeof(path)), i, pb[i], rb[i]);
				break;
			}
}

/*
 * The comparison looks up, per object of the reversed version, whether the
 * backward transfer wrote it (the served ranges, by start) and the past
 * object of its dynamic ID (the keys, by ID).  Both are sorted, and the
 * objects come in address order, which is mostly the order of both (a
 * million binary searches of 20 steps each, with a cache miss at most of
 * them, cost more than the rest of the comparison): a search starts from
 * where the previous one of its part ended and steps forward a few
 * entries, bisecting only when that fails.
 */
#define CURSOR_STEPS 8

/* The first of the n ascending values at[k * stride] (the first 8 bytes
 * of each entry of `stride` bytes) that is >= v, starting from *hint
 * (updated). */
static size_t lower_bound_from(const void *at, size_t stride, size_t n, uint64_t v, size_t *hint)
{
#define VALUE(k) (*(const uint64_t *)((const char *)at + (k) * stride))
	size_t lo = *hint <= n ? *hint : n, hi = n;
	if (lo > 0 && VALUE(lo - 1) >= v)
		lo = 0; /* behind us: bisect all */
	for (int step = 0; step < CURSOR_STEPS && lo < hi && VALUE(lo) < v; step++)
		lo++;
	while (lo < hi && VALUE(lo) < v) {
		size_t mid = lo + (hi - lo) / 2;
		if (VALUE(mid) < v)
			lo = mid + 1;
		else
			hi = mid;
	}
#undef VALUE
	*hint = lo;
	return lo;
}

static int in_scope(const struct stf_served *s, uint64_t addr, size_t *hint)
{
	size_t k = lower_bound_from(s->ranges, sizeof(*s->ranges), s->n, addr, hint);
	return k < s->n && s->ranges[k].start == addr;
}

static int64_t find_dyn(const struct stf_key *k, size_t n, uint64_t id, size_t *hint)
{
	size_t lo = lower_bound_from(k, sizeof(*k), n, id, hint);
	return lo < n && k[lo].id == id ? (int64_t)k[lo].idx : -1;
}

/* The parked frame a local belongs to: "func/name#n" -> "func#n" (the
 * n-th thread parked in func), in buf. */
static const char *frame_key(const char *id, char *buf, size_t len)
{
	const char *slash = strrchr(id, '/'), *occ;
	if (!slash)
		return id;
	occ = strchr(slash, '#');
	snprintf(buf, len, "%.*s%s", (int)(slash - id), id, occ ? occ : "");
	return buf;
}

#define DIFF_KINDS ((1u << STF_OBJ_STATIC) | (1u << STF_OBJ_LOCAL) | (1u << STF_OBJ_HEAP) | \
		    (1u << STF_OBJ_MMAP) | (1u << STF_OBJ_USER))

/* The comparison of the reversed version's objects, cut in parts. */
struct compare {
	struct stf_peer *p, *r;
	const struct stf_served *served;
	const struct stf_strmap *pstat;
	const struct stf_key *keys;
	size_t nkeys;
	uint8_t *matched;          /* per past object: compared */
	struct differ part[PARTS_MAX];
	struct stf_arena *arena[PARTS_MAX]; /* layouts of parts 1.. */
	int failed;                /* a part ran out of memory */
};

/* Objects lo..hi of the reversed version against their past versions. */
static void compare_part(void *arg, unsigned k, size_t lo, size_t hi)
{
	struct compare *c = arg;
	struct differ *d = &c->part[k];
	struct stf_peer *r = c->r;
	size_t scope_hint = 0, key_hint = 0;

	if (!d->layouts) {
		c->arena[k] = stf__arena_new();
		d->layouts = c->arena[k] ? stf__layouts_new(c->arena[k]) : NULL;
		if (!d->layouts) {
			__atomic_store_n(&c->failed, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	for (size_t j = lo; j < hi; j++) {
		const struct stf_obj *ro = &r->objs[j];
		int64_t i = -1;
		uint64_t v;
		/* a sub-object is written with its container (an untyped one
		 * is its container's bytes) */
		if (!(DIFF_KINDS & (1u << ro->kind)) || stf__untyped_sub(ro) ||
		    !in_scope(c->served, ro->container ? r->objs[ro->container - 1].addr : ro->addr,
			      &scope_hint) ||
		    stf__slot_state(ro))
			continue; /* (a rebuilt slab's state: slots.c) */
		if (ro->kind == STF_OBJ_STATIC || ro->kind == STF_OBJ_LOCAL) {
			if (!stf__strmap_get(c->pstat, ro->id, &v))
				i = (int64_t)v;
		} else {
			i = find_dyn(c->keys, c->nkeys, ro->dyn_id, &key_hint);
			if (i >= 0 && strcmp(c->p->objs[i].id, ro->id))
				i = -1;
		}
		if (i < 0) {
			if (ro->dyn_id)
				report(d, "%s@%" PRIu64 ": exists in the reversed version only "
				       "(%" PRIu64 " bytes)", ro->id, ro->dyn_id, ro->size);
			else
				report(d, "%s: exists in the reversed version only", ro->id);
			continue;
		}
		/* two reversed objects may find one past object: the same byte */
		__atomic_store_n(&c->matched[i], 1, __ATOMIC_RELAXED);
		/* (a static holding a rebuilt slab: compared without it, as
		 * copies, which are no containers: stf__peer_subs) */
		const struct stf_obj *po = &c->p->objs[i];
		int whole = po->size != ro->size || (po->flags & STF_OBJF_CONTAINER);
		uint8_t *rmasked = whole ? NULL : stf__slot_state_masked(ro, ro->bytes);
		uint8_t *pmasked = rmasked ? stf__slot_state_masked(ro, po->bytes) : NULL;
		struct stf_obj rm = *ro, pm = *po;
		rm.bytes = rmasked;
		pm.bytes = pmasked;
		diff_object(d, d->layouts, pmasked ? &pm : po, pmasked ? &rm : ro);
		stf__raw_free(rmasked);
		stf__raw_free(pmasked);
	}
}

/*
 * The past's side of the differencing: P's catalog and state, the types
 * inferred, the keys of its dynamic objects sorted.  P stays frozen until
 * the transaction ends, so R prepares it at its update point while F
 * transfers forward (stf__diff_prepare); the diff does it itself when
 * that failed or named another past version.
 */
struct past_side {
	int ready;
	pid_t pid;
	uint64_t root;
	struct stf_peer p;
	struct stf_arena *arena;     /* the layouts, shared with R's side */
	struct stf_layouts *layouts;
	struct stf_strmap pstat;     /* statics and locals by ID */
	struct stf_key *keys;        /* dynamic objects by dynamic ID, sorted */
	size_t nkeys;
	uint8_t *unreached;          /* per object: a block the forward transfer
	                                may have dropped (unreached.c), found
	                                only if a block did not come back */
};

static struct past_side prepared;

static void past_side_free(struct past_side *s)
{
	stf__bulk_free(s->keys);
	stf__raw_free(s->unreached);
	stf__strmap_free(&s->pstat);
	stf__arena_free(s->arena);
	stf__peer_close(&s->p);
	memset(s, 0, sizeof(*s));
}

static int past_side(struct past_side *s, pid_t past_pid, uint64_t past_root,
		     char *err, size_t errlen)
{
	struct stf_peer *p = &s->p;

	memset(s, 0, sizeof(*s));
	s->pid = past_pid;
	s->root = past_root;
	stf__apr_measure(); /* the diff runs in R, on the same APR */
	stf__profile_mark(NULL);
	if (stf__peer_open(p, past_pid, past_root,
			   STF_PEER_STATICS | STF_PEER_DYNAMIC | STF_PEER_FRAMES, NULL,
			   err, errlen) < 0)
		return -1;
	stf__profile_mark("diff: catalog the past");
	if (stf__peer_fetch(p, DIFF_KINDS, err, errlen) < 0)
		return -1;
	stf__profile_mark("diff: read the past");
	s->arena = stf__arena_new();
	s->layouts = s->arena ? stf__layouts_new(s->arena) : NULL;
	/* the same inference as the transfer, on each side, and the same
	 * objects of APR's dead pools forgotten */
	if (s->layouts && (stf__apr_forget_dead(p) < 0 ||
			   stf__peer_infer_types(p, s->layouts, NULL) < 0))
		s->layouts = NULL;
	/* a key per object: huge pages, not 4,000 faults (bulk.c) */
	s->keys = stf__bulk_alloc((p->nobjs + 1) * sizeof(*s->keys));
	if (!s->layouts || !s->keys) {
		snprintf(err, errlen, "diff: out of memory");
		return -1;
	}
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		uint64_t v;
		if (o->kind == STF_OBJ_STATIC || o->kind == STF_OBJ_LOCAL) {
			if (stf__strmap_get(&s->pstat, o->id, &v) < 0)
				stf__strmap_put(&s->pstat, o->id, i);
		} else if (o->dyn_id) {
			s->keys[s->nkeys].id = o->dyn_id;
			s->keys[s->nkeys].idx = i;
			s->nkeys++;
		}
	}
	stf__profile_mark("diff: infer the past's types, keys");
	if (stf__sort_keys(s->keys, s->nkeys) < 0) {
		snprintf(err, errlen, "diff: out of memory");
		return -1;
	}
	stf__profile_mark("diff: sort keys");
	s->ready = 1;
	return 0;
}

int stf__diff_prepare(pid_t past_pid, uint64_t past_root)
{
	char err[256];
	int rc;

	past_side_free(&prepared);
	rc = past_side(&prepared, past_pid, past_root, err, sizeof(err));
	if (rc < 0)
		past_side_free(&prepared);
	else { /* the backward transfer writes about as many objects here */
		size_t n = prepared.p.nobjs + prepared.p.nobjs / 8 + 1024;
		stf__xfer_serve_expect(n);
		/* and the differencing catalogs them */
		stf__bulk_prepare(n * sizeof(struct stf_obj));
		stf__peer_index_prepare(n);
		/* and they need about the heap the past's live blocks fill
		 * (its size classes: an eighth more at worst, and room), not
		 * more than the past ever carved */
		uint64_t live = 0;
		for (size_t i = 0; i < prepared.p.nobjs; i++)
			if (prepared.p.objs[i].kind == STF_OBJ_HEAP)
				live += prepared.p.objs[i].size;
		live += live / 4;
		uint64_t carved = prepared.p.root.heap_units * STF_SPAN_UNIT;
		stf__spans_prefault(live < carved ? live : carved);
		stf__profile_mark("diff: touch room for the backward transfer");
	}
	/* No copy of a library file left mapped here: F reads our mappings
	 * for the backward transfer, and a second mapping of a library's
	 * file from offset 0 would give that library another base there.
	 * The diff maps them again for their symbols. */
	stf__peer_forget_files();
	return rc;
}

/* Is past object i a dynamic one the reversed version has no
 * counterpart of (a difference, unless the forward transfer dropped it)? */
static int past_only(const struct past_side *s, const uint8_t *matched, size_t i)
{
	const struct stf_obj *o = &s->p.objs[i];
	return !matched[i] && o->dyn_id && !(o->flags & (STF_OBJF_INTERNAL | STF_OBJF_EXTERNAL)) &&
	       !stf__untyped_sub(o) && !stf__slot_state(o);
}

/* s->unreached for the dynamic objects that did not come back (none in
 * most round trips; a few startup copies nothing carried names in a
 * chained update), not a walk of the past's whole state (unreached.c).
 * 0, or -1 out of memory. */
static int past_only_unreached(struct past_side *s, const uint8_t *matched)
{
	uint8_t *only = stf__raw_malloc(s->p.nobjs + 1);
	s->unreached = stf__raw_malloc(s->p.nobjs + 1);
	int any = 0;
	for (size_t i = 0; only && i < s->p.nobjs; i++)
		any |= only[i] = (uint8_t)past_only(s, matched, i);
	int rc = 0;
	if (!only || !s->unreached)
		rc = -1;
	else if (!any)
		memset(s->unreached, 0, s->p.nobjs + 1);
	else
		rc = stf__peer_unreached_among(&s->p, only, s->unreached) < 0 ? -1 : 0;
	stf__raw_free(only);
	return rc;
}

int stf__diff(pid_t past_pid, uint64_t past_root, struct stf_xfer_report *rep)
{
	struct stf_peer r;
	struct differ d = { 0 };
	struct stf_strmap rframes = { 0 };
	uint8_t *matched = NULL;
	const struct stf_served *served = stf__xfer_served();
	struct past_side *s = &prepared;
	double t0 = stf__now(), t1;
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	memset(&r, 0, sizeof(r));
	if (!s->ready || s->pid != past_pid || s->root != past_root) {
		past_side_free(s);
		if (past_side(s, past_pid, past_root, rep->error, sizeof(rep->error)) < 0)
			goto out;
	}
	stf__profile_mark(NULL);
	if (stf__peer_open(&r, getpid(), 0,
			   STF_PEER_STATICS | STF_PEER_DYNAMIC | STF_PEER_FRAMES,
			   stf__xfer_own_frame(), rep->error, sizeof(rep->error)) < 0 ||
	    stf__peer_fetch(&r, DIFF_KINDS, rep->error, sizeof(rep->error)) < 0 ||
	    stf__threads_pair(&s->p, &r, STF_BACKWARD, rep->error, sizeof(rep->error)) < 0)
		goto out;
	stf__profile_mark("diff: catalog itself");
	t1 = stf__now();
	rep->seconds_metadata = t1 - t0;
	d.p = &s->p;
	d.r = &r;
	if (stf__apr_forget_dead(&r) < 0 || stf__peer_infer_types(&r, s->layouts, NULL) < 0) {
		snprintf(rep->error, sizeof(rep->error), "diff: out of memory");
		goto out;
	}
	matched = stf__raw_malloc(s->p.nobjs + 1);
	if (!matched) {
		snprintf(rep->error, sizeof(rep->error), "diff: out of memory");
		goto out;
	}
	memset(matched, 0, s->p.nobjs + 1);
	stf__profile_mark("diff: infer its types");
	/* the lazily loaded lowest address, before the parts read it */
	(void)stf__not_a_pointer(0);
	struct compare *c = stf__raw_malloc(sizeof(*c));
	if (!c) {
		snprintf(rep->error, sizeof(rep->error), "diff: out of memory");
		goto out;
	}
	memset(c, 0, sizeof(*c));
	c->p = &s->p;
	c->r = &r;
	c->served = served;
	c->pstat = &s->pstat;
	c->keys = s->keys;
	c->nkeys = s->nkeys;
	c->matched = matched;
	size_t bounds[PARTS_MAX + 1];
	unsigned parts = stf__parallel_pieces(r.objs, r.nobjs, 32768, bounds);
	for (unsigned k = 0; k < parts; k++) {
		c->part[k] = d;
		c->part[k].layouts = k ? NULL : s->layouts;
	}
	stf__parallel_cut(bounds, parts, compare_part, c);
	for (unsigned k = 0; k < parts; k++) {
		merge_found(&c->part[k], rep);
		stf__arena_free(c->arena[k]);
	}
	int failed = c->failed;
	stf__raw_free(c);
	if (failed) {
		snprintf(rep->error, sizeof(rep->error), "diff: out of memory");
		goto out;
	}
	char label[64];
	snprintf(label, sizeof(label), "diff: compare objects, %u part%s", parts,
		 parts == 1 ? "" : "s");
	stf__profile_mark(label);
	/* A thread parked at an update point in the past version whose frame
	 * the reversed version (the same program) does not have at all: the
	 * program did not start that thread again before its update point
	 * (a thread per connection, started on demand), so the update would
	 * silently drop the thread with its locals and whatever it serves.
	 * A single local missing in a frame that exists is a local the new
	 * version dropped, like a dropped static: not compared. */
	for (size_t j = 0; j < r.nobjs; j++)
		if (r.objs[j].kind == STF_OBJ_LOCAL) {
			char key[300];
			const char *k = stf__arena_strdup(s->arena, frame_key(r.objs[j].id, key, sizeof(key)));
			if (k)
				stf__strmap_put(&rframes, k, 1);
		}
	for (size_t i = 0; i < s->p.nobjs; i++) {
		const struct stf_obj *o = &s->p.objs[i];
		char key[300];
		const char *k;
		uint64_t v;
		if (matched[i] || o->kind != STF_OBJ_LOCAL)
			continue;
		k = frame_key(o->id, key, sizeof(key));
		if (!stf__strmap_get(&rframes, k, &v))
			continue;
		if ((k = stf__arena_strdup(s->arena, k)))
			stf__strmap_put(&rframes, k, 1); /* report each frame once */
		report(&d, "%s: a thread parked in this frame in the past version has no "
		       "counterpart in the reversed version (start the same threads before "
		       "the update point, also when stf_is_updating())", k);
	}
	if (past_only_unreached(s, matched) < 0) {
		snprintf(rep->error, sizeof(rep->error), "diff: out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->p.nobjs; i++)
		if (past_only(s, matched, i) && !s->unreached[i])
			report(&d, "%s@%" PRIu64 ": exists in the past version only (%" PRIu64
			       " bytes, not transferred back)", s->p.objs[i].id,
			       s->p.objs[i].dyn_id, s->p.objs[i].size);
	merge_found(&d, rep);
	if (rep->differences > PRINT_MAX)
		fprintf(stderr, "libstf: diff: ... %" PRIu64 " differences in total\n",
			rep->differences);
	rep->seconds_transfer = stf__now() - t1;
	rc = rep->differences ? -1 : 0;
	if (rc)
		snprintf(rep->error, sizeof(rep->error), "state differs after the round trip "
			 "(%" PRIu64 " difference%s), first: %s", rep->differences,
			 rep->differences == 1 ? "" : "s", rep->first_diff);
out:
	stf__raw_free(d.found);
	stf__raw_free(matched);
	stf__strmap_free(&rframes);
	past_side_free(s);
	stf__peer_close(&r);
	stf__peer_forget_files();
	stf__bulk_trim();
	stf__index_trim();
	stf__profile_mark("diff: the rest, clean up");
	return rc;
}
