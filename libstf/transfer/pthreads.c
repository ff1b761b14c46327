/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pthreads.c - the running version's pthread_t values renamed to the new
 * version's threads (see pthreads.h).
 *
 * glibc's pthread_t is the address of the thread's descriptor, which is
 * its thread pointer: a parked thread's handle is the tp of its frame, in
 * both versions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "engine.h"
#include "pthreads.h"
#include "remote.h"
#include "thread-records.h"
#include "typed-walk.h"
#include "xfer.h"

struct pair {
	uint64_t from, to;   /* to 0: no counterpart */
	uint64_t ret;        /* no counterpart as it returned this address */
};

static struct pair *map;
static size_t nmap, capmap;

static int note(uint64_t old, uint64_t new_handle, uint64_t ret)
{
	if (nmap == capmap) {
		size_t cap = capmap ? 2 * capmap : 64;
		struct pair *more = stf__raw_realloc(map, cap * sizeof *more);
		if (!more)
			return -1;
		map = more;
		capmap = cap;
	}
	map[nmap++] = (struct pair){ old, new_handle, ret };
	return 0;
}

int stf__pthreads_note(uint64_t old, uint64_t new_handle)
{
	return note(old, new_handle, 0);
}

int stf__pthreads_note_gone(uint64_t old, uint64_t ret)
{
	return note(old, 0, ret);
}

static int is_pthread_type(const struct stf_meta_unit *u, uint32_t t)
{
	for (int i = 0; i < 8 && t < u->ntypes && T(u, t)->kind == STF_K_TYPEDEF; i++) {
		if (strcmp(stf_meta_str(u, T(u, t)->name), "pthread_t") == 0)
			return T(u, strip(u, t))->size == sizeof(uint64_t);
		t = T(u, t)->target;
	}
	return 0;
}

struct walk {
	struct stf_typed_walk base;  /* first: the visitor's argument */
	uint64_t count;
	struct stf_xfer_report *rep;
	int failed;
};

static int takes(struct stf_typed_walk *base, const struct stf_meta_unit *u, uint32_t t)
{
	(void)base;
	return is_pthread_type(u, t);
}

static int visit(struct stf_typed_walk *base, const struct stf_meta_unit *u, uint32_t t,
		 uint8_t *p, uint64_t size)
{
	struct walk *w = (struct walk *)base;
	char path[512];
	uint64_t v;

	if (!is_pthread_type(u, t))
		return 0;
	if (size < sizeof v)
		return 1;
	memcpy(&v, p, sizeof v);
	for (size_t i = 0; v && i < nmap; i++) {
		if (map[i].from != v)
			continue;
		if (!map[i].to) {
			char text[1024];
			if (map[i].ret)
				snprintf(text, sizeof text, "%s holds the "
					 "pthread_t of thread 0x%" PRIx64 " of the running version, "
					 "which ended returning the address 0x%" PRIx64 " and was not "
					 "joined yet: the new version's join cannot return it (join "
					 "it before the update point, or return a number)",
					 stf__typed_walk_path(base, path, sizeof path), v, map[i].ret);
			else
				snprintf(text, sizeof text, "%s holds the "
					 "pthread_t of thread 0x%" PRIx64 " of the running version, "
					 "which has no counterpart in the new version (not parked at "
					 "an update point that the new version has)",
					 stf__typed_walk_path(base, path, sizeof path), v);
			/* every one listed, the first as the reason */
			if (!w->failed)
				snprintf(w->rep->error, sizeof w->rep->error, "%s", text);
			stf__report_problem(w->rep, text);
			w->failed = 1;
		} else {
			memcpy(p, &map[i].to, sizeof v);
			w->count++;
		}
		break;
	}
	return 1;
}

/* The parked threads of P named after their partners here. */
static int note_parked(pid_t past_pid, uint64_t past_root, char *err, size_t errlen)
{
	struct stf_peer p, self;
	int64_t *partner = NULL;
	int rc = -1;

	memset(&self, 0, sizeof self);
	if (stf__peer_open(&p, past_pid, past_root, STF_PEER_STATICS | STF_PEER_FRAMES, NULL,
			   err, errlen) < 0 ||
	    stf__peer_open(&self, getpid(), 0, STF_PEER_STATICS | STF_PEER_FRAMES, NULL,
			   err, errlen) < 0)
		goto out;
	partner = stf__raw_malloc((p.nthreads ? p.nthreads : 1) * sizeof *partner);
	if (!partner || stf__threads_partners(&self, &p, STF_FORWARD, partner) < 0)
		goto oom;
	for (size_t i = 0; i < p.nthreads; i++)
		if (stf__pthreads_note(p.threads[i].tp,
				       partner[i] >= 0 ? self.threads[partner[i]].tp : 0) < 0)
			goto oom;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory pairing the threads' pthread_t");
out:
	stf__raw_free(partner);
	stf__peer_close(&self);
	stf__peer_close(&p);
	stf__peer_forget_files();
	return rc;
}

int stf__pthreads_apply(pid_t past_pid, uint64_t past_root, struct stf_xfer_report *rep)
{
	struct stf_thread_rec *recs;
	size_t nrecs;
	struct walk w;

	if (stf__thread_recs_read(past_pid, past_root, &recs, &nrecs) < 0) {
		snprintf(rep->error, sizeof rep->error, "cannot read the running version's "
			 "thread records");
		return -1;
	}
	stf__raw_free(recs);
	if (!nrecs && !nmap)
		return 0;  /* no thread started: nothing to rename */
	if (note_parked(past_pid, past_root, rep->error, sizeof rep->error) < 0)
		return -1;
	memset(&w, 0, sizeof w);
	w.base.takes = takes;
	w.base.visit = visit;
	/* a handle in a union (`union { pthread_t tid; unsigned long word; }`):
	 * a value equal to a running thread's descriptor address is its
	 * handle */
	w.base.unions = 1;
	w.rep = rep;
	if (stf__typed_walk_state(&w.base, rep->error, sizeof rep->error) < 0)
		return -1;
	return w.failed ? -1 : 0;
}
