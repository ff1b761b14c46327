/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * addr-keys.c - objects whose address the program keeps as an integer (a
 * set keyed by object address: the slot and the stored hash computed
 * from `(uintptr_t)conn`) keep their address in the new version, so that
 * every hash and slot stays right untouched.
 *
 * The plugin records where the code does so (gcc-plugin/addr-keys.cc,
 * STF_USE_ADDR_KEY records): the struct types whose objects' addresses
 * are kept, the `void *` parameters that are (joined by the function's
 * name with what the callers of other units pass), and the functions
 * keeping the address of a pointer of no known type.  Planning pins the
 * heap objects of such a type (or holding one), and, for pointers of no
 * known type, the targets of every `void *` value.  A pinned object whose
 * type grows past its block grows at its address over the blocks after
 * it (pinned-growth.c); where it cannot, the update rolls back naming the
 * type, the function and the fix.  A static of such a type cannot keep
 * its address (it lives in the new executable): rolls back too.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "remote.h"
#include "untyped.h"

#define MEMO 256         /* (unit, type) -> keyed type, direct-mapped */

struct keyed_type {
	uint64_t hash;                /* structural hash */
	const struct stf_meta_unit *unit;
	uint32_t type;                /* for its name */
	const char *fn;               /* the function keeping the addresses */
	uint32_t order;               /* STF_USE_ADDR_ORDER: compares them */
	int reported;                 /* its growth is reported */
};

struct type_memo {
	const struct stf_meta_unit *unit;
	uint32_t type;
	int32_t keyed;                /* index in types, -1 none, -2 empty */
};

struct keyed_param {
	const char *fn;
	uint32_t index;
	uint32_t order;               /* STF_USE_ADDR_ORDER */
};

struct stf_addr_keys {
	struct keyed_type *types;     /* as many as the records, at most */
	size_t ntypes;
	struct keyed_param *params;   /* the keyed `void *` parameters */
	size_t nparams;
	const char *any_fn;           /* keeps pointers of no known type */
	uint32_t any_order;           /* STF_USE_ADDR_ORDER: compares them */
	struct type_memo memo[MEMO];
};

static void add_type(struct stf_addr_keys *k, const struct stf_meta_unit *u, uint32_t t,
		     const char *fn, uint32_t order)
{
	t = strip(u, t);
	if (t >= u->ntypes)
		return;
	for (size_t i = 0; i < k->ntypes; i++)
		if (k->types[i].hash == T(u, t)->hash)
			return;
	k->types[k->ntypes++] = (struct keyed_type){ T(u, t)->hash, u, t, fn, order, 0 };
}

/* The keyed parameter index of function fn, NULL if it is none. */
static const struct keyed_param *param_keyed(const struct stf_addr_keys *k, const char *fn,
					     uint32_t index)
{
	for (size_t i = 0; i < k->nparams; i++)
		if (k->params[i].index == index && !strcmp(k->params[i].fn, fn))
			return &k->params[i];
	return NULL;
}

/* Calls each(k, unit, record, kind) for the address key records of m. */
static void each_key(struct stf_addr_keys *k, const struct stf_meta *m,
		     void (*each)(struct stf_addr_keys *, const struct stf_meta_unit *,
				  const struct stf_use_rec *, uint32_t))
{
	for (size_t ui = 0; ui < m->nunits; ui++) {
		const struct stf_meta_unit *u = &m->units[ui];
		for (uint32_t i = 0; i < u->nuses; i++)
			if (u->uses[i].flags & STF_USE_ADDR_KEY)
				each(k, u, &u->uses[i], u->uses[i].flags & (STF_USE_ADDR_PARAM |
						STF_USE_ADDR_ARG | STF_USE_ADDR_ANY |
						STF_USE_ADDR_ORDER));
	}
}

static void count_key(struct stf_addr_keys *k, const struct stf_meta_unit *u,
		      const struct stf_use_rec *r, uint32_t kind)
{
	(void)u;
	(void)r;
	(void)kind;
	k->ntypes++;
}

static void add_param(struct stf_addr_keys *k, const struct stf_meta_unit *u,
		      const struct stf_use_rec *r, uint32_t kind)
{
	if (kind & STF_USE_ADDR_PARAM)
		k->params[k->nparams++] = (struct keyed_param){ stf_meta_str(u, r->member),
								STF_USE_INDEX(r->flags),
								kind & STF_USE_ADDR_ORDER };
}

/* A key (a struct, or pointers of no known type), or an argument of a
 * keyed parameter (the callers' record, joined by the function's name). */
