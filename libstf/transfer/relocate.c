/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * relocate.c - pointer relocation: where a source pointer lands in the
 * destination.  Offsets are mapped to the same (member path, element,
 * byte) in the new layout (offsets.c); targets are found by pairing
 * (objects), by name (functions, library symbols), by content (string
 * literals) or in the command line and environment; the invariants on a
 * pointer's target (it exists, it has the pointed-to type) are checked
 * here.
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "fault.h"
#include "remote.h"
#include "slots.h"
#include "stf.h"
#include "tree.h"
#include "xfer.h"

/* ------------------------------------------------------------------ */
/* Pointers.                                                           */

const char *stf__obj_name(const struct stf_obj *o, char *buf, size_t len)
{
	if (o->dyn_id)
		snprintf(buf, len, "%s@%" PRIu64, o->id, o->dyn_id);
	else
		snprintf(buf, len, "%s", o->id);
	return buf;
}


int stf__pair_by_id(struct stf_xfer *x, size_t i)
{
	struct pairing *p = &x->pair[i];
	const struct stf_obj *o = &x->src->objs[i];
	const char *id = o->id;
	uint64_t j;

	if (p->dst != PAIR_UNRESOLVED || (o->flags & STF_OBJF_STREAM) ||
	    (o->kind != STF_OBJ_CONST && o->kind != STF_OBJ_FUNC &&
	     o->kind != STF_OBJ_STRING && o->kind != STF_OBJ_STATIC))
		return 0;
	if (x->renames)
		id = stf__rename(STF_RENAME_OBJECT, id, x->dir);
	if (stf__strmap_get(&x->dst_ids, id, &j))
		return 0;
	const struct stf_obj *d = &x->dst->objs[j];
	p->dst = (int64_t)j;
	p->dst_addr = d->addr;
	p->same = !o->unit || !d->unit ||
		  (T(o->unit, strip(o->unit, o->type))->hash == T(d->unit, strip(d->unit, d->type))->hash);
	return 1;
}

static int64_t pair_target(struct stf_xfer *x, size_t i)
{
	struct pairing *p = &x->pair[i];
	const struct stf_obj *o = &x->src->objs[i];
	char on[256];

	if (p->dst >= 0)
		return p->dst;
	if (x->in_part)
		return stf__part_defer(x);
	if (p->dst == PAIR_UNRESOLVED && (o->flags & STF_OBJF_STREAM))
		return stf__stream_target(x, i);
	if (p->dst == PAIR_UNRESOLVED) {
		if (stf__pair_by_id(x, i))
			return p->dst;
		p->dst = PAIR_NONE;
		if (o->kind == STF_OBJ_FUNC) {
			/* not address-taken in the new version: by symbol name */
			const char *name = strrchr(o->id, ':');
			uint64_t a = stf__peer_symbol_addr(x->dst, NULL, name ? name + 1 : o->id);
			if (a) {
				struct stf_obj f = *o;
				f.addr = a;
				f.unit = NULL;
				int64_t k = stf__dst_add(x, &f);
				if (k >= 0) {
					p->dst = k;
					p->dst_addr = a;
					p->same = 1;
					return k;
				}
			}
		}
	}
	switch (o->kind) {
	case STF_OBJ_FUNC:
		stf__xfail(x, "%s: points to function %s, which no longer exists in the new "
		      "version", stf__cur_path(x), o->id);
		break;
	case STF_OBJ_STRING: {
		/* name it by its text: the ID is a hash */
		char text[64], q[160];
		size_t n = o->size < sizeof(text) - 1 ? o->size : sizeof(text) - 1, k = 0;
		if (stf__xfer_src_read(x, o->addr, text, n) < 0)
			n = 0;
		text[n] = 0;
		for (size_t i = 0; i < n && text[i] && k + 5 < sizeof(q); i++)
			k += (size_t)snprintf(q + k, sizeof(q) - k,
					      text[i] == '"' || text[i] == '\\' ? "\\%c" :
					      (unsigned char)text[i] < 0x20 ? "\\x%02x" : "%c",
					      (unsigned char)text[i]);
		q[k] = 0;
		stf__xfail(x, "%s: points to string literal \"%s\"%s (%s), which no longer exists "
		      "in the new version", stf__cur_path(x), q,
		      n < o->size && o->size > 1 ? "..." : "", o->id);
		break;
	}
	default:
		if (o->flags & STF_OBJF_INTERNAL)
			stf__xfail(x, "%s: points into libstf's own memory (0x%" PRIx64 ")",
			      stf__cur_path(x), o->addr);
		else if (o->flags & STF_OBJF_OWN)
			stf__xfail(x, "%s: points to %s, which the new version allocated at "
			      "startup: the old version has no counterpart for it; "
			      "register a callback", stf__cur_path(x), stf__obj_name(o, on, sizeof(on)));
		else
			stf__xfail(x, "%s: points to %s, which has no counterpart in the "
			      "destination (dropped)", stf__cur_path(x),
			      stf__obj_name(o, on, sizeof(on)));
	}
	return -1;
}

