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
 * they came back and not asked for if not.  R asks only about the blocks
 * that did not come back (stf__peer_unreached_among), usually none:
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
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "epoll.h"
#include "remote.h"

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

/* Each object's state during the walk (the array the caller passed, in
 * place): a candidate goes from UNREACHED to REACHED to SCANNED, each
 * step taken by one thread (an atomic exchange); what is left UNREACHED
 * at the end is the answer.  Other objects are roots, scanned by the
 * part whose sweep meets them. */
enum { ROOT = 0, UNREACHED = 1, REACHED = 2, SCANNED = 3 };

#define WALK_PARTS_MAX 16

struct walk;

/* One part of the walk (parallel.c): a sweep of the objects [swept, end)
 * in the catalog's order (its objects', their bytes' and mostly their
 * pointers' order: memory read one after the other), scanning the roots
 * and the candidates found reached there; a candidate this part reaches
 * elsewhere goes to its work, scanned after the sweep by whichever part
 * takes it first. */
struct walk_part {
	struct walk *w;
	size_t *work, nwork;
	size_t swept, end;
	const struct stf_range *near; /* the last block found */
	uint8_t *buf;                 /* bytes read here (scan) */
	size_t cap;
	int failed;
};

/* The work parts hand over: a part whose own is done waits (hungry) for
 * what a busy part gives (half of its own) or for no part to be busy
 * any more.  From the dictionary a static points to, one part reached
 * every block of a Redis-shaped heap while the other, its sweep done,
 * had nothing to do (617 of 618 ms on one core at 10^6 objects). */
struct shared_work {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	size_t *items, n;
	unsigned busy, hungry;
};

#define SHARE_MIN 64 /* a part gives work away when it has this much */

struct walk {
	struct stf_peer *p;
	uint8_t *state;
	uint64_t lo, hi; /* the candidates span [lo, hi) */
	size_t ncandidates;
	struct shared_work shared;
	struct walk_part part[WALK_PARTS_MAX];
};

/* One lookup a word: one past a heap block's end is never the next
 * block's start (each block's descriptor lies between them), so a word
 * there finds no block containing it and STF_INDEX_END gives the block
 * it ends.  Blocks allocated one after the other point to each other,
 * and are swept in that order: the lookup tries the block after the
 * last one found before the index's tables (cache misses). */
