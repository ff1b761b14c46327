/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * unreached.c - the past version's heap blocks that nothing the transfer
 * carries can reach (DESIGN.md, "Chained updates").
 *
 * Part of a process's memory is never transferred: main's initial stack
 * (the exec vector, whose entries a program may point to its own copies:
 * setproctitle's strdup of each argument), the C runtime's data (its
 * program_invocation_name, set to a copy the same way), the parts of
 * parked threads' stacks that are no locals of their point.  A heap
 * block only such memory pointed to is unreachable in the new version:
 * no transferred word points to it, and the new startup made its own
 * copies where that memory lives there.  Carried anyway, each update
 * would add it as state nothing names (Redis: argc + 1 blocks an update).
 *
 * So the forward transfer drops them, and the differencing does not ask
 * for them back.  Which they are is decided on the past version's
 * catalog, conservatively, the same way in F (before pairing) and in R
 * (for the differencing), but for the epoll registrations: R's are its
 * own startup's, whose words could only keep more, and a block F
 * dropped that R kept would be a difference; R may drop more than F
 * did, blocks only a registration reached, which then are compared if
 * they came back and not asked for if not:
 *
 *  - candidates are the heap blocks of the program's own allocation
 *    sites, plain ones: not a container or a sub-object, not libstf's,
 *    and those of the libraries whose data the catalog carries (libevent's,
 *    not the C runtime's): such a block is the library's state only if
 *    that data, or something else carried, reaches it.  A base the new
 *    version's startup made and a thread of it ran its loop on when the
 *    update committed (memcached's workers parked inside
 *    event_base_loop()) was kept then by that thread's frames; the
 *    program has used the transferred base since, so at the next update
 *    nothing carried reaches the startup's: it is dropped with what only
 *    it reached, and its descriptors are closed (startup.c), instead of
 *    being carried by every update after (19 descriptors and a base's
 *    blocks an update);
 *  - roots are every other object of the catalog (statics, locals of
 *    the parked frames, thread-local copies, the pthread key slots, the
 *    libraries' data, their heap blocks, libstf's own blocks, mappings,
 *    registered objects), the value of the C runtime's `environ` (which
 *    the transfer carries when it points to the program's array,
 *    args.c), and, in F, the data words of its epoll registrations
 *    (inherited from the past version: the kernel holds them for it);
 *  - every aligned word of a root or of a reached candidate that points
 *    into a candidate, or one past its end, reaches it, whatever the
 *    word's type (an integer, bytes, a union).
 *
 * Anything the program could still reach after the update is reached
 * from what the transfer carries, so what is left unreached cannot be
 * named by any value of the new version.
 *
 * A word looked up where it points, one at a time, cost two or three
 * cache misses (the index's bucket, its range, the flag) once the order
 * of a program's links is not the order of its allocations (Redis's
 * dictionaries link entries by hash, a key's string, its entry and its
 * value are made at different moments): 0.7 us per object there, 0.1 in
 * a heap allocated in link order.  So every word in the candidates' span
 * is gathered in one sequential pass over the catalog, the words sorted
 * (radix, sort-keys.c) and resolved against the index's sorted ranges in
 * one merge, and the walk from the roots then follows the resolved
 * targets of each reached candidate's words.
 */
#include <string.h>

#include "alloc.h"
#include "epoll.h"
#include "remote.h"
#include "sort-keys.h"

/* Object kinds whose contents are state (the read-only kinds hold no
 * pointer into the heap). */
#define ROOT_KINDS ((1u << STF_OBJ_STATIC) | (1u << STF_OBJ_LOCAL) | (1u << STF_OBJ_HEAP) | \
		    (1u << STF_OBJ_MMAP) | (1u << STF_OBJ_USER))

/* Is heap block o one of a library whose data p's catalog carries?  Its
 * site is named by the file the dynamic linker loaded, the library's data
 * object by the file mapped, which that name may link to:
 * "libevent-2.1.so.7+0x2278a", "libevent-2.1.so.7.0.1 (library data)"
 * (catalogued last). */