/* What v points into in the destination, if anything: an object (the
 * destination's own heap included when it is this process), a library
 * or executable, the main stack.  1 with a name in what, else 0. */
static int dst_target(struct stf_xfer *x, uint64_t v, char *what, size_t len)
{
	const struct stf_obj *o = stf__peer_find(x->dst, v);
	const char *lib, *sym;
	uint64_t off;
	struct stf_object_info info;
	char on[256];

	if (o && v < o->addr + o->size) {
		snprintf(what, len, "%s", stf__obj_name(o, on, sizeof(on)));
		return 1;
	}
	if (x->dst->self && stf_lookup((const void *)(uintptr_t)v, &info) == 0) {
		if (info.dyn_id)
			snprintf(what, len, "%s@%" PRIu64 " (offset %zu)", info.id, info.dyn_id,
				 info.offset);
		else
			snprintf(what, len, "%s (offset %zu)", info.id, info.offset);
		return 1;
	}
	if (stf__peer_lib_symbol(x->dst, v, &lib, &sym, &off) == 0) {
		snprintf(what, len, "%s%s%s in %s", sym ? sym : "", sym ? " " : "", "memory", lib);
		return 1;
	}
	if (v >= x->dst->stack_start && v < x->dst->stack_end) {
		snprintf(what, len, "the main thread's stack");
		return 1;
	}
	return 0;
}

/* A value in a pointer slot that points nowhere in the source (no object,
 * no library, not the stack): an integer kept in a pointer, a pointer to
 * a freed block left in a dead slot, uninitialized capacity.  It keeps
 * its value, which has no meaning as a pointer; kept, it must not come to
 * point at something of the destination.  --strict refuses it. */
static int keep_nowhere(struct stf_xfer *x, uint64_t v, uint64_t *out)
{
	char what[512];

	if (x->strict) {
		stf__xfail(x, "%s: pointer 0x%" PRIx64 " points into unknown memory (no tracked "
		      "object, static or library symbol there); without --strict it is kept "
		      "as it is (a value that points nowhere); if it is not a pointer to "
		      "state, annotate it with STF_IXFER", stf__cur_path(x), v);
		return -1;
	}
	if (dst_target(x, v, what, sizeof(what))) {
		stf__xfail(x, "%s: 0x%" PRIx64 " points nowhere in the old version (a stale "
		      "pointer or an integer) but into %s in the new one: kept, it would point "
		      "at it; clear it when its target is freed, or register a callback for "
		      "the object holding it (stf_on_object)", stf__cur_path(x), v, what);
		return -1;
	}
	*out = v;
	x->rep->nowhere++;
	return 0;
}

