/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pids.c - pid_t values named after the counterparts of their processes
 * in the new tree (see pids.h): a walk of the process's own typed state.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "pids.h"
#include "remote.h"

#define MAX_DEPTH 32
#define MAX_PAIRS 512  /* more than a message holds */

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

struct walk {
	const struct stf_pid_pair *map;
	size_t n;
	uint64_t count;
};

static void walk(struct walk *w, const struct stf_meta_unit *u, uint32_t t, uint8_t *p,
		 uint64_t size, int depth)
{
	const struct stf_type_rec *r;
	uint32_t s;

	if (t >= u->ntypes || depth > MAX_DEPTH)
		return;
	if (is_pid_type(u, t)) {
		pid_t v;

		if (size < sizeof v)
			return;
		memcpy(&v, p, sizeof v);
		for (size_t i = 0; i < w->n; i++)
			if (v == w->map[i].from) {
				memcpy(p, &w->map[i].to, sizeof v);
				w->count++;
				break;
			}
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

			if (!m->bit_size && m->offset >= 0 && (uint64_t)m->offset < size &&
			    !(m->flags & STF_MF_IXFER))
				walk(w, u, m->type, p + m->offset, size - (uint64_t)m->offset, depth + 1);
		}
	} else if (r->kind == STF_K_ARRAY) {
		uint32_t e = r->target;
		uint64_t esz = e < u->ntypes ? T(u, strip(u, e))->size : 0;
		uint64_t count = r->count ? r->count : (esz ? size / esz : 0);

		for (uint64_t i = 0; esz && i < count && (i + 1) * esz <= size; i++)
			walk(w, u, e, p + i * esz, esz, depth + 1);
	}
	/* unions: which member holds the value is unknown; scalars: not pids */
}

int stf__pids_remap(const struct stf_pid_pair *map, size_t n, uint64_t *count, char *err,
		    size_t errlen)
{
	struct stf_peer self;
	struct walk w = { map, n, 0 };

	*count = 0;
	if (!n)
		return 0;
	memset(&self, 0, sizeof(self));
	if (stf__peer_open(&self, getpid(), 0, STF_PEER_STATICS | STF_PEER_DYNAMIC, NULL, err,
			   errlen) < 0) {
		stf__peer_close(&self);
		return -1;
	}
	for (size_t i = 0; i < self.nobjs; i++) {
		const struct stf_obj *o = &self.objs[i];
		uint64_t esz;

		if (!o->unit || (o->flags & STF_OBJF_INTERNAL) ||
		    (o->kind != STF_OBJ_STATIC && o->kind != STF_OBJ_HEAP && o->kind != STF_OBJ_MMAP))
			continue;
		esz = o->type < o->unit->ntypes ? T(o->unit, strip(o->unit, o->type))->size : 0;
		if (o->kind == STF_OBJ_STATIC || !esz) {
			walk(&w, o->unit, o->type, (uint8_t *)(uintptr_t)o->addr, o->size, 0);
			continue;
		}
		for (uint64_t k = 0; (k + 1) * esz <= o->size; k++)  /* heap: elements */
			walk(&w, o->unit, o->type, (uint8_t *)(uintptr_t)o->addr + k * esz, esz, 0);
	}
	stf__peer_close(&self);
	*count = w.count;
	return 0;
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

int stf__pids_apply(int back, char *err, size_t errlen)
{
	uint64_t n;

	return stf__pids_remap(back ? inverse : map, nmap, &n, err, errlen);
}