static void add_key(struct stf_addr_keys *k, const struct stf_meta_unit *u,
		    const struct stf_use_rec *r, uint32_t kind)
{
	const char *fn = stf_meta_str(u, r->via);
	uint32_t order = kind & STF_USE_ADDR_ORDER;
	if (kind & STF_USE_ADDR_PARAM)
		return;
	if (kind & STF_USE_ADDR_ARG) {
		fn = stf_meta_str(u, r->member);
		const struct keyed_param *p = param_keyed(k, fn, STF_USE_INDEX(r->flags));
		if (!p)
			return;
		order = p->order;
	}
	if (kind & STF_USE_ADDR_ANY || r->used == STF_NONE) {
		if (!k->any_fn) {
			k->any_fn = fn;
			k->any_order = order;
		}
	} else {
		add_type(k, u, r->used, fn, order);
	}
}

/* x->keys: the keys of the records of meta m (NULL when there are none);
 * 0, or -1 (problem reported). */
static int collect(struct stf_xfer *x, const struct stf_meta *m)
{
	struct stf_addr_keys count = { 0 }, *k;
	x->keys = NULL;
	each_key(&count, m, count_key);
	if (!count.ntypes)
		return 0;
	k = stf__arena_alloc(x->arena, sizeof(*k));
	if (k) {
		k->types = stf__arena_alloc(x->arena, count.ntypes * sizeof(*k->types));
		k->params = stf__arena_alloc(x->arena, count.ntypes * sizeof(*k->params));
	}
	if (!k || !k->types || !k->params) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	each_key(k, m, add_param);
	each_key(k, m, add_key);
	for (size_t i = 0; i < MEMO; i++)
		k->memo[i].keyed = -2;
	x->keys = k->ntypes || k->any_fn ? k : NULL;
	return 0;
}

/* The keyed type a value of type (u, t) is or holds (a member, an
 * element), -1 if none. */
static int holds_keyed(const struct stf_addr_keys *k, const struct stf_meta_unit *u, uint32_t t,
		       int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 32)
		return -1;
	const struct stf_type_rec *R = T(u, t);
	for (size_t i = 0; i < k->ntypes; i++)
		if (k->types[i].hash == R->hash)
			return (int)i;
	if (R->kind == STF_K_ARRAY)
		return holds_keyed(k, u, R->target, depth + 1);
	if (R->kind != STF_K_STRUCT && R->kind != STF_K_UNION)
		return -1;
	for (uint32_t i = 0; i < R->nmembers; i++) {
		int found = holds_keyed(k, u, u->members[R->members + i].type, depth + 1);
		if (found >= 0)
			return found;
	}
	return -1;
}

static int keyed_of(struct stf_addr_keys *k, const struct stf_meta_unit *u, uint32_t t)
{
	struct type_memo *m = &k->memo[((uintptr_t)u / 64 * 31 + t) % MEMO];
	if (m->keyed == -2 || m->unit != u || m->type != t)
		*m = (struct type_memo){ u, t, holds_keyed(k, u, t, 0) };
	return m->keyed;
}

/* Can object o be kept at its address? */
static int pinnable(const struct stf_obj *o)
{
	return (o->kind == STF_OBJ_HEAP || o->container) &&
	       !(o->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN | STF_OBJF_STREAM));
}

static void pin_key(struct stf_xfer *x, size_t i)
{
	if (!x->pair[i].pinned)
		x->pair[i].pinned = STF_PIN_KEY;
}

/* The `void *` values of typed object i (pointers of no known type are
 * kept as keys): their targets keep their address. */
static int pin_void_targets(struct stf_xfer *x, size_t i, size_t *work, size_t *nwork)
{
	const struct stf_obj *o = &x->src->objs[i];
	const struct stf_layout *l = stf__layout(x->layouts, o->unit, o->type);
	if (!l) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	if (!l->nptrs || !l->size)
		return 0;
	uint64_t count = stf__is_dynamic(o) && o->size >= l->size ? o->size / l->size : 1;
	for (size_t f = 0; f < l->n; f++) {
		const struct stf_leaf *leaf = &l->leaves[f];
		uint32_t pt = leaf->kind == STF_LEAF_PTR ? strip(leaf->unit, leaf->type) : STF_NONE;
		if (pt >= leaf->unit->ntypes || T(leaf->unit, pt)->kind != STF_K_VOID)
			continue;
		for (uint64_t e = 0; e < count; e++) {
			uint64_t v, at = e * l->size + leaf->off;
			if (at + 8 > o->size)
				break;
			memcpy(&v, o->bytes + at, 8);
			const struct stf_range *r = v ? stf__index_find(&x->src->index, v, 0) : NULL;
			if (!r)
				continue;
			const struct stf_obj *t = &x->src->objs[r->value];
			if (!pinnable(t))
				continue;
			if (t->unit)
				pin_key(x, r->value);
			else
				stf__plan_word(x, v, i, at, work, nwork);
		}
	}
	return 0;
}