static int reloc_symbol(struct stf_xfer *x, uint64_t v, uint64_t *out)
{
	const char *lib, *sym, *exe;
	uint64_t off, a;

	if (stf__tree_shared_kept(v)) {  /* memory of the tree, the same here */
		*out = v;
		return 0;
	}
	if (stf__peer_lib_symbol(x->src, v, &lib, &sym, &off) < 0)
		return keep_nowhere(x, v, out);
	exe = strrchr(x->src->exe, '/');
	exe = exe ? exe + 1 : x->src->exe;
	if (!sym) {
		/* no symbol: the same place of the same library (libraries do
		 * not change with the program) */
		a = strcmp(lib, exe) ? stf__peer_lib_vaddr(x->dst, lib, off) : 0;
		if (!a) {
			stf__xfail(x, "%s: pointer 0x%" PRIx64 " points into %s at 0x%" PRIx64
			      " where no symbol is known", stf__cur_path(x), v, lib, off);
			return -1;
		}
		*out = a;
		return 0;
	}
	a = stf__peer_symbol_addr(x->dst, strcmp(lib, exe) ? lib : NULL, sym);
	if (!a) {
		stf__xfail(x, "%s: points to %s in %s, which does not exist in the destination",
		      stf__cur_path(x), sym, lib);
		return -1;
	}
	*out = a + off;
	return 0;
}

/* What the checks of a pointer (stf__not_its_struct, is_function,
 * stf__check_numeric_host, check_target_type, check_dst_pointee) find and
 * where a pointer into an object whose type changed lands (map_changed)
 * depend only on the pointer's type, its target object's type, kind and
 * size, the offset and the range it was found in, and the destination
 * object's type, kind and size: worked out once per such key, not per
 * pointer (a million objects hold a few keys).  Only answers that passed
 * are remembered: a problem is reported where it is met. */
struct reloc_memo {
	/* the key: the pointer's types, its target object, offset, range */
	const struct stf_meta_unit *pu, *pdu, *su;
	uint32_t pt, pdt, st;
	uint8_t skind;
	uint8_t used; /* 0: an empty entry */
	uint64_t ssize, off, rstart, rsize; /* rstart: from the object's start */
	/* the destination object the answer is for (how: MEMO_SAME or
	 * MEMO_CHANGED, 0 none yet), and the offset the pointer lands at */
	const struct stf_meta_unit *du;
	uint32_t dt;
	uint8_t dkind, how;
	uint64_t dsize, doff;
};

/* what an entry's destination answer is for */
#define MEMO_SAME 1    /* the pointer's own check, its pairing the same type */
#define MEMO_CHANGED 2 /* mapped into the changed type (map_changed) */

#define RELOC_MEMOS 1024 /* direct-mapped: a key that collides is worked out again */

/* The memo's entry for a pointer v (pe, NULL if untyped) found in range
 * r: *known if it holds that key (whose checks passed), else the key to
 * store there once they have passed is in *key.  NULL without memory. */
static struct reloc_memo *memo_find(struct stf_xfer *x, const struct pointee *pe,
				    const struct stf_range *r, uint64_t v,
				    struct reloc_memo *key, int *known)
{
	const struct stf_obj *o = &x->src->objs[r->value];
	*known = 0;
	if (!x->reloc_memo &&
	    !(x->reloc_memo = stf__arena_alloc(x->arena, RELOC_MEMOS * sizeof(*x->reloc_memo))))
		return NULL;
	key->pu = pe ? pe->unit : NULL, key->pt = pe ? pe->type : 0;
	key->pdu = pe ? pe->dunit : NULL, key->pdt = pe ? pe->dtype : 0;
	key->su = o->unit, key->st = o->type, key->skind = (uint8_t)o->kind;
	key->ssize = o->size, key->off = v - o->addr;
	key->rstart = r->start - o->addr, key->rsize = r->size;
	key->used = 1, key->how = 0;
	uint64_t h = ((uint64_t)(uintptr_t)key->su ^ ((uint64_t)key->st << 20) ^
		      ((uint64_t)(uintptr_t)key->pu << 3) ^ ((uint64_t)key->pt << 40) ^
		      key->off ^ (key->ssize << 12)) * 0x9e3779b97f4a7c15ull;
	struct reloc_memo *m = &x->reloc_memo[(h >> 40) % RELOC_MEMOS];
	*known = m->used && m->off == key->off && m->su == key->su && m->st == key->st &&
		 m->pu == key->pu && m->pt == key->pt && m->ssize == key->ssize &&
		 m->skind == key->skind && m->pdu == key->pdu && m->pdt == key->pdt &&
		 m->rstart == key->rstart && m->rsize == key->rsize;
	return m;
}

