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
#include "typed-walk.h"
#include "xfer.h"

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
	struct stf_typed_walk base;  /* first: the visitor's argument */
	const struct stf_pid_pair *map;
	size_t n;
	uint64_t count;
	enum stf_pid_ints ints;
	struct stf_xfer_report *rep;
	int failed;
};

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
		 "the running version's tree: %s; declare it pid_t",
		 stf__typed_walk_path(&w->base, path, sizeof path), (int)v,
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

static int takes(struct stf_typed_walk *base, const struct stf_meta_unit *u, uint32_t t)
{
	const struct walk *w = (const struct walk *)base;

	return is_pid_type(u, t) || (w->ints != STF_PID_INTS_LEAVE && is_plain_int(u, t));
}

static int visit(struct stf_typed_walk *base, const struct stf_meta_unit *u, uint32_t t,
		 uint8_t *p, uint64_t size)
{
	struct walk *w = (struct walk *)base;
	int pid_type = is_pid_type(u, t);
	pid_t v;
	long k;

	if (!takes(base, u, t))
		return 0;
	if (size < sizeof v)
		return 1;
	memcpy(&v, p, sizeof v);
	if ((k = find_pid(w, v)) < 0)
		return 1;
	if (pid_type) {
		memcpy(p, &w->map[k].to, sizeof v);
		w->count++;
	} else {
		int_pid(w, p, v, k);
	}
	return 1;
}

int stf__pids_remap(const struct stf_pid_pair *map, size_t n, enum stf_pid_ints ints,
		    struct stf_xfer_report *rep, uint64_t *count)
{
	struct walk w;

	*count = 0;
	if (!n)
		return 0;
	memset(&w, 0, sizeof w);
	w.base.takes = takes;
	w.base.visit = visit;
	w.map = map;
	w.n = n;
	w.ints = ints;
	w.rep = rep;
	if (stf__typed_walk_state(&w.base, rep->error, sizeof rep->error) < 0)
		return -1;
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
