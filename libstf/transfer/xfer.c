/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xfer.c - the state transfer engine (see xfer.h and DESIGN.md, "State
 * transfer rules").
 *
 * One engine serves both directions: a source peer (P forward, F itself
 * backward) is cataloged and its bytes fetched in bulk; its objects are
 * paired with the destination's by state ID (statics and update-point
 * locals by ID, dynamic objects by site ID and dynamic ID, reallocated with
 * the destination's type of that site); every value is then transformed
 * from the source type to the destination type into a destination image
 * (the object itself when the destination is this process, a staging
 * buffer written with process_vm_writev otherwise).  Values of unchanged
 * types (equal structural hash) are copied with memcpy and their pointers
 * fixed up from a per-type pointer list; changed types are walked member
 * by member.
 *
 * This file owns a transfer's state (struct stf_xfer in engine.h) and
 * the steps both directions share: setting up and tearing
 * down a transfer, transferring one object, initializing new objects,
 * transforming everything scheduled, and the services callbacks use.  The
 * phases have files of their own: pairing.c (pairing and scheduling),
 * forward.c, backward.c, reversed.c (R's side), transform.c (types),
 * relocate.c (pointers), untyped.c, mappings.c, streams.c, wire.c; the
 * problems a transfer reports and the path naming them, problems.c; type
 * names and the destination's type of a name, type-names.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kcmp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "callbacks.h"
#include "epoll.h"
#include "fault.h"
#include "remote.h"
#include "slots.h"
#include "untyped.h"
#include "xfer.h"
#include "engine.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

static struct stf_parked_frame own_frame;
static int have_own_frame;

/* F's own dynamic objects from its startup, before the forward transfer
 * (value = dynamic ID): not state of the old version, so never sent back
 * (the old version has nothing to pair them with). */
struct stf_index stf__own_startup = STF_INDEX_INIT;

/* The mappings the forward transfer created (value = the old version's
 * size): a mapping's size is whole pages of whole elements, which a type
 * change can round up; the backward transfer gives it its old size back
 * when the contents fit, so the round trip is exact. */
struct stf_index stf__fwd_mappings = STF_INDEX_INIT;
/* ... and (value) the old version's address of each: where the backward
 * transfer re-creates it, also when it could not keep that address in
 * the new version (it grew into memory taken there). */
struct stf_index stf__fwd_mapping_from = STF_INDEX_INIT;

/* The elements static arrays gained in the forward transfer, left with
 * the new version's values (F's addresses): backward, they are state only
 * the new version has, dropped without a complaint. */
struct stf_index stf__fwd_new_elems = STF_INDEX_INIT;

void stf__xfer_set_frame(const struct stf_parked_frame *frame)
{
	if (frame) {
		own_frame = *frame;
		have_own_frame = 1;
	} else {
		have_own_frame = 0;
	}
}

const struct stf_parked_frame *stf__xfer_own_frame(void)
{
	return have_own_frame ? &own_frame : NULL;
}

double stf__now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void stf__profile_mark(const char *what)
{
	static int enabled = -1;
	static __thread double wall, cpu, cpu_all;
	static __thread long faults;
	static __thread uint64_t fresh;
	struct timespec ts;
	struct rusage ru;
	if (enabled < 0) {
		const char *e = getenv("STF_XFER_PROFILE");
		enabled = e && *e && strcmp(e, "0");
	}
	if (!enabled)
		return;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	double c = ts.tv_sec + ts.tv_nsec / 1e9, w = stf__now();
	/* the process's: with the threads of the loops cut in parts (the
	 * program's own threads are parked meanwhile) */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	double ca = ts.tv_sec + ts.tv_nsec / 1e9;
	getrusage(RUSAGE_THREAD, &ru);
	uint64_t f = stf__bulk_fresh();
	if (what && wall)
		fprintf(stderr, "libstf: profile %d: %-30s %9.3f ms wall %9.3f ms cpu "
			"(%9.3f ms all threads) %8ld page faults %7.1f MB fresh\n", (int)getpid(),
			what, (w - wall) * 1e3, (c - cpu) * 1e3, (ca - cpu_all) * 1e3,
			ru.ru_minflt - faults, (double)(f - fresh) / 1e6);
	wall = w;
	cpu = c;
	cpu_all = ca;
	faults = ru.ru_minflt;
	fresh = f;
}

uint64_t stf__lowest_mapped;

/* The lowest address a process can map; read once (every process of an
 * update runs on the same machine). */
uint64_t stf__lowest_mappable(void)
{
	uint64_t lowest = __atomic_load_n(&stf__lowest_mapped, __ATOMIC_RELAXED);
	if (!lowest) {
		/* read(), not stdio: no allocation in the middle of a transfer */
		char buf[32];
		uint64_t v = 65536; /* the kernel's default */
		int fd = open("/proc/sys/vm/mmap_min_addr", O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = 0;
			v = strtoull(buf, NULL, 10);
		}
		lowest = v > 4096 ? v : 4096;
		__atomic_store_n(&stf__lowest_mapped, lowest, __ATOMIC_RELAXED);
	}
	return lowest;
}

static int strict_mode;

void stf__xfer_set_strict(int strict)
{
	strict_mode = strict != 0;
}


int stf__dst_reserve(struct stf_xfer *x, size_t n)
{
	if (stf__peer_reserve(x->dst, n) < 0)
		return -1;
	if (n > x->img_cap) {
		uint8_t **img = stf__bulk_realloc(x->img, n * sizeof(*img));
		if (!img)
			return -1;
		memset(img + x->img_cap, 0, (n - x->img_cap) * sizeof(*img));
		x->img = img;
		x->img_cap = n;
	}
	return 0;
}

int64_t stf__dst_add(struct stf_xfer *x, const struct stf_obj *o)
{
	size_t j = stf__peer_add(x->dst, o);
	if (j == (size_t)-1)
		return -1;
	if (j >= x->img_cap) {
		size_t ncap = x->img_cap ? 2 * x->img_cap : 1024;
		while (ncap <= j)
			ncap *= 2;
		uint8_t **n = stf__bulk_realloc(x->img, ncap * sizeof(*n));
		if (!n)
			return -1;
		memset(n + x->img_cap, 0, (ncap - x->img_cap) * sizeof(*n));
		x->img = n;
		x->img_cap = ncap;
	}
	return (int64_t)j;
}

/* stf__check_raw_tail.  In a part of the parallel transform, a tail
 * holding no word that points into the source (its lookups only read
 * the source's tables) is checked there: Redis's embedded strings, an
 * object and its string's characters in one block, are a third of its
 * values, and the serial loop took every one of them; a tail that fails
 * goes to the serial loop, which names the word. */
int stf__check_tail(struct stf_xfer *x, const struct stf_obj *so, uint64_t from)
{
	if (x->in_part && from < so->size) {
		char what[256];
		uint64_t off, v;
		if (!stf__find_raw_pointer(x, so, from, so->size, &off, &v, what, sizeof(what)))
			return 0;
		return stf__part_defer(x);
	}
	return stf__check_raw_tail(x, so, from);
}

/* The bytes of a heap object after its last whole element (at from in
 * the source, dfrom in the destination): malloc(sizeof(T) + extra), or a
 * fixed-size buffer carved into a header and elements.  Copied as they
 * are if the element type is unchanged, or after one struct (its slack:
 * text the code finds at `log + 1`, right after the new struct; a last
 * member running on past the end is member-tail.c's); otherwise they
 * must be zero (a part of one more element). */
static int xfer_rest(struct stf_xfer *x, const struct stf_obj *so, uint32_t et, const uint8_t *s,
		     uint64_t from, const struct stf_obj *dobj, uint32_t det, uint8_t *d,
		     uint64_t dfrom)
{
	uint64_t rem = so->size > from ? so->size - from : 0;
	if (!rem)
		return 0;
	int slack = from == T(so->unit, et)->size && T(so->unit, et)->kind == STF_K_STRUCT;
	if (dfrom + rem <= dobj->size &&
	    (slack || (T(so->unit, et)->size == T(dobj->unit, det)->size &&
		       T(so->unit, et)->hash == T(dobj->unit, det)->hash))) {
		if (stf__check_tail(x, so, from) < 0)
			return -1;
		memcpy(d + dfrom, s + from, rem);
		return 0;
	}
	if (stf__all_zero(s + from, rem))
		return 0;
	char tn[256];
	stf__xfail(x, "%s: %" PRIu64 " bytes after its last whole %s (%" PRIu64 " bytes) "
	      "cannot follow the type change; register a callback", stf__cur_path(x), rem,
	      stf__type_str(so->unit, et, tn, sizeof(tn)), T(so->unit, et)->size);
	return -1;
}

int stf__xfer_object(struct stf_xfer *x, size_t i, int64_t j)
{
	struct stf_obj *so = &x->src->objs[i], trimmed;
	const struct stf_obj *dobj = &x->dst->objs[j];
	const uint8_t *s = so->bytes;
	uint8_t *d = x->img[j];
	int r = 1;

	stf__path_cut(x, 0);
	x->obj = so;
	x->elem = UINT64_MAX;
	x->keep_orig = NULL;
	if (stf__keep_changed_initial(x, so, s, dobj, d))
		return 0;
	if (!s) {
		if (stf__direct_copy(x, i, j))
			return 0;
		if (!(s = stf__fetch_deferred(x, so)))
			return -1;
	}
	if ((so->kind == STF_OBJ_STATIC || so->kind == STF_OBJ_LOCAL) && dobj->size) {
		uint8_t *orig = stf__arena_alloc(x->arena, dobj->size);
		if (orig && (x->dst->self ? (memcpy(orig, d, dobj->size), 0) :
			     stf__peer_read(x->dst, dobj->addr, orig, dobj->size)) == 0) {
			x->keep_orig = orig;
			x->keep_base = d;
			x->keep_len = dobj->size;
		}
	}
	/* a sub-object shrinks back into bytes that were unused (zero) before
	 * the forward transfer grew it (stf__place_subs) */
	if (so->container && !x->pair[i].moved && so->size > dobj->size)
		memset(d + dobj->size, 0, so->size - dobj->size);
	/* Forward, a static of a changed type keeps what the new version
	 * gives it (its initializer, what its startup computed) where the old
	 * version has no value: members it added, elements its array gained.
	 * Elsewhere (heap objects have no value of their own in the new
	 * version; backward, R must receive every byte) added members and
	 * grown arrays start zero; a value of an unchanged type is copied
	 * whole. */
	int keep_new = x->dir == STF_FORWARD && x->dst->self && so->kind == STF_OBJ_STATIC &&
		       !x->pair[i].same;
	x->keep_new = keep_new;
	if (keep_new && !stf__all_zero(d, dobj->size))
		x->rep->new_values++;
	else if (!x->pair[i].same || so->size != dobj->size || !stf__is_dynamic(so))
		memset(d, 0, dobj->size);
	if (x->cb_object && (so->kind == STF_OBJ_STATIC || so->kind == STF_OBJ_LOCAL)) {
		struct stf_cb cb;
		const char *vid = x->dir == STF_FORWARD ? dobj->id : so->id;
		if (!stf__cb_find_object(vid, x->dir, &cb))
			r = stf__run_value_cb(x, &cb, so->unit, so->type, s, so->size,
					 dobj->unit, dobj->type, d, dobj->size);
		if (r <= 0)
			return r;
	}
	if (x->pair[i].placed && !so->unit)
		return stf__xfer_placed(x, i, s, d);
	if (!so->unit || !dobj->unit || (so->flags & STF_OBJF_IXFER)) {
		if (!(so->flags & STF_OBJF_IXFER) && stf__check_raw(x, so) < 0)
			return -1;
		memcpy(d, s, so->size < dobj->size ? so->size : dobj->size);
		return 0;
	}
	/* a block of bytes holding addresses (pinned) */
	if (x->pair[i].bytes_words && so->size == dobj->size)
		return stf__xfer_bytes(x, i, s, d);
	if (so->flags & STF_OBJF_PXFER) {
		if (so->size != 8 || dobj->size != 8) {
			stf__xfail(x, "%s: STF_PXFER object is not pointer-sized", stf__cur_path(x));
			return -1;
		}
		return stf__reloc_into(x, s, d, NULL);
	}
	uint32_t st = strip(so->unit, so->type), dt = strip(dobj->unit, dobj->type);
	uint64_t esz = T(so->unit, st)->size, desz = T(dobj->unit, dt)->size;
	uint32_t se, de;
	uint64_t soff, doff;
	if (so->kind == STF_OBJ_STATIC || so->kind == STF_OBJ_LOCAL || !esz)
		return stf__xform(x, so->unit, so->type, s, dobj->unit, dobj->type, d, 0);
	if (stf__flex_tail(so->unit, st, &se, &soff) && stf__flex_tail(dobj->unit, dt, &de, &doff)) {
		if (x->pair[i].carved)
			return stf__xfer_carved(x, i, s, d);
		if (stf__xform(x, so->unit, st, s, dobj->unit, dt, d, 0) < 0)
			return -1;
		uint64_t sesz = T(so->unit, se)->size, desz2 = T(dobj->unit, de)->size;
		uint64_t n = sesz && so->size > soff ? (so->size - soff) / sesz : 0;
		uint32_t flex_member = T(so->unit, st)->members + T(so->unit, st)->nmembers - 1;
		size_t mark = stf__path_member(x, stf_meta_str(so->unit,
					so->unit->members[flex_member].name));
		uint64_t k = 0;
		const struct stf_layout *el = stf__layout(x->layouts, so->unit, se);
		if (el && !el->nptrs && !x->cb_type && !x->cb_member && sesz && sesz == desz2 &&
		    T(so->unit, se)->hash == T(dobj->unit, de)->hash &&
		    T(so->unit, se)->kind == T(dobj->unit, de)->kind) {
			/* elements of an unchanged type without pointers (a
			 * string's characters): the bytes of those that fit */
			uint64_t fit = dobj->size > doff ? (dobj->size - doff) / desz2 : 0;
			k = n < fit ? n : fit;
			memcpy(d + doff, s + soff, k * sesz);
		}
		for (; k < n && doff + (k + 1) * desz2 <= dobj->size; k++) {
			size_t m2 = stf__path_index(x, k);
			int rr = stf__xform(x, so->unit, se, s + soff + k * sesz, dobj->unit, de,
				       d + doff + k * desz2, 1);
			stf__path_cut(x, m2);
			if (rr < 0)
				return -1;
		}
		stf__path_cut(x, mark);
		return xfer_rest(x, so, se, s, soff + n * sesz, dobj, de, d, doff + n * desz2);
	}
	/* a shorter struct of the block's size sharing the first members is
	 * what it was allocated as, before a last member running short */
	if (stf__is_dynamic(so) && so->size < esz && (r = stf__xfer_variant(x, so, s, dobj, d)) <= 0)
		return r;
	uint64_t toff, tsize;
	int tail = stf__tail_object(so, &toff, &tsize) && stf__tail_member(dobj->unit, dt, &toff, &tsize);
	uint64_t count = so->size / esz;
	if (so->kind == STF_OBJ_MMAP && desz && count * desz > dobj->size) {
		/* a mapping given back its old, smaller size (stf__fwd_mappings):
		 * the elements that do not fit were checked to be zero */
		count = dobj->size / desz;
		if (!stf__all_zero(s + count * esz, so->size - count * esz)) {
			stf__xfail(x, "%s: the elements from %" PRIu64 " on do not fit in the "
			      "destination's mapping of %" PRIu64 " bytes", stf__cur_path(x), count,
			      dobj->size);
			return -1;
		}
		trimmed = *so;
		trimmed.size = count * esz;
		so = &trimmed;
	}
	if (x->pair[i].same && !x->cb_type && !x->cb_member && so->size == dobj->size) {
		/* unchanged type: one copy, then the pointers of each element */
		const struct stf_layout *l = stf__layout(x->layouts, so->unit, st);
		if (!l) {
			stf__xfail(x, "out of memory building the layout of a type");
			return -1;
		}
		if (!l->nptrs) {
			if (stf__check_tail(x, so, count * esz) < 0)
				return -1;
			memcpy(d, s, so->size);
			return 0;
		}
	}
	if (tail)
		return stf__xfer_member_tail(x, so, s, dobj, d);
	for (uint64_t k = 0; k < count; k++) {
		x->elem = count > 1 ? k : UINT64_MAX;
		if (stf__xform(x, so->unit, st, s + k * esz, dobj->unit, dt, d + k * desz, 0) < 0)
			return -1;
	}
	x->elem = UINT64_MAX;
	return xfer_rest(x, so, st, s, count * esz, dobj, dt, d, count * desz);
}

/* Destination statics nobody writes: new objects, initialized by callback. */
static int init_new_objects(struct stf_xfer *x)
{
	struct stf_peer *dst = x->dst;
	uint8_t *written = stf__raw_malloc(dst->nobjs + 1);
	if (!written) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	memset(written, 0, dst->nobjs + 1);
	for (size_t i = 0; i < x->src->nobjs; i++)
		if (x->pair[i].scheduled)
			written[x->pair[i].dst] = 1;
	for (size_t k = 0; k < dst->nobjs && !x->failed; k++) {
		const struct stf_obj *d = &dst->objs[k];
		struct stf_cb cb;
		if (written[k] || d->kind != STF_OBJ_STATIC)
			continue;
		x->rep->added++;
		/* the new version's own value (initializer, startup) stays */
		if (x->dir == STF_FORWARD && dst->self && d->size &&
		    !stf__all_zero((const uint8_t *)(uintptr_t)d->addr, d->size))
			x->rep->new_values++;
		if (stf__cb_find_new_object(d->id, x->dir, &cb) < 0)
			continue;
		if (!x->img[k]) {
			x->img[k] = dst->self ? (uint8_t *)(uintptr_t)d->addr :
				    stf__arena_alloc(x->arena, d->size ? d->size : 1);
			if (!x->img[k]) {
				stf__xfail(x, "out of memory");
				break;
			}
			if (!dst->self && stf__peer_read(dst, d->addr, x->img[k], d->size) < 0) {
				stf__xfail(x, "cannot read %s in the destination", d->id);
				break;
			}
		}
		char tn[256];
		struct stf_value v = { d->id, stf__type_str(d->unit, d->type, tn, sizeof(tn)),
				       x->img[k], d->size };
		stf__path_cut(x, 0);
		x->obj = NULL;
		x->obj_label = d->id;
		if (cb.fn.init(x, &v, cb.arg) == STF_CB_ERROR)
			stf__xfail(x, "%s: new-object callback failed", d->id);
	}
	stf__raw_free(written);
	return x->failed ? -1 : 0;
}

/* Value faults: the first non-zero byte of a transferred value, or the
 * fault_point-th (modulo their number). */
static void inject_value_fault(struct stf_xfer *x)
{
	uint64_t seen = 0;

again:
	for (size_t i = 0; i < x->src->nobjs; i++) {
		if (!x->pair[i].scheduled)
			continue;
		int64_t j = x->pair[i].dst;
		const struct stf_obj *d = &x->dst->objs[j];
		const struct stf_layout *l = d->unit ? stf__layout(x->layouts, d->unit, d->type) : NULL;
		uint8_t *img = x->img[j];
		for (uint64_t off = 0; off < d->size; off++) {
			const struct stf_leaf *leaf = NULL;
			if (!img[off])
				continue;
			if (l && l->size) {
				uint64_t r = off % l->size;
				for (size_t k = 0; k < l->n; k++)
					if (l->leaves[k].off <= r && r < l->leaves[k].off + l->leaves[k].size) {
						leaf = &l->leaves[k];
						break;
					}
				if (!leaf || leaf->kind != STF_LEAF_BYTES)
					continue;
			}
			if (seen++ < x->fault_point)
				continue;
			char path[512] = "";
			uint32_t lt;
			snprintf(path, sizeof(path), "%s", d->id);
			if (d->unit)
				stf__type_path(d->unit, d->type, l && l->size ? off % l->size : off,
					       path, sizeof(path), &lt);
			if (x->fault == STF_FAULT_CORRUPT_VALUE) {
				img[off] ^= 1;
				fprintf(stderr, "libstf: STF_FAULT: corrupted %s\n", path);
			} else {
				uint64_t a = off, b = off + 1;
				if (leaf) {
					uint64_t base = off - off % l->size;
					a = base + leaf->off;
					b = a + leaf->size;
				}
				memset(img + a, 0, b - a);
				fprintf(stderr, "libstf: STF_FAULT: skipped the write of %s\n", path);
			}
			x->fault_done = 1;
			return;
		}
	}
	if (seen && x->fault_point >= seen) {
		x->fault_point %= seen;
		seen = 0;
		goto again;
	}
}

/*
 * The transform across the machine's cores.  The heap objects that need
 * nothing but their own bytes, the pairing and the types (most of a large
 * state) are cut into parts (parallel.c), each transformed by a thread
 * with its own copy of the transfer's state (path, counters, layouts, an
 * arena); the shared tables are only read.  What only the serial loop may
 * do (resolving a pairing lazily, looking a symbol up, trying a union's
 * members, checking raw tails...) defers the object to that loop, which
 * then runs over everything else in object order.  A part that meets a
 * problem makes the whole transform serial again, from the start, so that
 * the problems and their order are those of one thread.  Not with
 * callbacks, renames or fault injection, which rely on the serial order.
 */
#define PART_MIN 16384 /* cost of a part at least, in objects (parallel.c): threads cost */
/* the report's counters, which come first */
#define COUNTERS offsetof(struct stf_xfer_report, seconds_metadata)

struct part {
	struct stf_xfer x;
	struct stf_xfer_report rep;
	uint32_t *redo;       /* objects deferred to the serial loop, in order */
	size_t nredo, cap;
	size_t done;          /* objects transformed here */
	int oom;
};

struct parts {
	struct stf_xfer *x;
	struct part *part[PARTS_MAX];
	unsigned n;
};

/* Transformed by a part when the parts run: a typed heap object (kept
 * at its address for an untyped word or not; a slab page carved into
 * objects, flex-pages.c, or typed as bytes holding addresses, bytes.c),
 * or an untyped block kept at its address, its
 * words classified (untyped.c defers what only the serial loop may do: a
 * libevent-shaped heap's connections, pinned by the library's fd map,
 * and its buffers were 390 of 420 ms of serial transform at 10^6
 * objects; memcached's 1 MiB pages 167 of 251 ms). */
static int part_eligible(const struct stf_xfer *x, size_t i)
{
	const struct stf_obj *o = &x->src->objs[i];
	const struct pairing *p = &x->pair[i];
	const struct stf_obj *d = &x->dst->objs[p->dst];
	if (!stf__is_dynamic(o) || !o->bytes || o->container || p->moved ||
	    (x->resize && x->resize[i]) ||
	    (o->flags & (STF_OBJF_IXFER | STF_OBJF_PXFER | STF_OBJF_CONTAINER | STF_OBJF_STREAM)))
		return 0;
	return o->unit ? d->unit && !p->placed : p->placed;
}

static void part_run(void *ctx, unsigned k, size_t lo, size_t hi)
{
	struct parts *pt = ctx;
	struct part *p = pt->part[k];
	struct stf_xfer *x = &p->x;
	for (size_t i = lo; i < hi && !x->problems; i++) {
		stf__peer_prefetch_ahead(x->src, i, hi);
		if (!x->pair[i].scheduled || !part_eligible(x, i))
			continue;
		uint8_t before[COUNTERS];
		memcpy(before, &p->rep, COUNTERS);
		x->failed = 0;
		x->deferred = 0;
		int r = stf__xfer_object(x, i, x->pair[i].dst);
		if (x->deferred) {
			/* its counters are the serial loop's to count */
			memcpy(&p->rep, before, COUNTERS);
			x->problems = 0;
			if (p->nredo == p->cap) {
				size_t ncap = p->cap ? 2 * p->cap : 256;
				uint32_t *n = stf__raw_realloc(p->redo, ncap * sizeof(*n));
				if (!n) {
					p->oom = 1;
					return;
				}
				p->redo = n;
				p->cap = ncap;
			}
			p->redo[p->nredo++] = (uint32_t)i;
			continue;
		}
		if (r < 0 && !x->problems)
			x->problems = 1;
		if (r == 0) {
			p->rep.bytes += x->dst->objs[x->pair[i].dst].size;
			p->done++;
		}
	}
}

static void parts_free(struct parts *pt)
{
	for (unsigned k = 0; k < pt->n; k++) {
		stf__raw_free(pt->part[k]->redo);
		stf__arena_free(pt->part[k]->x.arena);
		stf__raw_free(pt->part[k]);
	}
	pt->n = 0;
}

/* The deferred objects of the next part from *k on that has some. */
static void next_redo(struct parts *pt, unsigned *k, const uint32_t **redo,
		      const uint32_t **end)
{
	while (*k < pt->n) {
		struct part *p = pt->part[(*k)++];
		if (p->nredo) {
			*redo = p->redo;
			*end = p->redo + p->nredo;
			return;
		}
	}
	*redo = *end = NULL;
}

/* Run the parts: 1 when they did their objects (the serial loop does the
 * others and the deferred ones), 0 when the transform is serial. */
static int transform_parts(struct stf_xfer *x, struct parts *pt)
{
	size_t n = x->src->nobjs;
	size_t bounds[PARTS_MAX + 1];
	unsigned nparts = stf__parallel_pieces(x->src->objs, n, PART_MIN, bounds);
	pt->x = x;
	pt->n = 0;
	if (nparts < 2 || x->cb_type || x->cb_member || x->cb_object || x->renames ||
	    x->fault || x->trial)
		return 0;
	(void)stf__lowest_mappable(); /* read before the threads */
	stf__end_words_sort();
	/* what pointers usually reach outside the heap (functions, literals,
	 * statics) is paired now: lazily, in a part, it defers the object */
	for (size_t i = 0; i < n; i++)
		if (!stf__is_dynamic(&x->src->objs[i]))
			stf__pair_by_id(x, i);
	for (unsigned k = 0; k < nparts; k++) {
		struct part *p = stf__raw_malloc(sizeof(*p));
		struct stf_arena *a = p ? stf__arena_new() : NULL;
		struct stf_layouts *l = a ? stf__layouts_new(a) : NULL;
		if (!l) {
			if (a)
				stf__arena_free(a);
			stf__raw_free(p);
			parts_free(pt);
			return 0;
		}
		memcpy(&p->x, x, sizeof(*x));
		memset(&p->rep, 0, sizeof(p->rep));
		p->x.rep = &p->rep;
		p->x.arena = a;
		p->x.layouts = l;
		p->x.member_maps = NULL;
		p->x.reloc_memo = NULL;
		p->x.last = NULL;
		p->x.plen = 0;
		p->x.problems = 0;
		p->x.in_part = 1;
		p->redo = NULL;
		p->nredo = p->cap = p->done = 0;
		p->oom = 0;
		pt->part[pt->n++] = p;
	}
	stf__parallel_cut(bounds, nparts, part_run, pt);
	for (unsigned k = 0; k < pt->n; k++)
		if (pt->part[k]->x.problems || pt->part[k]->oom) {
			parts_free(pt); /* problems: the serial loop reports them in order */
			stf__profile_mark("transform: parts met problems, serial");
			return 0;
		}
	size_t deferred = 0, done = 0;
	for (unsigned k = 0; k < pt->n; k++) {
		const struct stf_xfer_report *r = &pt->part[k]->rep;
		deferred += pt->part[k]->nredo;
		done += pt->part[k]->done;
		x->rep->bytes += r->bytes;
		x->rep->pointers += r->pointers;
		x->rep->type_transforms += r->type_transforms;
		x->rep->integers += r->integers;
		x->rep->nowhere += r->nowhere;
		x->rep->member_moved += r->member_moved;
		x->rep->bytes_words += r->bytes_words;
		x->rep->new_values += r->new_values;
	}
	char what[96];
	snprintf(what, sizeof(what), "transform: %u parts, %zu deferred, %zu in parts", pt->n,
		 deferred, done);
	stf__profile_mark(what);
	return 1;
}

int stf__transform_all(struct stf_xfer *x)
{
	if (x->fault == STF_FAULT_CRASH)
		stf__fault_crash();
	if (x->fault == STF_FAULT_HANG)
		stf__fault_hang();
	x->fault_alt = -1;
	if (x->fault == STF_FAULT_CORRUPT_POINTER) {
		/* the wrong target: the first transferred object, or one the
		 * point picks */
		size_t nsched = 0, pick;
		for (size_t i = 0; i < x->src->nobjs; i++)
			nsched += x->pair[i].scheduled != 0;
		pick = nsched ? (size_t)(x->fault_point * 2654435761u % nsched) : 0;
		for (size_t i = 0; i < x->src->nobjs && x->fault_alt < 0; i++)
			if (x->pair[i].scheduled && pick-- == 0)
				x->fault_alt = x->pair[i].dst;
	}
	/* every problem at once: an object that fails is left as it is (the
	 * update rolls back) and the next one is transferred, objects being
	 * independent of each other, until the list is full */
	struct parts pt;
	int parallel = transform_parts(x, &pt);
	const uint32_t *redo = NULL, *redo_end = NULL;
	unsigned redo_part = 0;
	next_redo(&pt, &redo_part, &redo, &redo_end);
	for (size_t i = 0; i < x->src->nobjs && x->problems < STF_PROBLEMS_MAX; i++) {
		if (!parallel) /* else most objects are the parts' */
			stf__peer_prefetch_ahead(x->src, i, x->src->nobjs);
		if (!x->pair[i].scheduled)
			continue;
		if (parallel && part_eligible(x, i)) {
			if (redo == redo_end || *redo != i)
				continue; /* done by a part */
			if (++redo == redo_end)
				next_redo(&pt, &redo_part, &redo, &redo_end);
		}
		x->failed = 0;
		if (stf__xfer_object(x, i, x->pair[i].dst) < 0) {
			if (!x->failed)
				stf__xfail(x, "%s: transfer failed", stf__cur_path(x));
			continue;
		}
		x->rep->bytes += x->dst->objs[x->pair[i].dst].size;
	}
	parts_free(&pt);
	stf__path_cut(x, 0);
	x->failed = x->problems != 0;
	if (x->failed)
		return -1;
	if (stf__flush_direct(x) < 0 || stf__fix_strides(x) < 0 ||
	    stf__fix_offsets(x) < 0 || stf__size_headers_follow(x) < 0 ||
	    stf__check_byte_reads(x) < 0)
		return -1;
	stf__slot_keep_caches(x);
	stf__slot_set_classes(x);
	if (x->fault == STF_FAULT_CORRUPT_VALUE || x->fault == STF_FAULT_SKIP_WRITE)
		inject_value_fault(x);
	if (x->fault && x->fault != STF_FAULT_LEAK && !x->fault_done)
		fprintf(stderr, "libstf: STF_FAULT: no eligible value at point %" PRIu64
			": no fault injected\n", x->fault_point);
	if (init_new_objects(x) < 0)
		return -1;
	if (stf__cb_run_done(x, x->dir) == STF_CB_ERROR) {
		stf__xfail(x, "post-transfer transformer failed");
		return -1;
	}
	return x->failed ? -1 : 0;
}

int stf__xfer_init(struct stf_xfer *x, enum stf_direction dir, struct stf_peer *src,
		     struct stf_peer *dst, struct stf_xfer_report *rep)
{
	memset(x, 0, sizeof(*x));
	x->dir = dir;
	x->src = src;
	x->dst = dst;
	x->rep = rep;
	x->conn = -1;
	x->elem = UINT64_MAX;
	x->arena = stf__arena_new();
	x->layouts = x->arena ? stf__layouts_new(x->arena) : NULL;
	x->cb_type = stf__cb_any_type();
	x->cb_member = stf__cb_any_member();
	x->cb_object = stf__cb_any_object();
	x->renames = stf__rename_any();
	x->strict = strict_mode && dir == STF_FORWARD;
	x->fault = stf__fault_for(dir);
	x->fault_point = x->fault ? stf__fault_point_for() : 0;
	if (!x->layouts) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	return 0;
}

void stf__xfer_fini(struct stf_xfer *x)
{
	stf__bulk_free(x->pair);
	stf__raw_free(x->unreached);
	stf__bulk_free(x->img);
	stf__raw_free(x->protect);
	stf__bulk_free(x->pins.slots);
	stf__strmap_free(&x->dst_ids);
	stf__arena_free(x->arena);
}

/* ------------------------------------------------------------------ */
/* Services for callbacks.                                             */

enum stf_direction stf__xfer_dir(const struct stf_xfer *x)
{
	return x->dir;
}

int stf__xfer_src_read(struct stf_xfer *x, uint64_t addr, void *buf, size_t len)
{
	return stf__peer_read(x->src, addr, buf, len);
}

uint64_t stf__xfer_dst_object(struct stf_xfer *x, const char *object_id)
{
	uint64_t j;
	if (stf__strmap_get(&x->dst_ids, object_id, &j) < 0)
		return 0;
	return x->dst->objs[j].addr;
}