/* Does entry m hold the answer for destination object dobj (how)?  1
 * with the offset in *doff. */
static int memo_dst_known(const struct reloc_memo *m, const struct stf_obj *dobj,
			  uint8_t how, uint64_t *doff)
{
	if (m->how != how || m->du != dobj->unit || m->dt != dobj->type ||
	    m->dkind != (uint8_t)dobj->kind || m->dsize != dobj->size)
		return 0;
	*doff = m->doff;
	return 1;
}

static void memo_dst_set(struct reloc_memo *m, const struct stf_obj *dobj, uint8_t how,
			 uint64_t doff)
{
	m->du = dobj->unit, m->dt = dobj->type, m->dkind = (uint8_t)dobj->kind;
	m->dsize = dobj->size, m->how = how, m->doff = doff;
}

static int check_target_type(struct stf_xfer *x, const struct pointee *pe,
			     const struct stf_obj *so, uint64_t off,
			     const struct stf_obj *dobj, uint64_t doff);
static int check_dst_pointee(struct stf_xfer *x, const struct pointee *pe,
			     const struct stf_obj *so, const struct stf_obj *dobj, uint64_t doff);
static int map_changed(struct stf_xfer *x, struct reloc_memo *m, const struct stf_obj *so,
		       const struct stf_obj *dobj, uint64_t off, const struct pointee *pe,
		       uint64_t *doff);

/* A pointer into the process's command line or environment (main's
 * stack): the same argument or variable, at the same offset, in the
 * destination, which was started with the same arguments unless the user
 * said otherwise.  1 if v is not such a pointer. */
int stf__reloc_arg(struct stf_xfer *x, uint64_t v, uint64_t *out)
{
	struct stf_arg_ref ref;
	char what[256];

	if (stf__peer_arg_ref(x->src, v, &ref) < 0)
		return 1;
	*out = stf__peer_arg_addr(x->dst, &ref);
	if (*out)
		return 0;
	stf__arg_ref_str(x->src, &ref, what, sizeof(what));
	stf__xfail(x, "%s: points to %s of the old version's %s, which the new version's "
	      "does not have%s; start the new version with the same arguments and "
	      "environment (ttst-ctl update passes the old arguments unless given "
	      "others), or register a callback", stf__cur_path(x), what,
	      ref.kind == STF_ARG_ENV || ref.kind == STF_ARG_ENVP ? "environment" :
	      "command line", ref.off ? " (or not that long)" : "");
	return -1;
}

static int is_function(const struct stf_meta_unit *u, uint32_t t)
{
	t = strip(u, t);
	return t < u->ntypes && T(u, t)->kind == STF_K_FUNCTION;
}