static int carried_library_block(const struct stf_peer *p, const struct stf_obj *o)
{
	const char *plus = o->id ? strstr(o->id, "+0x") : NULL;
	size_t n = plus ? (size_t)(plus - o->id) : 0;

	for (size_t i = p->nobjs; n && i-- > 0 && stf__is_lib_data(&p->objs[i]);) {
		const char *data = p->objs[i].id;
		if (!strncmp(data, o->id, n) &&
		    (!strcmp(data + n, STF_LIB_DATA_SUFFIX) || data[n] == '.'))
			return 1;
	}
	return 0;
}

static int candidate(const struct stf_peer *p, const struct stf_obj *o)
{
	if (o->kind != STF_OBJ_HEAP || !o->dyn_id || o->container ||
	    (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN | STF_OBJF_STREAM | STF_OBJF_CONTAINER)))
		return 0;
	return !(o->flags & STF_OBJF_EXTERNAL) || carried_library_block(p, o);
}

struct reach {
	const struct stf_peer *p;
	uint8_t *unreached;   /* per object: a candidate not reached yet */
	size_t *work, nwork;
	uint64_t lo, hi;      /* the candidates span [lo, hi) */
};

/* A root word outside the catalog (environ, an epoll registration's
 * data), looked up alone: one past a heap block's end is never the next
 * block's start (each block's descriptor lies between them), so a word
 * there finds no block containing it and STF_INDEX_END gives the block
 * it ends (resolve() does the same for the gathered words). */
static void reach_word(void *ctx, uint64_t v)
{
	struct reach *r = ctx;
	if (v - r->lo > r->hi - r->lo) /* v == hi: one past the last's end */
		return;
	const struct stf_range *t = stf__index_find(&r->p->index, v, STF_INDEX_END);
	if (t && r->unreached[t->value]) {
		r->unreached[t->value] = 0;
		r->work[r->nwork++] = t->value;
	}
}

/* The words in the candidates' span of the objects scanned: keys[k] is
 * word k less the span's start (id: fewer bits to sort) and its place
 * (idx: k itself before the sort), first[i] the first of object i's
 * (nobjs + 1 entries), target[k] 1 + the object word k reaches, 0: none. */
struct words {
	struct stf_key *keys;
	size_t n, cap;
	size_t *first;
	uint32_t *target;
};

/* The bytes of object i to scan (NULL: none): read here when the
 * catalog's fetch left them out (an object the forward transfer reads
 * itself), into *buf. */
static const uint8_t *scanned_bytes(const struct reach *r, size_t i, uint8_t **buf, size_t *cap,
				    int *oom)
{
	const struct stf_obj *o = &r->p->objs[i];
	if (!(ROOT_KINDS & (1u << o->kind)) || stf__untyped_sub(o) || !o->size)
		return NULL;
	if (o->bytes)
		return o->bytes;
	if (*cap < o->size) {
		stf__raw_free(*buf);
		*buf = stf__raw_malloc(o->size);
		*cap = *buf ? o->size : 0;
		if (!*buf) {
			*oom = 1;
			return NULL;
		}
	}
	if (stf__peer_read(r->p, o->addr, *buf, o->size) < 0)
		return NULL; /* not readable: holds nothing of the program */
	return *buf;
}

/* Words of object i in the span [lo, hi] (one past the last's end too):
 * counted (keys NULL: those of an object read here counted all, an upper
 * bound that reads it once), else gathered. */
static size_t span_words(const struct reach *r, struct words *w, size_t i, uint8_t **buf,
			 size_t *cap, int *oom)
{
	const struct stf_obj *o = &r->p->objs[i];
	size_t n = 0;
	uint64_t first = (8 - (o->addr & 7)) & 7;
	if (!w->keys && !o->bytes)
		return (ROOT_KINDS & (1u << o->kind)) && !stf__untyped_sub(o) && o->size >= first + 8 ?
		       (o->size - first) / 8 : 0;
	const uint8_t *bytes = scanned_bytes(r, i, buf, cap, oom);
	if (!bytes)
		return 0;
	for (uint64_t off = first; off + 8 <= o->size; off += 8) {
		uint64_t v;
		memcpy(&v, bytes + off, 8);
		if (v - r->lo > r->hi - r->lo)
			continue;
		if (w->keys && w->n < w->cap) {
			w->keys[w->n] = (struct stf_key){ v - r->lo, w->n };
			w->n++;
		}
		n++;
	}
	return n;
}

