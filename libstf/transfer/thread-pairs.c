/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * thread-pairs.c - which thread of one version each parked thread of the
 * other version is: by who it is, then by where it parked.
 *
 * A thread's locals, thread-local variables and thread-specific data are
 * named by the frame it parked in ("loop/count#1", "pthread key
 * 2@stf_update_cb#1": metadata.c), so by place alone threads pair by the
 * function holding their point and their order there.  A running libevent
 * server parks where its loops wait, in the callback of stf_update_fd()
 * (memcached's main thread and workers; a busy worker at the top of its
 * loop instead), while the new and the reversed version, starting, park
 * at the first update point of each loop.  By place, the old version's
 * workers had no counterpart and F started them again from their start
 * routine with a zeroed argument (memcached's 8-line recipe crashed in
 * event_base_got_exit), or the counterpart was another worker: its
 * locals went to one thread while another kept its startup's, two
 * threads on one event base and none on the next, and each worker's
 * thread-specific logger went to the wrong thread.
 *
 * So threads pair by identity: the main thread with the main thread, the
 * n-th thread (creation order) started with routine S with the n-th one
 * started with S (S by the function's name, renamed by stf_rename), any
 * other thread by its place as before.  The side opened second is made to
 * speak the first side's labels: a thread's thread-local variables and
 * thread-specific data ("X@label") take its partner's label; its locals
 * pair with its partner's only when both parked in the same function ("n"
 * of "func/name#n" becomes the partner's; a function renamed with
 * stf_rename, "func" too, in both directions: the backward transfer pairs
 * F's threads with R's as well); parked in another function, or
 * with no partner, its locals become "func [apart]/name#n", which pairs
 * with nothing: dropped forward, and the differencing then finds the old
 * version's frame without counterpart and rolls back, unless the frame
 * holds no locals (a callback that ignores its arguments: the plugin
 * passes no variable the function never uses).  A thread of the new
 * version whose partner parked elsewhere keeps its startup's locals
 * (unreceived.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "remote.h"

#define APART " [apart]"

/* The identity of every parked thread of p ("main", "S#n", or "?label"),
 * in p's arena; names renamed in direction dir when rename is set. */
static const char **identities(const struct stf_peer *p, int rename, enum stf_direction dir)
{
	const char **ident = stf__arena_alloc(p->arena, (p->nthreads + 1) * sizeof(*ident));
	struct stf_strmap seen = { 0 };
	char buf[512];

	for (size_t i = 0; ident && i < p->nthreads; i++) {
		const struct stf_peer_thread *t = &p->threads[i];
		const struct stf_obj *o = t->start ? stf__peer_find(p, t->start) : NULL;
		uint64_t n = 0;

		if (t->tid == (uint64_t)p->pid) {
			snprintf(buf, sizeof(buf), "main");
		} else if (o && o->kind == STF_OBJ_FUNC && o->addr == t->start) {
			const char *id = rename ? stf__rename(STF_RENAME_OBJECT, o->id, dir) : o->id;
			const char *name = strrchr(id, ':');
			name = name ? name + 1 : id;
			if (!stf__strmap_get(&seen, name, &n))
				n++;
			if (stf__strmap_put(&seen, name, n) < 0) {
				ident = NULL;
				break;
			}
			snprintf(buf, sizeof(buf), "%s#%" PRIu64, name, n);
		} else {
			snprintf(buf, sizeof(buf), "?%s", t->label);
		}
		ident[i] = stf__arena_strdup(p->arena, buf);
		if (!ident[i])
			ident = NULL;
	}
	stf__strmap_free(&seen);
	return ident;
}

/* Whether a thread of the old version parked in old_func and one of the
 * new version in new_func parked in the same function. */
static int same_function(const char *old_func, const char *new_func)
{
	char buf[256];
	return !strcmp(old_func, new_func) ||
	       !strcmp(stf__rename_frame(old_func, buf, sizeof(buf)), new_func);
}

/* What a moved thread's IDs become. */
struct relabel {
	const char *tls;          /* label of its thread-local objects */
	const char *func;         /* its locals' function part */
	uint64_t occurrence;      /* and their "#n" */
};

int stf__threads_partners(const struct stf_peer *fixed, const struct stf_peer *moved,
			  enum stf_direction moved_dir, int64_t *partner)
{
	const char **fid = identities(fixed, 0, moved_dir);
	const char **mid = identities(moved, 1, moved_dir);
	struct stf_strmap by_ident = { 0 };
	int rc = fid && mid ? 0 : -1;

	for (size_t i = 0; !rc && i < fixed->nthreads; i++)
		rc = stf__strmap_put(&by_ident, fid[i], i);
	for (size_t i = 0; !rc && i < moved->nthreads; i++) {
		uint64_t j;
		partner[i] = stf__strmap_get(&by_ident, mid[i], &j) ? -1 : (int64_t)j;
	}
	stf__strmap_free(&by_ident);
	return rc;
}

/* The new ID of a moved object of thread-local or local kind into id:
 * 1, or 0 if it keeps its own. */
static int new_id(const struct stf_obj *o, const struct stf_strmap *labels,
		  const struct relabel *rl, char *id, size_t len)
{
	char label[300];
	uint64_t k;

	if (o->kind == STF_OBJ_LOCAL) {
		/* "func/name" or "func/name#n": its thread is "func[#n]" */
		const char *slash = strrchr(o->id, '/');
		if (!slash)
			return 0;
		const char *hash = strchr(slash, '#');
		size_t name_len = hash ? (size_t)(hash - slash - 1) : strlen(slash + 1);
		snprintf(label, sizeof(label), "%.*s%s", (int)(slash - o->id), o->id,
			 hash ? hash : "");
		if (stf__strmap_get(labels, label, &k))
			return 0;
		if (rl[k].occurrence)
			snprintf(id, len, "%s/%.*s#%" PRIu64, rl[k].func, (int)name_len,
				 slash + 1, rl[k].occurrence);
		else
			snprintf(id, len, "%s/%.*s", rl[k].func, (int)name_len, slash + 1);
	} else if (o->kind == STF_OBJ_STATIC || o->kind == STF_OBJ_CONST) {
		/* "var@label", "pthread key N@label" */
		const char *at = strrchr(o->id, '@');
		if (!at || stf__strmap_get(labels, at + 1, &k))
			return 0;
		snprintf(id, len, "%.*s@%s", (int)(at - o->id), o->id, rl[k].tls);
	} else {
		return 0;
	}
	return strcmp(id, o->id) != 0;
}

int stf__threads_pair(const struct stf_peer *fixed, struct stf_peer *moved,
		      enum stf_direction moved_dir, char *err, size_t errlen)
{
	if (!fixed->threads || !moved->threads || !moved->nthreads)
		return 0;
	int64_t *partner = stf__arena_alloc(moved->arena, moved->nthreads * sizeof(*partner));
	struct relabel *rl = stf__arena_alloc(moved->arena, moved->nthreads * sizeof(*rl));
	struct stf_strmap labels = { 0 };
	int rc = -1;
	char buf[300];

	if (!partner || !rl || stf__threads_partners(fixed, moved, moved_dir, partner) < 0)
		goto oom;
	for (size_t i = 0; i < moved->nthreads; i++) {
		const struct stf_peer_thread *m = &moved->threads[i];
		const struct stf_peer_thread *f = partner[i] >= 0 ? &fixed->threads[partner[i]] : NULL;
		const char *old_func = moved_dir == STF_FORWARD ? m->func : f ? f->func : NULL;
		const char *new_func = moved_dir == STF_FORWARD ? (f ? f->func : NULL) : m->func;

		if (f) {
			rl[i].tls = f->label;
		} else {
			snprintf(buf, sizeof(buf), "%s" APART, m->label);
			rl[i].tls = stf__arena_strdup(moved->arena, buf);
		}
		if (f && same_function(old_func, new_func)) {
			rl[i].func = m->func;
			rl[i].occurrence = f->occurrence;
		} else if (f && stf__function_renamed(old_func, new_func)) {
			/* the function renamed: its locals keep their
			 * names, in the partner's function */
			rl[i].func = f->func;
			rl[i].occurrence = f->occurrence;
		} else {
			snprintf(buf, sizeof(buf), "%s" APART, m->func);
			rl[i].func = stf__arena_strdup(moved->arena, buf);
			rl[i].occurrence = m->occurrence;
		}
		if (!rl[i].tls || !rl[i].func || stf__strmap_put(&labels, m->label, i) < 0)
			goto oom;
		if (f && moved_dir == STF_FORWARD && strcmp(f->label, m->label))
			fprintf(stderr, "libstf: forward transfer: the thread parked in %s is the "
				"one parked in %s in the new version%s\n", m->label, f->label,
				strstr(rl[i].func, APART) ? " (its locals there go to no one, the "
				"new version's keep their values)" : "");
	}
	for (size_t j = 0; j < moved->nobjs; j++) {
		char id[700];
		if (!new_id(&moved->objs[j], &labels, rl, id, sizeof(id)))
			continue;
		if (!(moved->objs[j].id = stf__arena_strdup(moved->arena, id)))
			goto oom;
	}
	rc = 0;
	goto out;
oom:
	stf__fail(err, errlen, "out of memory pairing the parked threads");
out:
	stf__strmap_free(&labels);
	return rc;
}