int stf__reloc(struct stf_xfer *x, uint64_t v, uint64_t *out, const struct pointee *pe)
{
	const struct stf_range *r;
	int64_t j;
	uint64_t off, doff;

	if (!v) {
		*out = 0;
		return 0;
	}
	if (stf__not_a_pointer(v)) {
		*out = v;
		x->rep->integers++;
		return 0;
	}
	x->rep->pointers++;
	r = x->last;
	if (r && v - r->start >= r->size) {
		/* objects allocated one after the other point to each other */
		const struct stf_range *lo = x->src->index.ranges,
				       *hi = lo + x->src->index.n;
		if (r + 1 < hi && v - r[1].start < r[1].size)
			r++;
		else if (r > lo && v - r[-1].start < r[-1].size)
			r--;
		else
			r = NULL;
	}
	if (!r) {
		r = stf__index_find(&x->src->index, v, STF_INDEX_END);
		if (r && r->size)
			x->last = r;
	} else {
		x->last = r;
	}
	if (!r && x->in_part)
		return stf__part_defer(x); /* arguments, libraries, the tree */
	if (!r && v >= x->src->stack_start && v < x->src->stack_end) {
		int a = stf__reloc_arg(x, v, out);
		if (a <= 0)
			return a;
		if (x->keep_orig)
			return 1;
	}
	if (!r && stf__tree_shared_kept(v))
		return stf__reloc_shared(x, v, out, pe);
	if (!r) {
		int c = stf__reloc_container(x, v, out, pe);
		return c <= 0 ? c : reloc_symbol(x, v, out);
	}
	/* the checks below depend on the pointer's and the target's types
	 * and the offset only: known for a key, they are not run again */
	int known = 0;
	struct reloc_memo key;
	struct reloc_memo *m = pe ? memo_find(x, pe, r, v, &key, &known) : NULL;
	/* a struct pointer where no struct of its type is (reloc-container.c) */
	if (pe && !known && stf__not_its_struct(x, r, v, pe)) {
		int c = stf__reloc_container(x, v, out, pe);
		if (c <= 0)
			return c;
		/* whether a head is found depends on the address, unless the
		 * struct has no member a head could be: then the key's checks
		 * are remembered too (Redis 7.2's sets: the odd key of each
		 * member held in a `dictEntry *` bucket; a type's name was
		 * formatted for each, 15% of the redis bench's transform) */
		if (stf__container_heads(pe))
			m = NULL; /* the key's object is not the pointer's */
	}
	if (v == r->start && stf__end_of_previous(x, r, pe)) {
		r--;
		m = NULL;
		known = 0;
	}
	if (!known && pe && pe->unit && x->src->objs[r->value].kind != STF_OBJ_FUNC &&
	    is_function(pe->unit, pe->type)) {
		/* Data is not executable, so no correct program calls this
		 * value: it is stale or uninitialized bytes (nginx's free
		 * connections, from a malloc that does not zero).  It keeps
		 * its meaning as the untyped word it is: the same place of
		 * the same object, and back. */
		char on[256];
		if (x->strict) {
			stf__xfail(x, "%s: function pointer holding 0x%" PRIx64 ", which is no "
			      "function of the old version (it points into %s); without "
			      "--strict it is kept pointing there (stale bytes); if it holds "
			      "something else, annotate it with STF_IXFER or register a "
			      "callback", stf__cur_path(x), v,
			      stf__obj_name(&x->src->objs[r->value], on, sizeof(on)));
			return -1;
		}
		x->rep->nowhere++;
		pe = NULL;
		m = NULL;
	}
	if (v == r->start && (x->src->objs[r->value].flags & STF_OBJF_CONTAINER) &&
	    stf__sub_end_moves(x, r, out))
		return 0; /* a pool's cursor at a resized object's end (subobjects.c) */
	const struct pairing *p = &x->pair[r->value];
	off = v - x->src->objs[r->value].addr; /* a container's ranges start past it */
	if (!known && pe && (stf__check_numeric_host(x, pe, &x->src->objs[r->value], off) < 0 ||
			     stf__carved_bytes(x, pe, &x->src->objs[r->value], off) < 0))
		return -1;
	if (m && !known)
		*m = key; /* its checks passed */
	if (p->dst >= 0 && p->same && !x->fault) { /* the common case */
		*out = p->dst_addr + off;
		if (pe && pe->dunit) {
			const struct stf_obj *dobj = &x->dst->objs[p->dst];
			if (m && memo_dst_known(m, dobj, MEMO_SAME, &doff))
				return 0;
			if (check_dst_pointee(x, pe, &x->src->objs[r->value], dobj, off) < 0)
				return -1;
			if (m)
				memo_dst_set(m, dobj, MEMO_SAME, off);
		}
		return 0;
	}
	const struct stf_obj *o = &x->src->objs[r->value];
	if (stf__slot_chunk_left(x, r->value)) { /* a dead link into an old slab (slots.c) */
		*out = v;
		x->rep->integers++;
		return 0;
	}
	j = pair_target(x, r->value);
	if (j < 0)
		return -1;
	if (!x->pair[r->value].same && stf__past_shrunk_sub(x, r->value, &x->dst->objs[j], off, out))
		return 0;
	doff = off;
	if (!x->pair[r->value].same) {
		if (!m && !pe && (m = memo_find(x, NULL, r, v, &key, &known)) && !known)
			*m = key; /* an untyped pointer: no checks */
		if (map_changed(x, m, o, &x->dst->objs[j], off, pe, &doff) < 0)
			return -1;
	} else if (pe && pe->dunit && check_dst_pointee(x, pe, o, &x->dst->objs[j], doff) < 0) {
		return -1;
	}
	*out = x->dst->objs[j].addr + doff;
	if (x->fault == STF_FAULT_CORRUPT_POINTER && !x->fault_done &&
	    o->kind != STF_OBJ_FUNC && x->fault_alt >= 0 && x->fault_alt != j &&
	    x->fault_seen++ >= x->fault_point) {
		x->fault_done = 1;
		*out = x->dst->objs[x->fault_alt].addr;
		fprintf(stderr, "libstf: STF_FAULT: %s relocated to the wrong target\n",
			stf__cur_path(x));
	}
	return 0;
}