/* Gather the words of every object scanned, counted first so that their
 * array is allocated at once (bulk.c: huge pages, populated; grown by
 * doubling, a pass took 12,000 page faults and three times its CPU). */
static int gather(const struct reach *r, struct words *w)
{
	const struct stf_peer *p = r->p;
	uint8_t *buf = NULL;
	size_t cap = 0, bound = 0;
	int oom = 0;
	for (size_t i = 0; i < p->nobjs && !oom; i++)
		bound += span_words(r, w, i, &buf, &cap, &oom);
	w->keys = oom ? NULL : stf__bulk_alloc((bound + 1) * sizeof(*w->keys));
	w->cap = bound;
	for (size_t i = 0; i < p->nobjs && w->keys && !oom; i++) {
		w->first[i] = w->n;
		span_words(r, w, i, &buf, &cap, &oom);
	}
	w->first[p->nobjs] = w->n;
	stf__raw_free(buf);
	return w->keys && !oom ? 0 : -1;
}

/* Each gathered word's target, as stf__index_find (STF_INDEX_END) finds
 * it: the last range starting at or below the word, if the word is in it
 * or at its end.  The words sorted, one merge over the sorted ranges. */
static int resolve(const struct stf_index *ix, uint64_t lo, struct words *w)
{
	w->target = stf__bulk_alloc((w->n + 1) * sizeof(*w->target));
	if (!w->target || stf__sort_keys(w->keys, w->n) < 0)
		return -1;
	size_t j = 0;
	for (size_t k = 0; k < w->n; k++) {
		uint64_t v = w->keys[k].id + lo;
		const struct stf_range *t;
		if (ix->sorted) {
			while (j < ix->n && ix->ranges[j].start <= v)
				j++;
			t = j && v - ix->ranges[j - 1].start <= ix->ranges[j - 1].size ?
			    &ix->ranges[j - 1] : NULL;
		} else {
			t = stf__index_find(ix, v, STF_INDEX_END);
		}
		w->target[w->keys[k].idx] = t ? (uint32_t)t->value + 1 : 0;
	}
	return 0;
}

/* The candidates the words of object i reach. */
static void follow(struct reach *r, const struct words *w, size_t i)
{
	for (size_t k = w->first[i]; k < w->first[i + 1]; k++) {
		uint32_t t = w->target[k];
		if (t && r->unreached[t - 1]) {
			r->unreached[t - 1] = 0;
			r->work[r->nwork++] = t - 1;
		}
	}
}

long stf__peer_unreached(struct stf_peer *p, int with_epoll, uint8_t *unreached)
{
	struct reach r = { p, unreached, NULL, 0, UINT64_MAX, 0 };
	long n = 0;

	memset(unreached, 0, p->nobjs);
	/* which objects are candidates, looked up once */
	uint8_t *cand = stf__raw_malloc(p->nobjs + 1);
	if (!cand)
		return -1;
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (!(cand[i] = (uint8_t)candidate(p, o)))
			continue;
		unreached[i] = 1;
		n++;
		if (o->addr < r.lo)
			r.lo = o->addr;
		if (o->addr + o->size > r.hi)
			r.hi = o->addr + o->size;
	}
	struct words w = { 0 };
	long rc = 0;
	if (!n)
		goto out;
	rc = -1;
	r.work = stf__raw_malloc(n * sizeof(*r.work));
	w.first = stf__bulk_alloc((p->nobjs + 1) * sizeof(*w.first));
	if (!r.work || !w.first || p->nobjs >= UINT32_MAX)
		goto out;
	if (gather(&r, &w) < 0 || resolve(&p->index, r.lo, &w) < 0)
		goto out;
	uint64_t env = stf__peer_environ(p);
	if (env)
		reach_word(&r, env);
	if (with_epoll)
		stf__epoll_data_each(reach_word, &r);
	for (size_t i = 0; i < p->nobjs; i++)
		if (!cand[i])
			follow(&r, &w, i);
	while (r.nwork)
		follow(&r, &w, r.work[--r.nwork]);
	for (size_t i = 0; i < p->nobjs; i++)
		n -= !unreached[i] && cand[i];
	rc = n;
out:
	stf__raw_free(cand);
	stf__raw_free(r.work);
	stf__bulk_free(w.keys);
	stf__bulk_free(w.first);
	stf__bulk_free(w.target);
	return rc;
}
