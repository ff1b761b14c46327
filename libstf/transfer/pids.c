/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pids.c - pid_t values named after the counterparts of their processes
 * in the new tree (see pids.h): a walk of the process's own typed state.
 * A plain int holding a pid of the old tree is renamed too and listed in
 * the report (strict: refused).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "pids.h"
#include "remote.h"
#include "xfer.h"

#define MAX_DEPTH 32
#define MAX_PAIRS 512  /* more than a message holds */
#define MAX_MEMO_UNITS 1024

static struct stf_pid_pair map[MAX_PAIRS], inverse[MAX_PAIRS];
static size_t nmap;

static int is_pid_type(const struct stf_meta_unit *u, uint32_t t)
{
	for (int i = 0; i < 8 && t < u->ntypes && T(u, t)->kind == STF_K_TYPEDEF; i++) {
		const char *name = stf_meta_str(u, T(u, t)->name);

		if (strcmp(name, "pid_t") == 0 || strcmp(name, "__pid_t") == 0)
			return T(u, strip(u, t))->size == sizeof(pid_t);
		t = T(u, t)->target;
	}
	return 0;
}

/* A plain signed int (not pid_t, which is_pid_type took first). */
static int is_plain_int(const struct stf_meta_unit *u, uint32_t t)
{
	const struct stf_type_rec *r;

	t = strip(u, t);
	if (t >= u->ntypes)
		return 0;
	r = T(u, t);
	return r->kind == STF_K_INT && r->size == sizeof(int) && (r->flags & STF_TF_SIGNED) &&
	       !(r->flags & (STF_TF_BOOL | STF_TF_CHAR));
}

struct walk {
	const struct stf_pid_pair *map;
	size_t n;
	uint64_t count;
	int ints;           /* plain ints: enum stf_pid_ints */
	struct stf_xfer_report *rep;
	int failed;
	/* where the walk is, formatted only for a message: the object, then
	 * a member name or (NULL) an element index per level */
	char object[256];
	struct walk_at { const char *member; uint64_t index; } at[MAX_DEPTH + 2];
	int depth;
	/* per unit, per type: 0 not known yet, 1 holds no value to rename,
	 * 2 may (a heap of a million objects of other types then costs a
	 * look-up each, not a walk of their members) */
	struct stf_arena *arena;
	struct memo { const struct stf_meta_unit *u; uint8_t *may; } memo[MAX_MEMO_UNITS];
	size_t nmemo, last;
};

static uint8_t *memo_of(struct walk *w, const struct stf_meta_unit *u)
{
	if (w->nmemo && w->memo[w->last].u == u)
		return w->memo[w->last].may;
	for (size_t i = 0; i < w->nmemo; i++)
		if (w->memo[i].u == u)
			return w->memo[w->last = i].may;
	if (w->nmemo == MAX_MEMO_UNITS)
		return NULL;
	w->memo[w->nmemo] = (struct memo){ u, stf__arena_alloc(w->arena, u->ntypes) };
	w->last = w->nmemo++;
	return w->memo[w->last].may;
}

/* "master.c:workers[2]" */
static const char *path_of(const struct walk *w, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s", w->object);

	for (int i = 0; i < w->depth && n < len; i++)
		n += (size_t)(w->at[i].member ? snprintf(buf + n, len - n, ".%s", w->at[i].member) :
			      snprintf(buf + n, len - n, "[%llu]",
				       (unsigned long long)w->at[i].index));
	return buf;
}

/* The index in the map of the pid v, or -1. */
static long find_pid(const struct walk *w, pid_t v)
{
	for (size_t i = 0; i < w->n; i++)
		if (v == w->map[i].from)
			return (long)i;
	return -1;
}

/* A plain int holding the pid of a process of the old tree (a master's
 * int table of its workers): renamed like a pid_t, as a pid is the likely
 * meaning, and listed (a value that only happens to equal a pid would be
 * changed); refused in strict mode. */