/* Does a struct/union of this kind and tag start at off in a value of
 * type (u, t)? */
static int named_at(const struct stf_meta_unit *u, uint32_t t, uint64_t off, uint8_t kind,
		    const char *tag, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (!off && R->kind == kind && !strcmp(stf_meta_str(u, R->name), tag))
		return 1;
	if (R->kind == STF_K_ARRAY) {
		uint32_t et = strip(u, R->target);
		uint64_t esz = et < u->ntypes ? T(u, et)->size : 0;
		return esz && named_at(u, et, off % esz, kind, tag, depth + 1);
	}
	if (R->kind != STF_K_STRUCT && R->kind != STF_K_UNION)
		return 0;
	for (uint32_t i = 0; i < R->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[R->members + i];
		uint32_t mt = strip(u, m->type);
		if (m->bit_size || mt >= u->ntypes || (uint64_t)m->offset > off)
			continue;
		if ((off - m->offset < T(u, mt)->size || off == (uint64_t)m->offset) &&
		    named_at(u, mt, off - m->offset, kind, tag, depth + 1))
			return 1;
	}
	return 0;
}

int stf__obj_named_at(const struct stf_obj *o, uint64_t off, uint8_t kind, const char *tag)
{
	uint32_t t = strip(o->unit, o->type);
	uint64_t esz = t < o->unit->ntypes ? T(o->unit, t)->size : 0;
	if (stf__is_dynamic(o) && esz && o->size > esz)
		off %= esz;
	return named_at(o->unit, t, off, kind, tag, 0);
}

/* A pointer to a struct that really pointed to one must still point to
 * one of that name (renames followed) after its target moved. */
static int check_target_type(struct stf_xfer *x, const struct pointee *pe,
			     const struct stf_obj *so, uint64_t off,
			     const struct stf_obj *dobj, uint64_t doff)
{
	char tn[256], dn[256];
	if (!pe || !pe->unit || !so->unit || !dobj->unit)
		return 0;
	uint32_t pt = strip(pe->unit, pe->type);
	if (pt >= pe->unit->ntypes)
		return 0;
	const struct stf_type_rec *P = T(pe->unit, pt);
	const char *tag = stf_meta_str(pe->unit, P->name);
	if ((P->kind != STF_K_STRUCT && P->kind != STF_K_UNION) || !*tag ||
	    !stf__obj_named_at(so, off, P->kind, tag))
		return 0; /* not a typed pointer to such a struct: nothing to keep */
	/* the destination's name: the same tag unless a rename says
	 * otherwise: names are formatted only for a rename or a problem
	 * (this runs for every pointer) */
	if (!x->renames && stf__obj_named_at(dobj, doff, P->kind, tag))
		return 0;
	snprintf(tn, sizeof(tn), "%s %s", P->kind == STF_K_STRUCT ? "struct" : "union", tag);
	snprintf(dn, sizeof(dn), "%s", x->renames ? stf__rename(STF_RENAME_TYPE, tn, x->dir) : tn);
	const char *dtag = strchr(dn, ' ') ? strchr(dn, ' ') + 1 : dn;
	uint8_t dkind = !strncmp(dn, "union ", 6) ? STF_K_UNION : STF_K_STRUCT;
	if (x->renames && stf__obj_named_at(dobj, doff, dkind, dtag))
		return 0;
	char on[256];
	stf__xfail(x, "%s: points to %s in %s, but the new version has no %s there "
	      "(the target's type changed); register a callback", stf__cur_path(x), tn,
	      stf__obj_name(so, on, sizeof(on)), dn);
	return -1;
}

