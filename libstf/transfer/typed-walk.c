/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * typed-walk.c - the calling process's typed state, value by value (see
 * typed-walk.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "remote.h"
#include "typed-walk.h"
#include "xfer.h"

const char *stf__typed_walk_path(const struct stf_typed_walk *w, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s", w->object);

	for (int i = 0; i < w->depth && n < len; i++)
		n += (size_t)(w->at[i].member ? snprintf(buf + n, len - n, ".%s", w->at[i].member) :
			      snprintf(buf + n, len - n, "[%llu]",
				       (unsigned long long)w->at[i].index));
	return buf;
}

static uint8_t *memo_of(struct stf_typed_walk *w, const struct stf_meta_unit *u)
{
	if (w->nmemo && w->memo[w->last].u == u)
		return w->memo[w->last].may;
	for (size_t i = 0; i < w->nmemo; i++)
		if (w->memo[i].u == u)
			return w->memo[w->last = i].may;
	if (w->nmemo == STF_WALK_MEMO_UNITS)
		return NULL;
	w->memo[w->nmemo] = (struct stf_walk_memo){ u, stf__arena_alloc(w->arena, u->ntypes) };
	w->last = w->nmemo++;
	return w->memo[w->last].may;
}

/* Can type t hold a value the walk takes, in a member or element at any
 * depth? */
static int may_hold(struct stf_typed_walk *w, const struct stf_meta_unit *u, uint32_t t,
		    int depth)
{
	uint8_t *may = memo_of(w, u);
	const struct stf_type_rec *r;
	int yes = 0;

	if (t >= u->ntypes || depth > STF_WALK_DEPTH)
		return 0;
	if (may && may[t])
		return may[t] == 2;
	r = T(u, strip(u, t));
	if (w->takes(w, u, t))
		yes = 1;
	else if (r->flags & STF_TF_OPAQUE)
		yes = 0;
	else if (r->kind == STF_K_STRUCT || (r->kind == STF_K_UNION && w->unions))
		for (uint32_t i = 0; i < r->nmembers && !yes; i++) {
			const struct stf_member_rec *m = &u->members[r->members + i];
			yes = !m->bit_size && !(m->flags & STF_MF_IXFER) &&
			      may_hold(w, u, m->type, depth + 1);
		}
	else if (r->kind == STF_K_ARRAY)
		yes = may_hold(w, u, r->target, depth + 1);
	if (may)
		may[t] = yes ? 2 : 1;
	return yes;
}

static void walk(struct stf_typed_walk *w, const struct stf_meta_unit *u, uint32_t t, uint8_t *p,
		 uint64_t size, int depth)
{
	const struct stf_type_rec *r;
	uint32_t s;

	if (!may_hold(w, u, t, depth) || w->visit(w, u, t, p, size))
		return;
	s = strip(u, t);
	if (s >= u->ntypes)
		return;
	r = T(u, s);
	if (r->flags & STF_TF_OPAQUE)
		return;
	if (r->kind == STF_K_STRUCT || (r->kind == STF_K_UNION && w->unions)) {
		for (uint32_t i = 0; i < r->nmembers; i++) {
			const struct stf_member_rec *m = &u->members[r->members + i];

			if (m->bit_size || m->offset < 0 || (uint64_t)m->offset >= size ||
			    (m->flags & STF_MF_IXFER))
				continue;
			w->at[depth].member = stf_meta_str(u, m->name);
			w->depth = depth + 1;
			walk(w, u, m->type, p + m->offset, size - (uint64_t)m->offset, depth + 1);
			/* a union's bytes once: a value renamed twice could come to
			 * name another thread */
			if (r->kind == STF_K_UNION && may_hold(w, u, m->type, depth + 1))
				break;
		}
	} else if (r->kind == STF_K_ARRAY) {
		uint32_t e = r->target;
		uint64_t esz = e < u->ntypes ? T(u, strip(u, e))->size : 0;
		uint64_t count = r->count ? r->count : (esz ? size / esz : 0);

		for (uint64_t i = 0; esz && i < count && (i + 1) * esz <= size; i++) {
			w->at[depth] = (struct stf_walk_at){ NULL, i };
			w->depth = depth + 1;
			walk(w, u, e, p + i * esz, esz, depth + 1);
		}
	}
	/* unions (unless w->unions): which member holds the value is
	 * unknown; scalars: visited */
}

/* This process's state as a peer (what: STF_PEER_*); the memo starts
 * again in its arena.  0, or -1 with the reason in err. */
static int open_self(struct stf_peer *self, struct stf_typed_walk *w, unsigned what, char *err,
		     size_t errlen)
{
	memset(self, 0, sizeof(*self));
	if (stf__peer_open(self, getpid(), 0, what, NULL, err, errlen) < 0) {
		stf__peer_close(self);
		stf__peer_forget_files();
		return -1;
	}
	w->arena = self->arena;
	w->nmemo = 0;
	return 0;
}

static int sites_may_hold(struct stf_typed_walk *w, const struct stf_peer *self)
{
	for (size_t i = 0; i < self->nsites; i++)
		if (self->site_unit[i] && may_hold(w, self->site_unit[i], self->site_type[i], 0))
			return 1;
	return 0;
}

int stf__typed_walk_state(struct stf_typed_walk *w, char *err, size_t errlen)
{
	struct stf_peer self;

	if (open_self(&self, w, STF_PEER_STATICS, err, errlen) < 0)
		return -1;
	if (sites_may_hold(w, &self)) {
		stf__peer_close(&self);
		if (open_self(&self, w, STF_PEER_STATICS | STF_PEER_DYNAMIC, err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; i < self.nobjs; i++) {
		const struct stf_obj *o = &self.objs[i];
		uint64_t esz;

		if (!o->unit || (o->flags & STF_OBJF_INTERNAL) ||
		    (o->kind != STF_OBJ_STATIC && o->kind != STF_OBJ_HEAP && o->kind != STF_OBJ_MMAP) ||
		    !may_hold(w, o->unit, o->type, 0))
			continue;
		stf__obj_name(o, w->object, sizeof w->object);
		w->depth = 0;
		esz = o->type < o->unit->ntypes ? T(o->unit, strip(o->unit, o->type))->size : 0;
		if (o->kind == STF_OBJ_STATIC || !esz) {
			walk(w, o->unit, o->type, (uint8_t *)(uintptr_t)o->addr, o->size, 0);
			continue;
		}
		for (uint64_t k = 0; (k + 1) * esz <= o->size; k++) {  /* heap: elements */
			w->at[0] = (struct stf_walk_at){ NULL, k };
			w->depth = 1;
			walk(w, o->unit, o->type, (uint8_t *)(uintptr_t)o->addr + k * esz, esz, 1);
		}
	}
	stf__peer_close(&self);
	/* its copies of the ELF files, mapped while this process becomes the
	 * running version, would be taken for its libraries by the next
	 * update (respawn.c) */
	stf__peer_forget_files();
	return 0;
}