static void int_pid(struct walk *w, uint8_t *p, pid_t v, long k)
{
	char text[1024], path[512];

	snprintf(text, sizeof text, "%s: an int (not pid_t) holds %d, the pid of a process of "
		 "the running version's tree: %s; declare it pid_t", path_of(w, path, sizeof path),
		 (int)v,
		 w->ints == STF_PID_INTS_REFUSE ? "refused (--strict), it would name no process after the "
		 "commit" : "renamed to its counterpart's like a pid_t (if it is no pid, it "
		 "changed)");
	if (w->ints == STF_PID_INTS_REFUSE) {
		w->failed = 1;
		if (!w->rep->error[0])
			snprintf(w->rep->error, sizeof w->rep->error, "%s", text);
	}
	if (w->ints != STF_PID_INTS_RENAME)
		stf__report_problem(w->rep, text);
	if (w->ints != STF_PID_INTS_REFUSE) {
		memcpy(p, &w->map[k].to, sizeof v);
		w->count++;
	}
}

/* Can type t hold a value walk() would rename: a pid_t, a plain int (unless
 * they are left alone), in a member or element at any depth? */
static int may_hold(struct walk *w, const struct stf_meta_unit *u, uint32_t t, int depth)
{
	uint8_t *may = memo_of(w, u);
	const struct stf_type_rec *r;
	int yes = 0;

	if (t >= u->ntypes || depth > MAX_DEPTH)
		return 0;
	if (may && may[t])
		return may[t] == 2;
	r = T(u, strip(u, t));
	if (is_pid_type(u, t))
		yes = 1;
	else if (is_plain_int(u, t))
		yes = w->ints != STF_PID_INTS_LEAVE;
	else if (r->flags & STF_TF_OPAQUE)
		yes = 0;
	else if (r->kind == STF_K_STRUCT)
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

static void walk(struct walk *w, const struct stf_meta_unit *u, uint32_t t, uint8_t *p,
		 uint64_t size, int depth)
{
	const struct stf_type_rec *r;
	uint32_t s;

	if (!may_hold(w, u, t, depth))
		return;
	if (is_pid_type(u, t)) {
		pid_t v;

		if (size < sizeof v)
			return;
		memcpy(&v, p, sizeof v);
		long k = find_pid(w, v);
		if (k >= 0) {
			memcpy(p, &w->map[k].to, sizeof v);
			w->count++;
		}
		return;
	}
	if (is_plain_int(u, t)) {  /* not left alone: may_hold */
		pid_t v;
		long k;

		if (size < sizeof v)
			return;
		memcpy(&v, p, sizeof v);
		if ((k = find_pid(w, v)) >= 0)
			int_pid(w, p, v, k);
		return;
	}
	s = strip(u, t);
	if (s >= u->ntypes)
		return;
	r = T(u, s);
	if (r->flags & STF_TF_OPAQUE)
		return;
	if (r->kind == STF_K_STRUCT) {
		for (uint32_t i = 0; i < r->nmembers; i++) {
			const struct stf_member_rec *m = &u->members[r->members + i];

			if (m->bit_size || m->offset < 0 || (uint64_t)m->offset >= size ||
			    (m->flags & STF_MF_IXFER))
				continue;
			w->at[depth].member = stf_meta_str(u, m->name);
			w->depth = depth + 1;
			walk(w, u, m->type, p + m->offset, size - (uint64_t)m->offset, depth + 1);
		}
	} else if (r->kind == STF_K_ARRAY) {
		uint32_t e = r->target;
		uint64_t esz = e < u->ntypes ? T(u, strip(u, e))->size : 0;
		uint64_t count = r->count ? r->count : (esz ? size / esz : 0);

		for (uint64_t i = 0; esz && i < count && (i + 1) * esz <= size; i++) {
			w->at[depth] = (struct walk_at){ NULL, i };
			w->depth = depth + 1;
			walk(w, u, e, p + i * esz, esz, depth + 1);
		}
	}
	/* unions: which member holds the value is unknown; scalars: not pids */
}

/* This process's state as a peer (what: STF_PEER_*); the memo starts
 * again in its arena.  0, or -1 with the reason in w->rep->error. */
static int open_self(struct stf_peer *self, struct walk *w, unsigned what)
{
	memset(self, 0, sizeof(*self));
	if (stf__peer_open(self, getpid(), 0, what, NULL, w->rep->error,
			   sizeof w->rep->error) < 0) {
		stf__peer_close(self);
		return -1;
	}
	w->arena = self->arena;
	w->nmemo = 0;
	return 0;
}

/* Can an object of any allocation site hold a value to rename?  If not,
 * the heap (up to millions of objects) is not even listed.  A block whose
 * site has no type and whose type inference gives one holding a pid_t is
 * missed: a pid is kept in a typed struct. */
static int sites_may_hold(struct walk *w, const struct stf_peer *self)
{
	for (size_t i = 0; i < self->nsites; i++)
		if (self->site_unit[i] && may_hold(w, self->site_unit[i], self->site_type[i], 0))
			return 1;
	return 0;
}

int stf__pids_remap(const struct stf_pid_pair *map, size_t n, enum stf_pid_ints ints,
		    struct stf_xfer_report *rep, uint64_t *count)
{
	struct stf_peer self;
	struct walk w;

	*count = 0;
	if (!n)
		return 0;
	memset(&w, 0, sizeof w);
	w.map = map;
	w.n = n;
	w.ints = ints;
	w.rep = rep;
	if (open_self(&self, &w, STF_PEER_STATICS) < 0)
		return -1;
	if (sites_may_hold(&w, &self)) {
		stf__peer_close(&self);
		if (open_self(&self, &w, STF_PEER_STATICS | STF_PEER_DYNAMIC) < 0)
			return -1;
	}
	for (size_t i = 0; i < self.nobjs; i++) {
		const struct stf_obj *o = &self.objs[i];
		uint64_t esz;

		if (!o->unit || (o->flags & STF_OBJF_INTERNAL) ||
		    (o->kind != STF_OBJ_STATIC && o->kind != STF_OBJ_HEAP && o->kind != STF_OBJ_MMAP) ||
		    !may_hold(&w, o->unit, o->type, 0))
			continue;
		stf__obj_name(o, w.object, sizeof w.object);
		w.depth = 0;
		esz = o->type < o->unit->ntypes ? T(o->unit, strip(o->unit, o->type))->size : 0;
		if (o->kind == STF_OBJ_STATIC || !esz) {
			walk(&w, o->unit, o->type, (uint8_t *)(uintptr_t)o->addr, o->size, 0);
			continue;
		}
		for (uint64_t k = 0; (k + 1) * esz <= o->size; k++) {  /* heap: elements */
			w.at[0] = (struct walk_at){ NULL, k };
			w.depth = 1;
			walk(&w, o->unit, o->type, (uint8_t *)(uintptr_t)o->addr + k * esz, esz, 1);
		}
	}
	stf__peer_close(&self);
	*count = w.count;
	return w.failed ? -1 : 0;
}

void stf__pids_clear(void)
{
	nmap = 0;
}

void stf__pids_note(const char *pair)
{
	int from, to;

	if (nmap < MAX_PAIRS && sscanf(pair, "%d:%d", &from, &to) == 2) {
		map[nmap] = (struct stf_pid_pair){ from, to };
		inverse[nmap++] = (struct stf_pid_pair){ to, from };
	}
}

int stf__pids_apply(int back, int strict, struct stf_xfer_report *rep)
{
	uint64_t n;

	/* R takes back what F renamed, ints included, unlisted.  A single
	 * process (one pair: its own pid) renames only its pid_t values: a
	 * plain int equal to its pid is as likely a count, and there is no
	 * table of workers to keep right. */
	enum stf_pid_ints ints = nmap < 2 ? STF_PID_INTS_LEAVE : back ? STF_PID_INTS_RENAME :
				 strict ? STF_PID_INTS_REFUSE : STF_PID_INTS_LIST;
	return stf__pids_remap(back ? inverse : map, nmap, ints, rep, &n);
}