/* A pointer whose declared type changed to a pointer to a struct or union
 * must point to one in the destination: a struct session * holding the
 * old struct conn * to a struct conn points to a type it cannot legally
 * point to. */
static int check_dst_pointee(struct stf_xfer *x, const struct pointee *pe,
			     const struct stf_obj *so, const struct stf_obj *dobj, uint64_t doff)
{
	char tn[256], on[256], dn[256];
	const struct stf_meta_unit *pu = pe->dunit;
	uint32_t pt = pe->dtype;
	if (!dobj->unit || doff >= dobj->size || so->kind == STF_OBJ_FUNC ||
	    so->kind == STF_OBJ_STRING)
		return 0;
	stf__complete_type(x->dst->meta, &pu, &pt);
	pt = strip(pu, pt);
	if (pt >= pu->ntypes)
		return 0;
	const struct stf_type_rec *P = T(pu, pt);
	const char *tag = stf_meta_str(pu, P->name);
	if ((P->kind != STF_K_STRUCT && P->kind != STF_K_UNION) || !*tag ||
	    (P->flags & STF_TF_INCOMPLETE) || stf__obj_named_at(dobj, doff, P->kind, tag))
		return 0;
	uint32_t dt = strip(dobj->unit, dobj->type);
	stf__xfail(x, "%s: its type became %s * but it points to %s (offset %" PRIu64 " of %s), "
	      "where the new version has no %s; register a callback", stf__cur_path(x),
	      stf__type_str(pu, pt, tn, sizeof(tn)), stf__obj_name(so, on, sizeof(on)), doff,
	      stf__type_str(dobj->unit, dt, dn, sizeof(dn)), stf__type_str(pu, pt, tn, sizeof(tn)));
	return -1;
}

/* Where a pointer at offset off of an object whose type changed lands in
 * its destination, and whether it may: from m (the pointer's entry, NULL
 * if none) when known. */
static int map_changed(struct stf_xfer *x, struct reloc_memo *m, const struct stf_obj *so,
		       const struct stf_obj *dobj, uint64_t off, const struct pointee *pe,
		       uint64_t *doff)
{
	if (m && memo_dst_known(m, dobj, MEMO_CHANGED, doff))
		return 0;
	if (stf__carved_interior(x, pe, so, off) < 0 ||
	    stf__map_obj_off(x, so, dobj, off, doff, pe) < 0 ||
	    check_target_type(x, pe, so, off, dobj, *doff) < 0 ||
	    (pe && pe->dunit && check_dst_pointee(x, pe, so, dobj, *doff) < 0))
		return -1;
	if (m)
		memo_dst_set(m, dobj, MEMO_CHANGED, *doff);
	return 0;
}

int stf__xfer_relocate(struct stf_xfer *x, uint64_t src_ptr, uint64_t *dst_ptr)
{
	int r = stf__reloc(x, src_ptr, dst_ptr, NULL);
	if (r == 1) /* main's stack outside the arguments: no counterpart */
		*dst_ptr = 0;
	return r < 0 ? -1 : 0;
}