int stf__plan_addr_keys(struct stf_xfer *x, size_t *work, size_t *nwork)
{
	struct stf_peer *p = x->src;
	if (collect(x, p->meta) < 0)
		return -1;
	struct stf_addr_keys *k = x->keys;
	if (!k)
		return 0;
	char on[256], tn[256];
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (!o->unit || !o->bytes || (o->flags & STF_OBJF_INTERNAL))
			continue;
		if (k->any_fn && (o->kind == STF_OBJ_STATIC || stf__is_dynamic(o)) &&
		    pin_void_targets(x, i, work, nwork) < 0)
			return -1;
		int kt = k->ntypes ? keyed_of(k, o->unit, o->type) : -1;
		if (kt < 0)
			continue;
		if (pinnable(o)) {
			pin_key(x, i);
		} else if (o->kind == STF_OBJ_STATIC && x->dir == STF_FORWARD) {
			const struct keyed_type *K = &k->types[kt];
			stf_meta_type_name(K->unit, K->type, tn, sizeof(tn));
			stf__xfail(x, "%s, a static, holds a %s, whose address %s() %s: a static "
			      "moves with the new executable, and that %s would be wrong; rebuild "
			      "what %s() made in an stf_on_commit() callback, or key it by "
			      "something other than the address", stf__obj_name(o, on, sizeof(on)),
			      tn, K->fn, K->order ? "compares with others' to order them (a tree, a sorted array)" :
			      "keeps as an integer (a hash or a slot chosen by it)",
			      K->order ? "order" : "integer", K->fn);
		}
	}
	return 0;
}

void stf__addr_key_why(struct stf_xfer *x, size_t i, char *why, size_t wlen, char *fix,
		       size_t flen)
{
	const struct stf_obj *o = &x->src->objs[i];
	struct stf_addr_keys *k = x->keys;
	char tn[256];
	int kt = k && o->unit && k->ntypes ? keyed_of(k, o->unit, o->type) : -1;
	const char *fn = kt >= 0 ? k->types[kt].fn : k ? k->any_fn : NULL;
	uint32_t order = kt >= 0 ? k->types[kt].order : k ? k->any_order : 0;
	if (!fn)
		snprintf(why, wlen, "its address is kept as an integer");
	else if (kt >= 0) {
		stf_meta_type_name(k->types[kt].unit, k->types[kt].type, tn, sizeof(tn));
		snprintf(why, wlen, order ? "%s() orders every %s by its address (compares the "
			 "addresses of two of them: a tree, a sorted array)" :
			 "%s() keeps the address of every %s as an integer (a hash, or a slot "
			 "chosen by it)", fn, tn);
	} else {
		snprintf(why, wlen, "%s() %s pointers of no known type%s, and a void * value "
			 "points to it", fn, order ? "orders" : "keeps the addresses of",
			 order ? " by their addresses (a tree, a sorted array)" :
			 " as integers (a hash, or a slot chosen by them)");
	}
	if (fix)
		snprintf(fix, flen, "%s what %s%s %s in an stf_on_commit() callback, or %s by something "
			 "other than the address", order ? "re-sort" : "rehash",
			 fn ? fn : "the hashing function", fn ? "()" : "", order ? "ordered" : "made",
			 order ? "order it" : "key it");
}

int stf__addr_key_moves(struct stf_xfer *x, size_t i, uint64_t new_size, const char *why_not)
{
	const struct stf_obj *o = &x->src->objs[i];
	struct stf_addr_keys *k = x->keys;
	char on[256], what[512], fix[512];
	int kt = k && o->unit && k->ntypes ? keyed_of(k, o->unit, o->type) : -1;
	if (!k)
		return 0;
	if (kt >= 0 && k->types[kt].reported)
		return -1; /* one message per type */
	if (kt >= 0)
		k->types[kt].reported = 1;
	stf__addr_key_why(x, i, what, sizeof(what), fix, sizeof(fix));
	stf__xfail(x, "%s: %s, so it keeps its address in the %s version (pinned), but with its "
	      "type there it takes %" PRIu64 " bytes instead of %" PRIu64 " at 0x%" PRIx64 " "
	      "and %s%s; keep the type's size and %s",
	      stf__obj_name(o, on, sizeof(on)), what, x->dir == STF_FORWARD ? "new" : "reversed",
	      new_size, o->size, o->addr, why_not,
	      kt >= 0 ? " (the other objects of the type that grow are refused alike)" : "", fix);
	return -1;
}