static void reach_word(void *ctx, uint64_t v)
{
	struct walk_part *pt = ctx;
	struct walk *w = pt->w;
	if (v - w->lo > w->hi - w->lo) /* v == hi: one past the last's end */
		return;
	const struct stf_range *t = stf__index_find_near(&w->p->index, v, STF_INDEX_END,
							 &pt->near);
	if (!t || __atomic_load_n(&w->state[t->value], __ATOMIC_RELAXED) != UNREACHED)
		return;
	uint8_t was = UNREACHED;
	if (!__atomic_compare_exchange_n(&w->state[t->value], &was, REACHED, 0,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	if (t->value < pt->swept || t->value >= pt->end) /* not swept by this part */
		pt->work[pt->nwork++] = t->value;
}

/* fn(ctx, word) for each aligned word of object i of p; its bytes are
 * read into *buf when the catalog's fetch left them out (an object the
 * forward transfer reads itself).  0, or -1 without memory. */
static int scan_words(const struct stf_peer *p, size_t i, uint8_t **buf, size_t *cap,
		      void (*fn)(void *ctx, uint64_t v), void *ctx)
{
	const struct stf_obj *o = &p->objs[i];
	const uint8_t *bytes = o->bytes;
	if (!(ROOT_KINDS & (1u << o->kind)) || stf__untyped_sub(o) || !o->size)
		return 0;
	if (!bytes) {
		if (*cap < o->size) {
			stf__raw_free(*buf);
			*buf = stf__raw_malloc(o->size);
			*cap = *buf ? o->size : 0;
			if (!*buf)
				return -1;
		}
		if (stf__peer_read(p, o->addr, *buf, o->size) < 0)
			return 0; /* not readable: holds nothing of the program */
		bytes = *buf;
	}
	for (uint64_t off = (8 - (o->addr & 7)) & 7; off + 8 <= o->size; off += 8) {
		uint64_t v;
		memcpy(&v, bytes + off, 8);
		fn(ctx, v);
	}
	return 0;
}

static int scan(struct walk_part *pt, size_t i)
{
	return scan_words(pt->w->p, i, &pt->buf, &pt->cap, reach_word, pt);
}

/* Take a reached candidate (or a root) and scan it, once. */
static int take(struct walk_part *pt, size_t i)
{
	uint8_t *st = &pt->w->state[i];
	if (__atomic_load_n(st, __ATOMIC_RELAXED) == ROOT)
		return scan(pt, i);
	uint8_t was = REACHED;
	if (!__atomic_compare_exchange_n(st, &was, SCANNED, 0, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		return 0;
	return scan(pt, i);
}

/* Half of pt's work to the parts waiting for some: the oldest, nearest
 * the roots, most likely to reach much. */
static void give_work(struct walk_part *pt)
{
	struct shared_work *sh = &pt->w->shared;
	size_t half = pt->nwork / 2;
	pthread_mutex_lock(&sh->lock);
	memcpy(sh->items + sh->n, pt->work, half * sizeof(*pt->work));
	sh->n += half;
	pthread_cond_broadcast(&sh->changed);
	pthread_mutex_unlock(&sh->lock);
	memmove(pt->work, pt->work + half, (pt->nwork - half) * sizeof(*pt->work));
	pt->nwork -= half;
}

/* pt's own work is done: 1 with some given by another part, 0 when no
 * part is busy any more (none can give any).  Part 0 is busy from the
 * start (the calling thread runs it first, parallel.c): a part whose
 * thread ran before it did would otherwise end at once (at load 23 the
 * other part's sweep was over before part 0's began, and part 0 then
 * walked a Redis-shaped heap alone).  Another part whose thread did not
 * start yet is not busy: it sweeps after, alone, which is right. */
static int wait_for_work(struct walk_part *pt)
{
	struct shared_work *sh = &pt->w->shared;
	int got = 0;
	pthread_mutex_lock(&sh->lock);
	sh->busy--;
	for (;;) {
		if (sh->n) {
			size_t take = (sh->n + 1) / 2;
			sh->n -= take;
			memcpy(pt->work, sh->items + sh->n, take * sizeof(*pt->work));
			pt->nwork = take;
			sh->busy++;
			got = 1;
			break;
		}
		if (!sh->busy)
			break;
		__atomic_add_fetch(&sh->hungry, 1, __ATOMIC_RELAXED);
		pthread_cond_wait(&sh->changed, &sh->lock);
		__atomic_sub_fetch(&sh->hungry, 1, __ATOMIC_RELAXED);
	}
	if (!got)
		pthread_cond_broadcast(&sh->changed); /* the others end too */
	pthread_mutex_unlock(&sh->lock);
	return got;
}

static void walk_part(void *ctx, unsigned k, size_t lo, size_t hi)
{
	struct walk *w = ctx;
	struct shared_work *sh = &w->shared;
	struct walk_part *pt = &w->part[k];
	if (k) {
		pthread_mutex_lock(&sh->lock);
		sh->busy++;
		pthread_mutex_unlock(&sh->lock);
	}
	pt->work = stf__raw_malloc(w->ncandidates * sizeof(*pt->work));
	pt->failed = !pt->work;
	pt->end = hi;
	for (size_t i = lo; i < hi && !pt->failed; i++) {
		uint8_t st = __atomic_load_n(&w->state[i], __ATOMIC_RELAXED);
		pt->swept = i + 1;
		if (st == ROOT || st == REACHED)
			pt->failed = take(pt, i) < 0;
	}
	pt->swept = pt->end = 0; /* from now on everything goes to work */
	do {
		while (pt->nwork && !pt->failed) {
			pt->failed = take(pt, pt->work[--pt->nwork]) < 0;
			if (pt->nwork >= SHARE_MIN && __atomic_load_n(&sh->hungry, __ATOMIC_RELAXED))
				give_work(pt);
		}
	} while (!pt->failed && wait_for_work(pt));
	if (pt->failed) {
		pthread_mutex_lock(&sh->lock);
		sh->busy--;
		pthread_cond_broadcast(&sh->changed);
		pthread_mutex_unlock(&sh->lock);
	}
}

/* The roots outside the catalog (environ, epoll registrations): what
 * they reach is left REACHED for the sweeps. */
static void reach_outside(struct walk *w, int with_epoll)
{
	struct walk_part *pt = &w->part[0];
	pt->swept = 0;
	pt->end = SIZE_MAX;
	uint64_t env = stf__peer_environ(w->p);
	if (env)
		reach_word(pt, env);
	if (with_epoll)
		stf__epoll_data_each(reach_word, pt);
	pt->near = NULL;
}

long stf__peer_unreached(struct stf_peer *p, int with_epoll, uint8_t *unreached)
{
	struct walk *w = stf__raw_malloc(sizeof(*w));
	long n = 0;

	if (!w)
		return -1;
	memset(w, 0, sizeof(*w));
	w->p = p;
	w->state = unreached;
	w->lo = UINT64_MAX;
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		unreached[i] = candidate(p, o) ? UNREACHED : ROOT;
		if (unreached[i] == ROOT)
			continue;
		w->ncandidates++;
		if (o->addr < w->lo)
			w->lo = o->addr;
		if (o->addr + o->size > w->hi)
			w->hi = o->addr + o->size;
	}
	int failed = 0;
	unsigned parts = 0;
	if (w->ncandidates) {
		parts = stf__parallel_parts(p->nobjs, 65536);
		if (parts > WALK_PARTS_MAX)
			parts = WALK_PARTS_MAX;
		for (unsigned k = 0; k < parts; k++)
			w->part[k].w = w;
		struct shared_work *sh = &w->shared;
		if (parts > 1 && !(sh->items = stf__raw_malloc(w->ncandidates * sizeof(*sh->items))))
			parts = 1; /* nothing to share then */
		pthread_mutex_init(&sh->lock, NULL);
		pthread_cond_init(&sh->changed, NULL);
		sh->busy = 1; /* part 0 (wait_for_work) */
		reach_outside(w, with_epoll);
		stf__parallel(p->nobjs, parts, walk_part, w);
		for (unsigned k = 0; k < parts; k++) {
			failed |= w->part[k].failed;
			stf__raw_free(w->part[k].work);
			stf__raw_free(w->part[k].buf);
		}
		pthread_cond_destroy(&sh->changed);
		pthread_mutex_destroy(&sh->lock);
		stf__raw_free(sh->items);
	}
	for (size_t i = 0; i < p->nobjs; i++) {
		unreached[i] = unreached[i] == UNREACHED;
		n += unreached[i];
	}
	stf__raw_free(w);
	char what[64];
	snprintf(what, sizeof(what), "unreached blocks, %u part%s", parts, parts == 1 ? "" : "s");
	stf__profile_mark(what);
	return failed ? -1 : n;
}

/* The blocks among[] marks (i: among[i]) and the span of their
 * addresses; entered once a word of another object, or the peer's
 * environ, points into one of them, or one past its end. */
struct among {
	const struct stf_peer *p;
	const uint8_t *among;
	uint64_t lo, hi;
	int entered;
};

static void enter_word(void *ctx, uint64_t v)
{
	struct among *a = ctx;
	if (v - a->lo > a->hi - a->lo || a->entered)
		return;
	const struct stf_range *t = stf__index_find(&a->p->index, v, STF_INDEX_END);
	a->entered = t && a->among[t->value];
}

long stf__peer_unreached_among(struct stf_peer *p, const uint8_t *among, uint8_t *unreached)
{
	struct among a = { p, among, UINT64_MAX, 0, 0 };
	uint8_t *buf = NULL;
	size_t cap = 0;
	long n = 0;

	/* Only a candidate can be unreached; a path from the roots to one
	 * of them enters them from another object (or environ): when no
	 * word does, none of them is reached, without the walk. */
	memset(unreached, 0, p->nobjs);
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (!among[i] || !candidate(p, o))
			continue;
		unreached[i] = 1;
		n++;
		if (o->addr < a.lo)
			a.lo = o->addr;
		if (o->addr + o->size > a.hi)
			a.hi = o->addr + o->size;
	}
	if (!n)
		return 0;
	uint64_t env = stf__peer_environ(p);
	if (env)
		enter_word(&a, env);
	for (size_t i = 0; i < p->nobjs && !a.entered; i++)
		if (!among[i] && scan_words(p, i, &buf, &cap, enter_word, &a) < 0) {
			stf__raw_free(buf);
			return -1;
		}
	stf__raw_free(buf);
	if (!a.entered) {
		stf__profile_mark("unreached blocks, none entered");
		return n;
	}
	uint8_t *all = stf__raw_malloc(p->nobjs + 1);
	if (!all || stf__peer_unreached(p, 0, all) < 0) {
		stf__raw_free(all);
		return -1;
	}
	n = 0;
	for (size_t i = 0; i < p->nobjs; i++) {
		unreached[i] = among[i] && all[i];
		n += unreached[i];
	}
	stf__raw_free(all);
	return n;
}
