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
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kcmp.h>
#include <sys/mman.h>
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
#include "xfer.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

static struct stf_parked_frame own_frame;
static int have_own_frame;

/* F's own dynamic objects from its startup, before the forward transfer
 * (value = dynamic ID): not state of the old version, so never sent back
 * (the old version has nothing to pair them with). */
static struct stf_index own_startup = STF_INDEX_INIT;

/* The mappings the forward transfer created (value = the old version's
 * size): a mapping's size is whole pages of whole elements, which a type
 * change can round up; the backward transfer gives it its old size back
 * when the contents fit, so the round trip is exact. */
static struct stf_index fwd_mappings = STF_INDEX_INIT;

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

/* The lowest address a process can map; read once (every process of an
 * update runs on the same machine). */
static uint64_t lowest_mappable(void)
{
	static uint64_t lowest;
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
	}
	return lowest;
}

int stf__not_a_pointer(uint64_t v)
{
	return v < lowest_mappable() || v >= 0x0000800000000000ULL;
}

/* ------------------------------------------------------------------ */
/* The running transfer.                                               */

#define PAIR_UNRESOLVED (-2)
#define PAIR_NONE       (-1)

struct pairing {
	int64_t dst;       /* destination object, PAIR_* */
	uint64_t dst_addr; /* its address */
	uint8_t same;      /* same layout: offsets map to themselves */
	uint8_t scheduled; /* its value is transferred */
	uint8_t needed;    /* untyped external object reached by a pointer */
	uint8_t direct;    /* read straight into the destination (flush_direct) */
};

struct stf_xfer {
	enum stf_direction dir;
	struct stf_peer *src, *dst;
	struct stf_xfer_report *rep;
	struct stf_arena *arena;
	struct stf_layouts *layouts;
	struct pairing *pair;      /* per source object */
	uint8_t **img;             /* per destination object */
	size_t img_cap;
	struct stf_strmap dst_ids; /* ID -> destination object (statics, locals) */
	int conn;                  /* backward: the reversed version */
	/* path of the value being transferred, built only when needed:
	 * object, element of a dynamic array, member path */
	const struct stf_obj *obj;
	const char *obj_label;     /* when obj is NULL */
	uint64_t elem;             /* UINT64_MAX: none */
	char path[1024];           /* member path below the element */
	size_t plen;
	/* innermost leaf of a fast copy, for error paths */
	const struct stf_meta_unit *leaf_unit;
	uint32_t leaf_type;
	uint64_t leaf_off;
	int leaf_active;
	int failed;
	/* the destination object's bytes before the transfer: pointers into
	 * main's stack outside the command line and environment (which are
	 * relocated, see reloc_arg) keep the destination's own value */
	const uint8_t *keep_orig;
	const uint8_t *keep_base;
	uint64_t keep_len;
	int cb_type, cb_member, cb_object, renames;
	enum stf_fault fault;
	int fault_done;
	int64_t fault_alt;         /* wrong target for corrupt-pointer */
	uint64_t fault_point;      /* eligible values to pass before the fault */
	uint64_t fault_seen;       /* eligible pointers passed so far */
	const struct stf_range *last; /* last pointer target: lists and trees
	                                 point near each other */
	/* forward: mappings created writable, to get their protection once
	 * filled (start = address, value = PROT_*) */
	struct stf_range *protect;
	size_t nprotect;
};

void stf__xfer_failv(struct stf_xfer *x, const char *fmt, va_list ap)
{
	if (x->failed)
		return;
	x->failed = 1;
	vsnprintf(x->rep->error, sizeof(x->rep->error), fmt, ap);
}

static void xfail(struct stf_xfer *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void xfail(struct stf_xfer *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	stf__xfer_failv(x, fmt, ap);
	va_end(ap);
}

/* The path of the value being transferred ("kvd.c:table[3].key"). */
static const char *cur_path(struct stf_xfer *x)
{
	static __thread char buf[1400];
	uint32_t lt;
	size_t n;
	if (x->obj && x->obj->dyn_id)
		n = snprintf(buf, sizeof(buf), "%s@%" PRIu64, x->obj->id, x->obj->dyn_id);
	else
		n = snprintf(buf, sizeof(buf), "%s", x->obj ? x->obj->id :
			     x->obj_label ? x->obj_label : "");
	if (x->elem != UINT64_MAX && n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n, "[%" PRIu64 "]", x->elem);
	if (n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, "%s", x->path);
	if (x->leaf_active)
		stf__type_path(x->leaf_unit, x->leaf_type, x->leaf_off, buf, sizeof(buf), &lt);
	return buf;
}

static size_t path_push(struct stf_xfer *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static size_t path_push(struct stf_xfer *x, const char *fmt, ...)
{
	size_t mark = x->plen;
	va_list ap;
	if (x->plen < sizeof(x->path)) {
		va_start(ap, fmt);
		int n = vsnprintf(x->path + x->plen, sizeof(x->path) - x->plen, fmt, ap);
		va_end(ap);
		if (n > 0)
			x->plen += (size_t)n;
		if (x->plen >= sizeof(x->path))
			x->plen = sizeof(x->path) - 1;
	}
	return mark;
}

static void path_cut(struct stf_xfer *x, size_t mark)
{
	x->plen = mark;
	x->path[mark] = 0;
}

static const char *type_str(const struct stf_meta_unit *u, uint32_t t, char *buf, size_t len)
{
	if (!u || t >= u->ntypes)
		snprintf(buf, len, "(untyped)");
	else
		stf_meta_type_name(u, t, buf, len);
	return buf;
}

static inline uint32_t strip(const struct stf_meta_unit *u, uint32_t t)
{
	return stf_meta_strip_typedefs(u, t);
}

static inline const struct stf_type_rec *T(const struct stf_meta_unit *u, uint32_t t)
{
	return &u->types[t];
}

static int is_dynamic(const struct stf_obj *o);

static int64_t dst_add(struct stf_xfer *x, const struct stf_obj *o)
{
	size_t j = stf__peer_add(x->dst, o);
	if (j == (size_t)-1)
		return -1;
	if (j >= x->img_cap) {
		size_t ncap = x->img_cap ? 2 * x->img_cap : 1024;
		while (ncap <= j)
			ncap *= 2;
		uint8_t **n = stf__raw_realloc(x->img, ncap * sizeof(*n));
		if (!n)
			return -1;
		memset(n + x->img_cap, 0, (ncap - x->img_cap) * sizeof(*n));
		x->img = n;
		x->img_cap = ncap;
	}
	return (int64_t)j;
}

/* ------------------------------------------------------------------ */
/* Offsets: the same (member path, element, byte) in the new layout.   */

static int is_flexible(const struct stf_meta_unit *u, uint32_t t)
{
	t = strip(u, t);
	return t < u->ntypes && T(u, t)->kind == STF_K_ARRAY &&
	       (T(u, t)->flags & STF_TF_FLEXIBLE || !T(u, t)->count);
}

/* Innermost named member of struct st containing off (anonymous members
 * are descended into); its absolute offset in *abs. */
static const struct stf_member_rec *member_at(const struct stf_meta_unit *u, uint32_t st,
					      uint64_t off, uint64_t *abs)
{
	const struct stf_type_rec *t = T(u, st);
	for (uint32_t i = 0; i < t->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[t->members + i];
		uint32_t mt = strip(u, m->type);
		uint64_t msz;
		if (mt >= u->ntypes || m->bit_size)
			continue;
		msz = T(u, mt)->size;
		if ((uint64_t)m->offset > off)
			continue;
		if (off - m->offset >= msz && !is_flexible(u, mt))
			continue;
		if (!*stf_meta_str(u, m->name) &&
		    (T(u, mt)->kind == STF_K_STRUCT || T(u, mt)->kind == STF_K_UNION)) {
			uint64_t inner;
			const struct stf_member_rec *r = member_at(u, mt, off - m->offset, &inner);
			if (r) {
				*abs = m->offset + inner;
				return r;
			}
			continue;
		}
		*abs = m->offset;
		return m;
	}
	return NULL;
}

/* Member named name in struct/union st, anonymous members descended. */
static const struct stf_member_rec *member_named(const struct stf_meta_unit *u, uint32_t st,
						 const char *name, uint64_t *abs)
{
	const struct stf_type_rec *t = T(u, st);
	for (uint32_t i = 0; i < t->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[t->members + i];
		const char *mn = stf_meta_str(u, m->name);
		if (*mn) {
			if (!strcmp(mn, name)) {
				*abs = m->offset;
				return m;
			}
			continue;
		}
		uint32_t mt = strip(u, m->type);
		if (mt < u->ntypes &&
		    (T(u, mt)->kind == STF_K_STRUCT || T(u, mt)->kind == STF_K_UNION)) {
			uint64_t inner;
			const struct stf_member_rec *r = member_named(u, mt, name, &inner);
			if (r) {
				*abs = m->offset + inner;
				return r;
			}
		}
	}
	return NULL;
}

/* Destination name of a source member (renames). */
static const char *member_dst_name(struct stf_xfer *x, const struct stf_meta_unit *su,
				   uint32_t st, const char *name)
{
	char tn[256];
	if (!x->renames)
		return name;
	return stf__rename_member(type_str(su, st, tn, sizeof(tn)), name, x->dir);
}

/* Source member that becomes destination member dname. */
static const struct stf_member_rec *src_member_for(struct stf_xfer *x,
						   const struct stf_meta_unit *su, uint32_t st,
						   const char *dname, uint64_t *abs)
{
	const struct stf_type_rec *t = T(su, st);
	if (!x->renames)
		return member_named(su, st, dname, abs);
	for (uint32_t i = 0; i < t->nmembers; i++) {
		const struct stf_member_rec *m = &su->members[t->members + i];
		const char *mn = stf_meta_str(su, m->name);
		if (*mn) {
			if (!strcmp(member_dst_name(x, su, st, mn), dname)) {
				*abs = m->offset;
				return m;
			}
			continue;
		}
		uint32_t mt = strip(su, m->type);
		if (mt < su->ntypes &&
		    (T(su, mt)->kind == STF_K_STRUCT || T(su, mt)->kind == STF_K_UNION)) {
			uint64_t inner;
			const struct stf_member_rec *r = src_member_for(x, su, mt, dname, &inner);
			if (r) {
				*abs = m->offset + inner;
				return r;
			}
		}
	}
	return NULL;
}

/* The type a pointer points to; unit NULL: unknown. */
struct pointee {
	const struct stf_meta_unit *unit;
	uint32_t type;
	/* the destination pointer's pointee type when it differs (a pointer
	 * whose declared type changed); dunit NULL otherwise */
	const struct stf_meta_unit *dunit;
	uint32_t dtype;
};

/* Does a value of type (u, t) start with a char (its first member's first
 * element...)?  A char pointer there points to that char (the name
 * member first in its struct), not to the whole value as bytes. */
static int starts_with_char(const struct stf_meta_unit *u, uint32_t t, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (R->kind == STF_K_INT)
		return (R->flags & STF_TF_CHAR) != 0;
	if (R->kind == STF_K_ARRAY)
		return starts_with_char(u, R->target, depth + 1);
	if (R->kind != STF_K_STRUCT || !R->nmembers)
		return 0;
	const struct stf_member_rec *m = &u->members[R->members];
	return !m->offset && !m->bit_size && *stf_meta_str(u, m->name) &&
	       starts_with_char(u, m->type, depth + 1);
}

/* Does a pointer of this pointee type, pointing at offset 0 of a value of
 * type (u, t), point to the value itself (rather than to its first member)?
 * Generic pointers (void, char, unknown) point to the outermost value. */
static int points_to_whole(struct stf_xfer *x, const struct pointee *p,
			   const struct stf_meta_unit *u, uint32_t t)
{
	if (!p || !p->unit)
		return 1;
	/* `struct hash *` declared where struct hash is incomplete: its
	 * definition is in another unit of the source */
	const struct stf_meta_unit *pu = p->unit;
	uint32_t pt = p->type;
	stf__complete_type(x->src->meta, &pu, &pt);
	pt = strip(pu, pt);
	if (pt >= pu->ntypes)
		return 1;
	const struct stf_type_rec *P = T(pu, pt);
	if (P->kind == STF_K_INT && (P->flags & STF_TF_CHAR))
		return !starts_with_char(u, t, 0); /* char *name = s->name */
	if (P->kind == STF_K_VOID || P->kind == STF_K_FUNCTION)
		return 1;
	return P->hash == T(u, t)->hash;
}

/* Where the member at offset 0 of (su, st) (its first member's first
 * member..., element 0 of arrays) lands in (du, dt); 0 when it stays at
 * the start or has no counterpart (then only the whole value is left). */
static uint64_t first_member_lands(struct stf_xfer *x, const struct stf_meta_unit *su,
				   uint32_t st, const struct stf_meta_unit *du, uint32_t dt,
				   int depth)
{
	uint64_t sabs, dabs;
	st = strip(su, st);
	dt = strip(du, dt);
	if (st >= su->ntypes || dt >= du->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *S = T(su, st), *D = T(du, dt);
	if (S->hash == D->hash && S->size == D->size)
		return 0;
	if (S->kind == STF_K_ARRAY && D->kind == STF_K_ARRAY)
		return first_member_lands(x, su, S->target, du, D->target, depth + 1);
	if (S->kind != STF_K_STRUCT || D->kind != STF_K_STRUCT)
		return 0;
	const struct stf_member_rec *m = member_at(su, st, 0, &sabs), *dm;
	if (!m || sabs)
		return 0;
	dm = member_named(du, dt, member_dst_name(x, su, st, stf_meta_str(su, m->name)), &dabs);
	if (!dm)
		return 0;
	return dabs + first_member_lands(x, su, m->type, du, dm->type, depth + 1);
}

/* One past the end of an object (or member) is also the start of the
 * next one when the two are adjacent (statics of one section, members of
 * a struct).  A pointer whose type says which of the two it points to
 * goes there: does a value of type hash start at off 0 of (u, t) (the
 * type, its first member, element...), or end at its end (its last
 * element, last member...)? */
static int type_starts(const struct stf_meta_unit *u, uint32_t t, uint64_t hash, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (R->hash == hash)
		return 1;
	if (R->kind == STF_K_ARRAY)
		return type_starts(u, R->target, hash, depth + 1);
	if (R->kind != STF_K_STRUCT && R->kind != STF_K_UNION)
		return 0;
	for (uint32_t i = 0; i < R->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[R->members + i];
		if (!m->offset && !m->bit_size && type_starts(u, m->type, hash, depth + 1))
			return 1;
	}
	return 0;
}

static int type_ends(const struct stf_meta_unit *u, uint32_t t, uint64_t hash, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (R->hash == hash)
		return 1;
	if (R->kind == STF_K_ARRAY)
		return R->count && type_ends(u, R->target, hash, depth + 1);
	if (R->kind != STF_K_STRUCT || !R->nmembers)
		return 0;
	const struct stf_member_rec *m = &u->members[R->members + R->nmembers - 1];
	uint32_t mt = strip(u, m->type);
	return !m->bit_size && mt < u->ntypes && m->offset + T(u, mt)->size == R->size &&
	       type_ends(u, mt, hash, depth + 1);
}

/* The structural hash of what a pointer points to; 0 for void and
 * function pointers and unknown types, which say nothing. */
static uint64_t pointee_hash_char(struct stf_xfer *x, const struct pointee *pe, int *is_char)
{
	*is_char = 0;
	if (!pe || !pe->unit)
		return 0;
	const struct stf_meta_unit *pu = pe->unit;
	uint32_t pt = pe->type;
	stf__complete_type(x->src->meta, &pu, &pt);
	pt = strip(pu, pt);
	if (pt >= pu->ntypes)
		return 0;
	const struct stf_type_rec *P = T(pu, pt);
	if (P->kind == STF_K_VOID || P->kind == STF_K_FUNCTION || !P->size)
		return 0;
	*is_char = P->kind == STF_K_INT && (P->flags & STF_TF_CHAR);
	return P->hash;
}

static uint64_t pointee_hash(struct stf_xfer *x, const struct pointee *pe)
{
	int is_char;
	return pointee_hash_char(x, pe, &is_char);
}

/* The named member of struct st that ends at off with a value of type
 * hash (char *end = s->buf + sizeof(s->buf)); its offset in *abs. */
static const struct stf_member_rec *member_ending_at(const struct stf_meta_unit *u, uint32_t st,
						     uint64_t off, uint64_t hash, uint64_t *abs)
{
	const struct stf_type_rec *t = T(u, st);
	for (uint32_t i = 0; i < t->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[t->members + i];
		uint32_t mt = strip(u, m->type);
		if (m->bit_size || mt >= u->ntypes || !*stf_meta_str(u, m->name) ||
		    (uint64_t)m->offset + T(u, mt)->size != off || !T(u, mt)->size)
			continue;
		if (type_ends(u, mt, hash, 0)) {
			*abs = m->offset;
			return m;
		}
	}
	return NULL;
}

/* At the boundary of elements e-1 and e of an array of (u, et): one past
 * the end of element e-1 rather than the start of e, by the pointer's
 * type (short *end = a[1].vals + 4, vals last in the struct)?  Char
 * pointers there are byte cursors over the array ((char *)&a[n]). */
static void end_of_element(struct stf_xfer *x, const struct pointee *pe,
			   const struct stf_meta_unit *u, uint32_t et, uint64_t esz,
			   uint64_t *e, uint64_t *r)
{
	uint64_t h;
	int is_char;
	if (*r || !*e || !(h = pointee_hash_char(x, pe, &is_char)) || is_char ||
	    type_starts(u, et, h, 0) ||
	    !type_ends(u, et, h, 0) || strip(u, et) >= u->ntypes || T(u, strip(u, et))->hash == h)
		return;
	(*e)--;
	*r = esz;
}

static int map_type_off(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
			const struct stf_meta_unit *du, uint32_t dt, uint64_t off,
			uint64_t *doff, const struct pointee *pe, int depth)
{
	st = strip(su, st);
	dt = strip(du, dt);
	if (st >= su->ntypes || dt >= du->ntypes || depth > 64) {
		*doff = off;
		return 0;
	}
	const struct stf_type_rec *S = T(su, st), *D = T(du, dt);
	if (S->hash == D->hash && S->size == D->size) {
		*doff = off;
		return 0;
	}
	if (!off && points_to_whole(x, pe, su, st)) {
		/* A char pointer at the start of a struct points to the whole
		 * struct as bytes ((char *)&hdr) or to its first member
		 * ((char *)&rec->code).  Where that member moves, the two
		 * differ, and a wrong guess made forward is undone backward
		 * alike: the round trip cannot catch it.  Forward, refuse;
		 * backward, such a pointer can only come from one into that
		 * member (a pointer to the whole needed the member to stay). */
		int is_char;
		uint64_t lands;
		pointee_hash_char(x, pe, &is_char);
		if (!is_char || (S->kind != STF_K_STRUCT && S->kind != STF_K_ARRAY) ||
		    !(lands = first_member_lands(x, su, st, du, dt, depth))) {
			*doff = 0;
			return 0;
		}
		if (x->dir == STF_FORWARD) {
			char tn[256];
			xfail(x, "%s: char pointer to the start of %s, whose first member "
			      "moves to offset %" PRIu64 ": it may point to the whole or to that "
			      "member; register a callback for the object holding it "
			      "(stf_on_object)", cur_path(x), type_str(su, st, tn, sizeof(tn)),
			      lands);
			return -1;
		}
	}
	switch (S->kind) {
	case STF_K_ARRAY: {
		if (D->kind != STF_K_ARRAY)
			break;
		uint32_t se = strip(su, S->target), de = strip(du, D->target);
		uint64_t esz = se < su->ntypes ? T(su, se)->size : 0;
		uint64_t desz = de < du->ntypes ? T(du, de)->size : 0;
		if (!esz) {
			*doff = off;
			return 0;
		}
		uint64_t e = off / esz, r = off % esz, dr;
		end_of_element(x, pe, su, se, esz, &e, &r);
		if (D->count && (e > D->count || (e == D->count && r))) {
			xfail(x, "%s: pointer into element [%" PRIu64 "], which no longer "
			      "exists (array shrunk to %" PRIu64 " elements)", cur_path(x), e,
			      D->count);
			return -1;
		}
		if (map_type_off(x, su, se, du, de, r, &dr, pe, depth + 1) < 0)
			return -1;
		*doff = e * desz + dr;
		return 0;
	}
	case STF_K_STRUCT: {
		uint64_t sabs, dabs, dr;
		if (D->kind != STF_K_STRUCT)
			break;
		const struct stf_member_rec *m = member_at(su, st, off, &sabs);
		/* one past an array member: char pointers only where another
		 * member starts (not at the struct's end: (char *)(&s + 1)) */
		uint64_t h, eabs;
		int is_char;
		const struct stf_member_rec *em;
		if ((!m || sabs == off) && off && (h = pointee_hash_char(x, pe, &is_char)) &&
		    (m || !is_char) && (em = member_ending_at(su, st, off, h, &eabs)) &&
		    (!m || !type_starts(su, m->type, h, 0))) {
			/* one past the end of the member before */
			m = em;
			sabs = eabs;
		}
		if (!m) {
			if (off == S->size) {
				*doff = D->size;
				return 0;
			}
			xfail(x, "%s: pointer into padding at offset %" PRIu64 " of %s",
			      cur_path(x), off, stf_meta_str(su, S->name));
			return -1;
		}
		const char *name = stf_meta_str(su, m->name);
		const struct stf_member_rec *dm =
			member_named(du, dt, member_dst_name(x, su, st, name), &dabs);
		if (!dm) {
			char tn[256];
			xfail(x, "%s: pointer into member %s of %s, which no longer exists",
			      cur_path(x), name, type_str(su, st, tn, sizeof(tn)));
			return -1;
		}
		if (map_type_off(x, su, m->type, du, dm->type, off - sabs, &dr, pe, depth + 1) < 0)
			return -1;
		*doff = dabs + dr;
		return 0;
	}
	case STF_K_UNION:
		if (D->kind != STF_K_UNION || off > D->size)
			break;
		*doff = off;
		return 0;
	default:
		if (!off || S->size == D->size) {
			*doff = off;
			return 0;
		}
		break;
	}
	{
		char a[256], b[256];
		xfail(x, "%s: pointer to offset %" PRIu64 " of a %s cannot be mapped into "
		      "the new type %s", cur_path(x), off, type_str(su, st, a, sizeof(a)),
		      type_str(du, dt, b, sizeof(b)));
	}
	return -1;
}

static int map_obj_off(struct stf_xfer *x, const struct stf_obj *so,
		       const struct stf_obj *dobj, uint64_t off, uint64_t *doff,
		       const struct pointee *pe)
{
	if (!so->unit || !dobj->unit || so->type >= so->unit->ntypes) {
		*doff = off;
		return 0;
	}
	uint32_t st = strip(so->unit, so->type), dt = strip(dobj->unit, dobj->type);
	const struct stf_type_rec *S = T(so->unit, st);
	uint64_t esz = S->size;
	const struct stf_member_rec *last = S->kind == STF_K_STRUCT && S->nmembers ?
		&so->unit->members[S->members + S->nmembers - 1] : NULL;
	if (!esz || (last && is_flexible(so->unit, last->type)) ||
	    so->kind == STF_OBJ_STATIC || so->kind == STF_OBJ_LOCAL || so->kind == STF_OBJ_CONST)
		return map_type_off(x, so->unit, st, dobj->unit, dt, off, doff, pe, 0);
	uint64_t e = off / esz, r = off % esz, dr;
	end_of_element(x, pe, so->unit, st, esz, &e, &r);
	if (map_type_off(x, so->unit, st, dobj->unit, dt, r, &dr, pe, 0) < 0)
		return -1;
	*doff = e * T(dobj->unit, dt)->size + dr;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pointers.                                                           */

static const char *obj_name(const struct stf_obj *o, char *buf, size_t len)
{
	if (o->dyn_id)
		snprintf(buf, len, "%s@%" PRIu64, o->id, o->dyn_id);
	else
		snprintf(buf, len, "%s", o->id);
	return buf;
}

static int64_t stream_target(struct stf_xfer *x, size_t i);

static int64_t pair_target(struct stf_xfer *x, size_t i)
{
	struct pairing *p = &x->pair[i];
	const struct stf_obj *o = &x->src->objs[i];
	char on[256];
	uint64_t j;

	if (p->dst >= 0)
		return p->dst;
	if (p->dst == PAIR_UNRESOLVED && (o->flags & STF_OBJF_STREAM))
		return stream_target(x, i);
	if (p->dst == PAIR_UNRESOLVED) {
		const char *id = o->id;
		p->dst = PAIR_NONE;
		if (x->renames)
			id = stf__rename(STF_RENAME_OBJECT, id, x->dir);
		if ((o->kind == STF_OBJ_CONST || o->kind == STF_OBJ_FUNC ||
		     o->kind == STF_OBJ_STRING || o->kind == STF_OBJ_STATIC) &&
		    !stf__strmap_get(&x->dst_ids, id, &j)) {
			p->dst = (int64_t)j;
			const struct stf_obj *d = &x->dst->objs[j];
			p->dst_addr = d->addr;
			p->same = !o->unit || !d->unit ||
				  (T(o->unit, strip(o->unit, o->type))->hash ==
				   T(d->unit, strip(d->unit, d->type))->hash);
			return p->dst;
		}
		if (o->kind == STF_OBJ_FUNC) {
			/* not address-taken in the new version: by symbol name */
			const char *name = strrchr(o->id, ':');
			uint64_t a = stf__peer_symbol_addr(x->dst, NULL, name ? name + 1 : o->id);
			if (a) {
				struct stf_obj f = *o;
				f.addr = a;
				f.unit = NULL;
				int64_t k = dst_add(x, &f);
				if (k >= 0) {
					p->dst = k;
					p->dst_addr = a;
					p->same = 1;
					return k;
				}
			}
		}
	}
	switch (o->kind) {
	case STF_OBJ_FUNC:
		xfail(x, "%s: points to function %s, which no longer exists in the new "
		      "version", cur_path(x), o->id);
		break;
	case STF_OBJ_STRING: {
		/* name it by its text: the ID is a hash */
		char text[64], q[160];
		size_t n = o->size < sizeof(text) - 1 ? o->size : sizeof(text) - 1, k = 0;
		if (stf__xfer_src_read(x, o->addr, text, n) < 0)
			n = 0;
		text[n] = 0;
		for (size_t i = 0; i < n && text[i] && k + 5 < sizeof(q); i++)
			k += (size_t)snprintf(q + k, sizeof(q) - k,
					      text[i] == '"' || text[i] == '\\' ? "\\%c" :
					      (unsigned char)text[i] < 0x20 ? "\\x%02x" : "%c",
					      (unsigned char)text[i]);
		q[k] = 0;
		xfail(x, "%s: points to string literal \"%s\"%s (%s), which no longer exists "
		      "in the new version", cur_path(x), q,
		      n < o->size && o->size > 1 ? "..." : "", o->id);
		break;
	}
	default:
		if (o->flags & STF_OBJF_INTERNAL)
			xfail(x, "%s: points into libstf's own memory (0x%" PRIx64 ")",
			      cur_path(x), o->addr);
		else if (o->flags & STF_OBJF_OWN)
			xfail(x, "%s: points to %s, which the new version allocated at "
			      "startup: the old version has no counterpart for it; "
			      "register a callback", cur_path(x), obj_name(o, on, sizeof(on)));
		else
			xfail(x, "%s: points to %s, which has no counterpart in the "
			      "destination (dropped)", cur_path(x),
			      obj_name(o, on, sizeof(on)));
	}
	return -1;
}

static int reloc_symbol(struct stf_xfer *x, uint64_t v, uint64_t *out)
{
	const char *lib, *sym, *exe;
	uint64_t off, a;

	if (stf__peer_lib_symbol(x->src, v, &lib, &sym, &off) < 0) {
		xfail(x, "%s: pointer 0x%" PRIx64 " points into unknown memory (no tracked "
		      "object, static or library symbol there); if it is not a pointer to "
		      "state, annotate it with STF_IXFER", cur_path(x), v);
		return -1;
	}
	exe = strrchr(x->src->exe, '/');
	exe = exe ? exe + 1 : x->src->exe;
	if (!sym) {
		/* no symbol: the same place of the same library (libraries do
		 * not change with the program) */
		a = strcmp(lib, exe) ? stf__peer_lib_vaddr(x->dst, lib, off) : 0;
		if (!a) {
			xfail(x, "%s: pointer 0x%" PRIx64 " points into %s at 0x%" PRIx64
			      " where no symbol is known", cur_path(x), v, lib, off);
			return -1;
		}
		*out = a;
		return 0;
	}
	a = stf__peer_symbol_addr(x->dst, strcmp(lib, exe) ? lib : NULL, sym);
	if (!a) {
		xfail(x, "%s: points to %s in %s, which does not exist in the destination",
		      cur_path(x), sym, lib);
		return -1;
	}
	*out = a + off;
	return 0;
}

static int check_target_type(struct stf_xfer *x, const struct pointee *pe,
			     const struct stf_obj *so, uint64_t off,
			     const struct stf_obj *dobj, uint64_t doff);
static int check_dst_pointee(struct stf_xfer *x, const struct pointee *pe,
			     const struct stf_obj *so, const struct stf_obj *dobj, uint64_t doff);

/* A pointer into the process's command line or environment (main's
 * stack): the same argument or variable, at the same offset, in the
 * destination, which was started with the same arguments unless the user
 * said otherwise.  1 if v is not such a pointer. */
static int reloc_arg(struct stf_xfer *x, uint64_t v, uint64_t *out)
{
	struct stf_arg_ref ref;
	char what[256];

	if (stf__peer_arg_ref(x->src, v, &ref) < 0)
		return 1;
	*out = stf__peer_arg_addr(x->dst, &ref);
	if (*out)
		return 0;
	stf__arg_ref_str(x->src, &ref, what, sizeof(what));
	xfail(x, "%s: points to %s of the old version's %s, which the new version's "
	      "does not have%s; start the new version with the same arguments and "
	      "environment (ttst-ctl update passes the old arguments unless given "
	      "others), or register a callback", cur_path(x), what,
	      ref.kind == STF_ARG_ENV || ref.kind == STF_ARG_ENVP ? "environment" :
	      "command line", ref.off ? " (or not that long)" : "");
	return -1;
}

/* v is the start of range r: is it rather one past the end of the range
 * before it, by the pointer's type (char *end = buf + sizeof(buf) when
 * the next object does not start with a char)?  void pointers keep the
 * start. */
static int end_of_previous(struct stf_xfer *x, const struct stf_range *r,
			   const struct pointee *pe)
{
	const struct stf_range *lo = x->src->index.ranges;
	uint64_t h;
	if (!pe || !pe->unit || r == lo || r[-1].start + r[-1].size != r->start ||
	    !(h = pointee_hash(x, pe)))
		return 0;
	const struct stf_obj *prev = &x->src->objs[r[-1].value];
	const struct stf_obj *next = &x->src->objs[r->value];
	return prev->unit && type_ends(prev->unit, prev->type, h, 0) &&
	       !(next->unit && type_starts(next->unit, next->type, h, 0));
}

static int reloc(struct stf_xfer *x, uint64_t v, uint64_t *out, const struct pointee *pe)
{
	const struct stf_range *r;
	int64_t j;
	uint64_t off, doff;

	if (!v) {
		*out = 0;
		return 0;
	}
	if (stf__not_a_pointer(v)) {
		*out = v;
		x->rep->integers++;
		return 0;
	}
	x->rep->pointers++;
	r = x->last;
	if (r && v - r->start >= r->size) {
		/* objects allocated one after the other point to each other */
		const struct stf_range *lo = x->src->index.ranges,
				       *hi = lo + x->src->index.n;
		if (r + 1 < hi && v - r[1].start < r[1].size)
			r++;
		else if (r > lo && v - r[-1].start < r[-1].size)
			r--;
		else
			r = NULL;
	}
	if (!r) {
		r = stf__index_find(&x->src->index, v, STF_INDEX_END);
		if (r && r->size)
			x->last = r;
	} else {
		x->last = r;
	}
	if (!r && v >= x->src->stack_start && v < x->src->stack_end) {
		int a = reloc_arg(x, v, out);
		if (a <= 0)
			return a;
		if (x->keep_orig)
			return 1;
	}
	if (!r)
		return reloc_symbol(x, v, out);
	if (v == r->start && end_of_previous(x, r, pe))
		r--;
	const struct pairing *p = &x->pair[r->value];
	off = v - r->start;
	if (p->dst >= 0 && p->same && !x->fault) { /* the common case */
		*out = p->dst_addr + off;
		if (pe && pe->dunit)
			return check_dst_pointee(x, pe, &x->src->objs[r->value],
						 &x->dst->objs[p->dst], off);
		return 0;
	}
	const struct stf_obj *o = &x->src->objs[r->value];
	j = pair_target(x, r->value);
	if (j < 0)
		return -1;
	doff = off;
	if (!x->pair[r->value].same &&
	    (map_obj_off(x, o, &x->dst->objs[j], off, &doff, pe) < 0 ||
	     check_target_type(x, pe, o, off, &x->dst->objs[j], doff) < 0))
		return -1;
	*out = x->dst->objs[j].addr + doff;
	if (pe && pe->dunit && check_dst_pointee(x, pe, o, &x->dst->objs[j], doff) < 0)
		return -1;
	if (x->fault == STF_FAULT_CORRUPT_POINTER && !x->fault_done &&
	    o->kind != STF_OBJ_FUNC && x->fault_alt >= 0 && x->fault_alt != j &&
	    x->fault_seen++ >= x->fault_point) {
		x->fault_done = 1;
		*out = x->dst->objs[x->fault_alt].addr;
		fprintf(stderr, "libstf: STF_FAULT: %s relocated to the wrong target\n",
			cur_path(x));
	}
	return 0;
}

/* Does a struct/union of this kind and tag start at off in a value of
 * type (u, t)? */
static int named_at(const struct stf_meta_unit *u, uint32_t t, uint64_t off, uint8_t kind,
		    const char *tag, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (!off && R->kind == kind && !strcmp(stf_meta_str(u, R->name), tag))
		return 1;
	if (R->kind == STF_K_ARRAY) {
		uint32_t et = strip(u, R->target);
		uint64_t esz = et < u->ntypes ? T(u, et)->size : 0;
		return esz && named_at(u, et, off % esz, kind, tag, depth + 1);
	}
	if (R->kind != STF_K_STRUCT && R->kind != STF_K_UNION)
		return 0;
	for (uint32_t i = 0; i < R->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[R->members + i];
		uint32_t mt = strip(u, m->type);
		if (m->bit_size || mt >= u->ntypes || (uint64_t)m->offset > off)
			continue;
		if ((off - m->offset < T(u, mt)->size || off == (uint64_t)m->offset) &&
		    named_at(u, mt, off - m->offset, kind, tag, depth + 1))
			return 1;
	}
	return 0;
}

static int obj_named_at(const struct stf_obj *o, uint64_t off, uint8_t kind, const char *tag)
{
	uint32_t t = strip(o->unit, o->type);
	uint64_t esz = t < o->unit->ntypes ? T(o->unit, t)->size : 0;
	if (is_dynamic(o) && esz && o->size > esz)
		off %= esz;
	return named_at(o->unit, t, off, kind, tag, 0);
}

/* A pointer to a struct that really pointed to one must still point to
 * one of that name (renames followed) after its target moved. */
static int check_target_type(struct stf_xfer *x, const struct pointee *pe,
			     const struct stf_obj *so, uint64_t off,
			     const struct stf_obj *dobj, uint64_t doff)
{
	char tn[256], dn[256];
	if (!pe || !pe->unit || !so->unit || !dobj->unit)
		return 0;
	uint32_t pt = strip(pe->unit, pe->type);
	if (pt >= pe->unit->ntypes)
		return 0;
	const struct stf_type_rec *P = T(pe->unit, pt);
	const char *tag = stf_meta_str(pe->unit, P->name);
	if ((P->kind != STF_K_STRUCT && P->kind != STF_K_UNION) || !*tag ||
	    !obj_named_at(so, off, P->kind, tag))
		return 0; /* not a typed pointer to such a struct: nothing to keep */
	snprintf(tn, sizeof(tn), "%s %s", P->kind == STF_K_STRUCT ? "struct" : "union", tag);
	snprintf(dn, sizeof(dn), "%s", x->renames ? stf__rename(STF_RENAME_TYPE, tn, x->dir) : tn);
	const char *dtag = strchr(dn, ' ') ? strchr(dn, ' ') + 1 : dn;
	uint8_t dkind = !strncmp(dn, "union ", 6) ? STF_K_UNION : STF_K_STRUCT;
	if (obj_named_at(dobj, doff, dkind, dtag))
		return 0;
	char on[256];
	xfail(x, "%s: points to %s in %s, but the new version has no %s there "
	      "(the target's type changed); register a callback", cur_path(x), tn,
	      obj_name(so, on, sizeof(on)), dn);
	return -1;
}

/* A pointer whose declared type changed to a pointer to a struct or union
 * must point to one in the destination: a struct session * holding the
 * old struct conn * to a struct conn points to a type it cannot legally
 * point to. */
static int check_dst_pointee(struct stf_xfer *x, const struct pointee *pe,
			     const struct stf_obj *so, const struct stf_obj *dobj, uint64_t doff)
{
	char tn[256], on[256], dn[256];
	const struct stf_meta_unit *pu = pe->dunit;
	uint32_t pt = pe->dtype;
	if (!dobj->unit || doff >= dobj->size || so->kind == STF_OBJ_FUNC ||
	    so->kind == STF_OBJ_STRING)
		return 0;
	stf__complete_type(x->dst->meta, &pu, &pt);
	pt = strip(pu, pt);
	if (pt >= pu->ntypes)
		return 0;
	const struct stf_type_rec *P = T(pu, pt);
	const char *tag = stf_meta_str(pu, P->name);
	if ((P->kind != STF_K_STRUCT && P->kind != STF_K_UNION) || !*tag ||
	    (P->flags & STF_TF_INCOMPLETE) || obj_named_at(dobj, doff, P->kind, tag))
		return 0;
	uint32_t dt = strip(dobj->unit, dobj->type);
	xfail(x, "%s: its type became %s * but it points to %s (offset %" PRIu64 " of %s), "
	      "where the new version has no %s; register a callback", cur_path(x),
	      type_str(pu, pt, tn, sizeof(tn)), obj_name(so, on, sizeof(on)), doff,
	      type_str(dobj->unit, dt, dn, sizeof(dn)), type_str(pu, pt, tn, sizeof(tn)));
	return -1;
}

int stf__xfer_relocate(struct stf_xfer *x, uint64_t src_ptr, uint64_t *dst_ptr)
{
	int r = reloc(x, src_ptr, dst_ptr, NULL);
	if (r == 1) /* main's stack outside the arguments: no counterpart */
		*dst_ptr = 0;
	return r < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Scalars.                                                            */

typedef __int128 wide;

static int read_int(const struct stf_meta_unit *u, uint32_t t, const uint8_t *p,
		    const struct stf_member_rec *bits, wide *v)
{
	const struct stf_type_rec *R = T(u, t);
	int sgn = !!(R->flags & STF_TF_SIGNED);
	uint64_t raw = 0;
	if (bits) {
		unsigned nbytes = (bits->bit_offset + bits->bit_size + 7) / 8;
		uint64_t w = 0;
		memcpy(&w, p, nbytes > 8 ? 8 : nbytes);
		w >>= bits->bit_offset;
		if (bits->bit_size < 64)
			w &= (1ULL << bits->bit_size) - 1;
		if (sgn && bits->bit_size < 64 && (w >> (bits->bit_size - 1)) & 1)
			w |= ~0ULL << bits->bit_size;
		*v = sgn ? (wide)(int64_t)w : (wide)w;
		return 0;
	}
	if (R->size > 8 || !R->size)
		return -1;
	memcpy(&raw, p, R->size);
	if (sgn && R->size < 8 && (raw >> (8 * R->size - 1)) & 1)
		raw |= ~0ULL << (8 * R->size);
	*v = sgn ? (wide)(int64_t)raw : (wide)raw;
	return 0;
}

static void fmt_wide(wide v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-%" PRIu64, (uint64_t)-v);
	else
		snprintf(buf, len, "%" PRIu64, (uint64_t)v);
}

static int write_int(struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t t,
		     uint8_t *p, const struct stf_member_rec *bits, wide v)
{
	const struct stf_type_rec *R = T(u, t);
	int sgn = !!(R->flags & STF_TF_SIGNED);
	unsigned nbits = bits ? bits->bit_size : 8 * (unsigned)R->size;
	wide lo, hi;
	char vb[48], tn[128];

	if (R->flags & STF_TF_BOOL) {
		lo = 0;
		hi = 1;
	} else if (sgn) {
		lo = -((wide)1 << (nbits - 1));
		hi = ((wide)1 << (nbits - 1)) - 1;
	} else {
		lo = 0;
		hi = ((wide)1 << nbits) - 1;
	}
	if (v < lo || v > hi) {
		fmt_wide(v, vb, sizeof(vb));
		xfail(x, "%s: value %s does not fit in %s%s (lossy conversion); register a "
		      "callback (stf_on_member/stf_on_type) to convert it", cur_path(x), vb,
		      type_str(u, t, tn, sizeof(tn)), bits ? " bitfield" : "");
		return -1;
	}
	uint64_t w = (uint64_t)v;
	if (bits) {
		unsigned nbytes = (bits->bit_offset + bits->bit_size + 7) / 8;
		uint64_t cur = 0, mask = (nbits < 64 ? (1ULL << nbits) - 1 : ~0ULL) << bits->bit_offset;
		memcpy(&cur, p, nbytes > 8 ? 8 : nbytes);
		cur = (cur & ~mask) | ((w << bits->bit_offset) & mask);
		memcpy(p, &cur, nbytes > 8 ? 8 : nbytes);
		return 0;
	}
	memcpy(p, &w, R->size);
	return 0;
}

static int read_float(const struct stf_meta_unit *u, uint32_t t, const uint8_t *p, long double *f)
{
	switch (T(u, t)->size) {
	case 4: { float v; memcpy(&v, p, 4); *f = v; return 0; }
	case 8: { double v; memcpy(&v, p, 8); *f = v; return 0; }
	case 16: { long double v; memcpy(&v, p, sizeof(v)); *f = v; return 0; }
	}
	return -1;
}

/* The fewest digits that read back as f (in double precision if f is a
 * double): 0.1, 0.10000000149011612 (0.1f), not 0.1 for 0.1000001. */
static void fmt_float(long double f, char *buf, size_t len)
{
	int dbl = (long double)(double)f == f;
	for (int p = 6; p <= 21; p++) {
		snprintf(buf, len, "%.*Lg", p, f);
		long double r = strtold(buf, NULL);
		if (dbl ? (double)r == (double)f : r == f)
			return;
	}
}

static int write_float(struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t t,
		       uint8_t *p, long double f)
{
	char tn[128];
	switch (T(u, t)->size) {
	case 4: {
		float v = (float)f;
		if ((long double)v != f && !isnan(f))
			goto lossy;
		memcpy(p, &v, 4);
		return 0;
	}
	case 8: {
		double v = (double)f;
		if ((long double)v != f && !isnan(f))
			goto lossy;
		memcpy(p, &v, 8);
		return 0;
	}
	case 16:
		memcpy(p, &f, sizeof(f));
		return 0;
	}
	xfail(x, "%s: unsupported floating type %s", cur_path(x), type_str(u, t, tn, sizeof(tn)));
	return -1;
lossy:
	if (f == truncl(f) && f > -1.8e19L && f < 1.8e19L) {
		/* an integer: all its digits (16777217, not 1.67772e+07) */
		char vb[48];
		fmt_wide((wide)f, vb, sizeof(vb));
		xfail(x, "%s: value %s cannot be represented exactly as %s (lossy conversion)",
		      cur_path(x), vb, type_str(u, t, tn, sizeof(tn)));
		return -1;
	}
	char vb[48];
	fmt_float(f, vb, sizeof(vb));
	xfail(x, "%s: value %s cannot be represented exactly as %s (lossy conversion)",
	      cur_path(x), vb, type_str(u, t, tn, sizeof(tn)));
	return -1;
}

static int convert_scalar(struct stf_xfer *x,
			  const struct stf_meta_unit *su, uint32_t st, const uint8_t *s,
			  const struct stf_member_rec *sbits,
			  const struct stf_meta_unit *du, uint32_t dt, uint8_t *d,
			  const struct stf_member_rec *dbits)
{
	const struct stf_type_rec *S = T(su, st), *D = T(du, dt);
	char a[128], b[128], vb[48];
	wide v;

	if (S->kind == STF_K_FLOAT) {
		long double f;
		if (read_float(su, st, s, &f) < 0)
			goto unsupported;
		if (D->kind == STF_K_FLOAT)
			return write_float(x, du, dt, d, f);
		if (D->kind == STF_K_INT) {
			if (f != truncl(f) || f < -1.8e19L || f > 1.9e19L) {
				fmt_float(f, vb, sizeof(vb));
				xfail(x, "%s: value %s cannot be converted to %s without loss",
				      cur_path(x), vb, type_str(du, dt, b, sizeof(b)));
				return -1;
			}
			return write_int(x, du, dt, d, dbits, (wide)f);
		}
		goto unsupported;
	}
	if (S->kind != STF_K_INT && S->kind != STF_K_ENUM)
		goto unsupported;
	if (read_int(su, st, s, sbits, &v) < 0)
		goto unsupported;
	if (S->kind == STF_K_ENUM && D->kind == STF_K_ENUM) {
		const char *name = NULL;
		for (uint32_t i = 0; i < S->nmembers; i++) {
			const struct stf_member_rec *m = &su->members[S->members + i];
			if ((wide)m->offset == v) {
				name = stf_meta_str(su, m->name);
				break;
			}
		}
		if (!name) {
			fmt_wide(v, vb, sizeof(vb));
			xfail(x, "%s: value %s is no enumerator of %s", cur_path(x), vb,
			      type_str(su, st, a, sizeof(a)));
			return -1;
		}
		if (x->renames)
			name = stf__rename(STF_RENAME_ENUMERATOR, name, x->dir);
		for (uint32_t i = 0; i < D->nmembers; i++) {
			const struct stf_member_rec *m = &du->members[D->members + i];
			if (!strcmp(stf_meta_str(du, m->name), name)) {
				wide nv = m->offset;
				if (dbits)
					return write_int(x, du, dt, d, dbits, nv);
				uint32_t ut = D->target != STF_NONE ? strip(du, D->target) : STF_NONE;
				if (ut < du->ntypes && T(du, ut)->size == D->size)
					return write_int(x, du, ut, d, NULL, nv);
				uint64_t w = (uint64_t)nv;
				memcpy(d, &w, D->size <= 8 ? D->size : 8);
				return 0;
			}
		}
		xfail(x, "%s: enumerator %s of %s no longer exists in %s", cur_path(x), name,
		      type_str(su, st, a, sizeof(a)), type_str(du, dt, b, sizeof(b)));
		return -1;
	}
	if (D->kind == STF_K_INT || D->kind == STF_K_ENUM) {
		if (D->kind == STF_K_ENUM && !dbits) {
			uint64_t w = (uint64_t)v;
			memcpy(d, &w, D->size <= 8 ? D->size : 8);
			return 0;
		}
		return write_int(x, du, dt, d, dbits, v);
	}
	if (D->kind == STF_K_FLOAT) {
		long double f = (long double)v;
		if ((wide)f != v) {
			fmt_wide(v, vb, sizeof(vb));
			xfail(x, "%s: value %s cannot be represented exactly as %s",
			      cur_path(x), vb, type_str(du, dt, b, sizeof(b)));
			return -1;
		}
		return write_float(x, du, dt, d, f);
	}
unsupported:
	xfail(x, "%s: cannot convert %s to %s automatically; register a callback "
	      "(stf_on_member/stf_on_type/stf_on_object)", cur_path(x),
	      type_str(su, st, a, sizeof(a)), type_str(du, dt, b, sizeof(b)));
	return -1;
}

/* ------------------------------------------------------------------ */
/* Values.                                                             */

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/*
 * An ambiguous union (a pointer member, no annotation) is only a problem
 * when one of its pointer members' slots holds something that could be a
 * pointer: zeros and small integers are copied as they are (a used
 * pthread_mutex_t, a union of a descriptor and a pointer holding the
 * descriptor).  In a local of an update point's function it is copied as
 * it is: such locals are scratch filled before each use (the struct
 * epoll_event of an event loop), and libc's unions cannot be annotated.
 */
static int union_holds_pointer(struct stf_xfer *x, const struct stf_meta_unit *u,
			       uint32_t t, const uint8_t *s)
{
	const struct stf_type_rec *U;

	if (x->obj && x->obj->kind == STF_OBJ_LOCAL)
		return 0;
	t = strip(u, t);
	U = T(u, t);
	for (uint32_t i = 0; i < U->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[U->members + i];
		const struct stf_layout *l = stf__layout(x->layouts, u, m->type);
		if (!l)
			return 1;
		for (size_t k = 0; k < l->n; k++) {
			const struct stf_leaf *f = &l->leaves[k];
			uint64_t off = (uint64_t)m->offset + f->off, v = 0;
			if (f->kind == STF_LEAF_BYTES || f->kind == STF_LEAF_BITS)
				continue;
			if (off + (f->kind == STF_LEAF_AMBIG ? f->size : 8) > U->size)
				return 1;
			if (f->kind == STF_LEAF_AMBIG) {
				if (!all_zero(s + off, f->size))
					return 1;
				continue;
			}
			memcpy(&v, s + off, 8);
			if (v && !stf__not_a_pointer(v))
				return 1;
		}
	}
	return 0;
}

/* Relocate the pointer at s into d. */
static int reloc_into(struct stf_xfer *x, const uint8_t *s, uint8_t *d, const struct pointee *pe)
{
	uint64_t v, nv;
	memcpy(&v, s, 8);
	int r = reloc(x, v, &nv, pe);
	if (r < 0)
		return -1;
	if (r == 1) {
		uint64_t at = (uint64_t)(d - x->keep_base);
		if (d < x->keep_base || at + 8 > x->keep_len)
			return 0;
		memcpy(d, x->keep_orig + at, 8);
		return 0;
	}
	memcpy(d, &nv, 8);
	return 0;
}

static int copy_fast(struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t t,
		     const uint8_t *s, uint8_t *d)
{
	const struct stf_layout *l = stf__layout(x->layouts, u, t);
	if (!l) {
		xfail(x, "out of memory building the layout of a type");
		return -1;
	}
	memcpy(d, s, l->size);
	if (!l->nptrs)
		return 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct stf_leaf *f = &l->leaves[i];
		uint64_t v;
		if (f->kind == STF_LEAF_BYTES || f->kind == STF_LEAF_BITS)
			continue;
		if (f->kind == STF_LEAF_AMBIG) {
			if (union_holds_pointer(x, f->unit, f->type, s + f->off)) {
				char tn[128];
				x->leaf_unit = u, x->leaf_type = t, x->leaf_off = f->off;
				x->leaf_active = 1;
				xfail(x, "%s: ambiguous %s holds a non-NULL value; annotate it "
				      "with STF_IXFER or STF_PXFER, or register a callback",
				      cur_path(x), type_str(f->unit, f->type, tn, sizeof(tn)));
				x->leaf_active = 0;
				return -1;
			}
			continue;
		}
		memcpy(&v, s + f->off, 8);
		if (!v)
			continue;
		x->leaf_unit = u, x->leaf_type = t, x->leaf_off = f->off;
		x->leaf_active = 1;
		struct pointee pe = { f->kind == STF_LEAF_PTR ? f->unit : NULL, f->type, NULL, 0 };
		if (reloc_into(x, s + f->off, d + f->off, &pe) < 0) {
			x->leaf_active = 0;
			return -1;
		}
		x->leaf_active = 0;
	}
	return 0;
}

static int run_value_cb(struct stf_xfer *x, const struct stf_cb *cb,
			const struct stf_meta_unit *su, uint32_t st, const uint8_t *s, size_t ssize,
			const struct stf_meta_unit *du, uint32_t dt, uint8_t *d, size_t dsize)
{
	char a[256], b[256], path[1400];
	snprintf(path, sizeof(path), "%s", cur_path(x));
	struct stf_value sv = { path, type_str(su, st, a, sizeof(a)), (void *)s, ssize };
	struct stf_value dv = { path, type_str(du, dt, b, sizeof(b)), d, dsize };
	int r = cb->fn.value(x, &sv, &dv, cb->arg);
	if (r == STF_CB_ERROR) {
		xfail(x, "%s: transfer callback failed", path);
		return -1;
	}
	return r == STF_CB_DONE ? 0 : 1;
}

static int xform(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st0,
		 const uint8_t *s, const struct stf_meta_unit *du, uint32_t dt0,
		 uint8_t *d, int depth);

static int same_type(const struct stf_meta_unit *su, uint32_t st,
		     const struct stf_meta_unit *du, uint32_t dt)
{
	st = strip(su, st);
	dt = strip(du, dt);
	if (st >= su->ntypes || dt >= du->ntypes)
		return 1;
	return T(su, st)->hash == T(du, dt)->hash && T(su, st)->size == T(du, dt)->size;
}

/* Whether the bytes of a floating-point value are a plausible number: not
 * NaN nor subnormal in its own precision (those are rather the bytes of
 * an integer seen as a float). */
static int plausible_float(const uint8_t *p, uint64_t size)
{
	int c;
	if (size == 4) {
		float v;
		memcpy(&v, p, 4);
		c = fpclassify(v);
	} else if (size == 8) {
		double v;
		memcpy(&v, p, 8);
		c = fpclassify(v);
	} else {
		return 1;
	}
	return c == FP_NAN || c == FP_SUBNORMAL ? 0 : 1;
}

/* A member of a union in both versions: source member at soff (from the
 * base s passed along), destination member at doff. */
struct ucand {
	const struct stf_member_rec *sm, *dm;
	uint64_t soff, doff;
};

/* Transfer a union value whose members changed type: which member holds
 * the value is not recorded, so every member of both versions is tried;
 * a member is out if the source bytes outside it are not zero, if its
 * conversion fails or if it would hold a pointer; a floating-point member
 * whose value is NaN or subnormal only counts when nothing else does.
 * The value is transferred when the members left agree on the result,
 * else the transfer aborts.  The source union spans [slo, shi) of s, the
 * destination one dsize bytes at d.  1: no member changed (copy bytes). */
static int xform_union(struct stf_xfer *x, const struct stf_meta_unit *su, const uint8_t *s,
		       uint64_t slo, uint64_t shi, const struct stf_meta_unit *du, uint8_t *d,
		       uint64_t dsize, const struct ucand *c, size_t n, const char *what,
		       int depth)
{
	size_t i, k, changed = n;
	for (i = 0; i < n; i++)
		if (!same_type(su, c[i].sm->type, du, c[i].dm->type) ||
		    c[i].soff - slo != c[i].doff || c[i].sm->bit_size || c[i].dm->bit_size) {
			changed = i;
			break;
		}
	if (changed == n)
		return 1;
	memset(d, 0, dsize);
	if (all_zero(s + slo, shi - slo))
		return 0;
	uint8_t *tmp = stf__raw_malloc(2 * dsize + 1);
	int rc = -1, best = -1, best_strong = 0, agree = 1;
	if (!tmp) {
		xfail(x, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		uint32_t smt = strip(su, c[i].sm->type);
		uint64_t ssz = smt < su->ntypes ? T(su, smt)->size : 0;
		const struct stf_layout *l = smt < su->ntypes ? stf__layout(x->layouts, su, smt) : NULL;
		if (!ssz || !l || l->nptrs || c[i].sm->bit_size || c[i].dm->bit_size ||
		    !all_zero(s + slo, c[i].soff - slo) ||
		    !all_zero(s + c[i].soff + ssz, shi - c[i].soff - ssz))
			continue;
		int strong = 1;
		if (T(su, smt)->kind == STF_K_FLOAT && !plausible_float(s + c[i].soff, ssz))
			strong = 0;
		uint8_t *out = best < 0 ? tmp : tmp + dsize;
		int failed = x->failed;
		char err[sizeof(x->rep->error)];
		memcpy(err, x->rep->error, sizeof(err));
		memset(out, 0, dsize);
		size_t mark = path_push(x, ".%s", stf_meta_str(su, c[i].sm->name));
		int r = xform(x, su, c[i].sm->type, s + c[i].soff, du, c[i].dm->type,
			      out + c[i].doff, depth + 1);
		path_cut(x, mark);
		int ok = r == 0 && !x->failed;
		x->failed = failed;
		memcpy(x->rep->error, err, sizeof(err));
		if (!ok || (best >= 0 && best_strong && !strong))
			continue;
		if (best < 0 || (strong && !best_strong)) {
			if (out != tmp)
				memcpy(tmp, out, dsize);
			best = (int)i;
			best_strong = strong;
			agree = 1;
		} else if (memcmp(tmp, out, dsize)) {
			agree = 0;
		}
	}
	if (best >= 0 && agree) {
		size_t mark = path_push(x, ".%s", stf_meta_str(su, c[best].sm->name));
		rc = xform(x, su, c[best].sm->type, s + c[best].soff, du, c[best].dm->type,
			   d + c[best].doff, depth + 1);
		path_cut(x, mark);
	} else {
		char b[256], e[256];
		k = changed;
		xfail(x, "%s: member %s of %s changed type (%s -> %s) and the value fits %s; "
		      "which member the union holds is not known: register a callback "
		      "(stf_on_type, or stf_on_member of the struct holding it)", cur_path(x),
		      stf_meta_str(su, c[k].sm->name), what, type_str(su, c[k].sm->type, b, sizeof(b)),
		      type_str(du, c[k].dm->type, e, sizeof(e)),
		      best < 0 ? "none of its members" : "several members differently");
	}
	stf__raw_free(tmp);
	return rc;
}

static int xform_struct(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
			const uint8_t *s, const struct stf_meta_unit *du, uint32_t dt,
			uint8_t *d, uint32_t src_struct, int depth)
{
	const struct stf_type_rec *D = T(du, dt);
	for (uint32_t i = 0; i < D->nmembers && !x->failed; i++) {
		const struct stf_member_rec *dm = &du->members[D->members + i];
		const char *dname = stf_meta_str(du, dm->name);
		uint32_t dmt = strip(du, dm->type);
		uint64_t sabs;
		if (dmt >= du->ntypes)
			continue;
		if (!*dname) {
			/* anonymous member: its inner members are matched by name */
			if (T(du, dmt)->kind == STF_K_STRUCT) {
				if (xform_struct(x, su, st, s, du, dmt, d + dm->offset,
						 src_struct, depth + 1) < 0)
					return -1;
			} else if (T(du, dmt)->kind == STF_K_UNION) {
				const struct stf_type_rec *U = T(du, dmt);
				struct ucand uc[64];
				size_t nc = 0;
				uint64_t slo = UINT64_MAX, shi = 0;
				for (uint32_t k = 0; k < U->nmembers && nc < 64; k++) {
					const struct stf_member_rec *um = &du->members[U->members + k];
					const char *un = stf_meta_str(du, um->name);
					const struct stf_member_rec *sm =
						*un ? src_member_for(x, su, st, un, &sabs) : NULL;
					uint32_t smt = sm ? strip(su, sm->type) : STF_NONE;
					if (smt >= su->ntypes)
						continue;
					uc[nc++] = (struct ucand){ sm, um, sabs, um->offset };
					if (sabs < slo)
						slo = sabs;
					if (sabs + T(su, smt)->size > shi)
						shi = sabs + T(su, smt)->size;
				}
				if (nc) {
					/* the destination offsets relative to the union,
					 * the source ones to the union's lowest member */
					for (size_t k = 0; k < nc; k++)
						uc[k].doff = uc[k].dm->offset;
					char tn[256], un[300];
					snprintf(un, sizeof(un), "an anonymous union of %s",
						 type_str(du, dt, tn, sizeof(tn)));
					int r = xform_union(x, su, s, slo, shi, du, d + dm->offset,
							    T(du, dmt)->size, uc, nc, un, depth);
					if (r < 0)
						return -1;
					if (r == 0)
						continue;
					/* no member changed: the bytes of the whole
					 * union when none holds a pointer */
					size_t k = 0;
					for (; k < nc; k++) {
						const struct stf_layout *l = stf__layout(x->layouts,
							su, strip(su, uc[k].sm->type));
						if (!l || l->nptrs)
							break;
					}
					if (k == nc) {
						uint64_t n = shi - slo < T(du, dmt)->size ? shi - slo :
							     T(du, dmt)->size;
						memcpy(d + dm->offset, s + slo, n);
						continue;
					}
				}
				for (uint32_t k = 0; k < U->nmembers; k++) {
					const struct stf_member_rec *um = &du->members[U->members + k];
					const char *un = stf_meta_str(du, um->name);
					const struct stf_member_rec *sm =
						*un ? src_member_for(x, su, st, un, &sabs) : NULL;
					if (!sm)
						continue;
					size_t mark = path_push(x, ".%s", un);
					int r = xform(x, su, sm->type, s + sabs, du, um->type,
						      d + dm->offset + um->offset, depth + 1);
					path_cut(x, mark);
					if (r < 0)
						return -1;
					break; /* one member of a union carries the value */
				}
			}
			continue;
		}
		const struct stf_member_rec *sm = src_member_for(x, su, st, dname, &sabs);
		if (!sm && x->cb_member && x->dir == STF_FORWARD) {
			/* added member: a member callback computes it from the
			 * whole source struct */
			char tn[256];
			struct stf_cb cb;
			if (!stf__cb_find_member(type_str(du, dt, tn, sizeof(tn)), dname, x->dir, &cb)) {
				size_t mark = path_push(x, ".%s", dname);
				int r = run_value_cb(x, &cb, su, src_struct, s, T(su, src_struct)->size,
						     du, dmt, d + dm->offset, T(du, dmt)->size);
				path_cut(x, mark);
				if (r < 0)
					return -1;
			}
			continue;
		}
		if (!sm)
			continue; /* added member: stays zero */
		uint32_t smt = strip(su, sm->type);
		if (smt >= su->ntypes)
			continue;
		size_t mark = path_push(x, ".%s", dname);
		int r = 1;
		if (x->cb_member) {
			char tn[256];
			struct stf_cb cb;
			const char *mname = x->dir == STF_FORWARD ? dname :
					    stf_meta_str(su, sm->name);
			if (x->dir == STF_FORWARD)
				type_str(du, x->dir == STF_FORWARD ? dt : st, tn, sizeof(tn));
			else
				type_str(su, src_struct, tn, sizeof(tn));
			if (!stf__cb_find_member(tn, mname, x->dir, &cb))
				r = run_value_cb(x, &cb, su, smt, s + sabs, T(su, smt)->size,
						 du, dmt, d + dm->offset, T(du, dmt)->size);
		}
		if (r == 1) {
			if ((sm->flags | dm->flags) & STF_MF_IXFER) {
				uint64_t n = T(su, smt)->size < T(du, dmt)->size ?
					     T(su, smt)->size : T(du, dmt)->size;
				memcpy(d + dm->offset, s + sabs, n);
				r = 0;
			} else if (((sm->flags | dm->flags) & STF_MF_PXFER) &&
				   T(su, smt)->size == 8 && T(du, dmt)->size == 8) {
				r = reloc_into(x, s + sabs, d + dm->offset, NULL);
			} else if (sm->bit_size || dm->bit_size) {
				r = convert_scalar(x, su, smt, s + sabs, sm->bit_size ? sm : NULL,
						   du, dmt, d + dm->offset,
						   dm->bit_size ? dm : NULL);
			} else if (is_flexible(du, dmt) && is_flexible(su, smt)) {
				r = 0; /* trailing data: transferred per object */
			} else {
				r = xform(x, su, smt, s + sabs, du, dmt, d + dm->offset, depth + 1);
			}
		}
		path_cut(x, mark);
		if (r < 0)
			return -1;
	}
	return x->failed ? -1 : 0;
}

static int xform_array(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
		       const uint8_t *s, const struct stf_meta_unit *du, uint32_t dt,
		       uint8_t *d, uint64_t scount, uint64_t dcount, int depth)
{
	uint32_t se = strip(su, T(su, st)->target), de = strip(du, T(du, dt)->target);
	if (se >= su->ntypes || de >= du->ntypes)
		return 0;
	uint64_t esz = T(su, se)->size, desz = T(du, de)->size;
	uint64_t n = scount < dcount ? scount : dcount;
	const struct stf_type_rec *SE = T(su, se), *DE = T(du, de);

	if (SE->hash == DE->hash && esz == desz && !x->cb_type && !x->cb_member) {
		const struct stf_layout *l = stf__layout(x->layouts, su, se);
		if (l && !l->nptrs) {
			memcpy(d, s, n * esz);
			goto truncated;
		}
	}
	for (uint64_t i = 0; i < n; i++) {
		size_t mark = path_push(x, "[%" PRIu64 "]", i);
		int r = xform(x, su, se, s + i * esz, du, de, d + i * desz, depth + 1);
		path_cut(x, mark);
		if (r < 0)
			return -1;
	}
truncated:
	for (uint64_t i = n; i < scount; i++)
		if (!all_zero(s + i * esz, esz)) {
			xfail(x, "%s: array shrinks from %" PRIu64 " to %" PRIu64 " elements and "
			      "element [%" PRIu64 "] is not empty; register a callback "
			      "(stf_on_member/stf_on_object) to transfer it", cur_path(x),
			      scount, dcount, i);
			return -1;
		}
	return 0;
}

/* Types are matched by name: a struct, union or enum whose tag changed
 * (and no rename says so) is another type. */
static int renamed_type(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
			const struct stf_meta_unit *du, uint32_t dt)
{
	const struct stf_type_rec *S = T(su, st), *D = T(du, dt);
	char a[256], b[256];
	if ((S->kind != STF_K_STRUCT && S->kind != STF_K_UNION && S->kind != STF_K_ENUM) ||
	    S->kind != D->kind || !S->name || !D->name)
		return 0;
	if (!strcmp(stf_meta_str(su, S->name), stf_meta_str(du, D->name)))
		return 0;
	if (!x->renames)
		return 1;
	type_str(su, st, a, sizeof(a));
	type_str(du, dt, b, sizeof(b));
	return strcmp(stf__rename(STF_RENAME_TYPE, a, x->dir), b) != 0;
}

static int xform(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st0,
		 const uint8_t *s, const struct stf_meta_unit *du, uint32_t dt0,
		 uint8_t *d, int depth)
{
	uint32_t st = strip(su, st0), dt = strip(du, dt0);
	char a[256], b[256];

	if (st >= su->ntypes || dt >= du->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *S = T(su, st), *D = T(du, dt);
	if (x->cb_type) {
		struct stf_cb cb;
		const struct stf_meta_unit *vu = x->dir == STF_FORWARD ? du : su;
		uint32_t vt0 = x->dir == STF_FORWARD ? dt0 : st0;
		uint32_t vt = x->dir == STF_FORWARD ? dt : st;
		if (!stf__cb_find_type(type_str(vu, vt0, a, sizeof(a)), x->dir, &cb) ||
		    (vt0 != vt && !stf__cb_find_type(type_str(vu, vt, a, sizeof(a)), x->dir, &cb))) {
			int r = run_value_cb(x, &cb, su, st0, s, S->size, du, dt0, d, D->size);
			if (r <= 0)
				return r;
		}
	}
	if (S->hash == D->hash && S->size == D->size && S->kind == D->kind && !x->cb_member)
		return copy_fast(x, su, st, s, d);
	if ((S->flags | D->flags) & STF_TF_OPAQUE) {
		if (S->size != D->size) {
			xfail(x, "%s: opaque type %s changed size (%" PRIu64 " -> %" PRIu64
			      "); register a callback", cur_path(x), type_str(du, dt, b, sizeof(b)),
			      S->size, D->size);
			return -1;
		}
		memcpy(d, s, S->size);
		return 0;
	}
	x->rep->type_transforms++;
	if (renamed_type(x, su, st, du, dt)) {
		xfail(x, "%s: %s became %s; if that is a rename, declare it with "
		      "stf_rename(STF_RENAME_TYPE, ...), else register a callback", cur_path(x),
		      type_str(su, st, a, sizeof(a)), type_str(du, dt, b, sizeof(b)));
		return -1;
	}
	switch (D->kind) {
	case STF_K_INT:
	case STF_K_ENUM:
	case STF_K_FLOAT:
		return convert_scalar(x, su, st, s, NULL, du, dt, d, NULL);
	case STF_K_POINTER:
		if (S->kind == STF_K_POINTER) {
			struct pointee pe = { su, S->target, NULL, 0 };
			uint32_t sp = strip(su, S->target), dp = strip(du, D->target);
			if (sp < su->ntypes && dp < du->ntypes &&
			    T(su, sp)->hash != T(du, dp)->hash) {
				pe.dunit = du;
				pe.dtype = D->target;
			}
			return reloc_into(x, s, d, &pe);
		}
		break;
	case STF_K_ARRAY:
		if (S->kind == STF_K_ARRAY)
			return xform_array(x, su, st, s, du, dt, d, S->count, D->count, depth);
		break;
	case STF_K_STRUCT:
		if (S->kind == STF_K_STRUCT)
			return xform_struct(x, su, st, s, du, dt, d, st, depth);
		break;
	case STF_K_UNION:
		if (S->kind == STF_K_UNION) {
			if ((S->flags & STF_TF_AMBIGUOUS) && union_holds_pointer(x, su, st, s)) {
				xfail(x, "%s: ambiguous %s holds a non-NULL value; annotate it with "
				      "STF_IXFER or STF_PXFER, or register a callback", cur_path(x),
				      type_str(su, st, a, sizeof(a)));
				return -1;
			}
			struct ucand uc[64];
			size_t nc = 0;
			int anon = 0;
			for (uint32_t i = 0; i < S->nmembers && nc < 64; i++) {
				const struct stf_member_rec *m = &su->members[S->members + i];
				const char *mn = stf_meta_str(su, m->name);
				uint64_t abs;
				if (!*mn) {
					anon = 1;
					break;
				}
				const struct stf_member_rec *dm =
					member_named(du, dt, member_dst_name(x, su, st, mn), &abs);
				if (dm)
					uc[nc++] = (struct ucand){ m, dm, (uint64_t)m->offset, abs };
			}
			if (!anon && nc) {
				int r = xform_union(x, su, s, 0, S->size, du, d, D->size, uc, nc,
						    type_str(su, st, a, sizeof(a)), depth);
				if (r <= 0)
					return r;
			}
			uint64_t n = S->size < D->size ? S->size : D->size;
			if (!all_zero(s + n, S->size - n)) {
				xfail(x, "%s: %s shrinks and its value does not fit; register a "
				      "callback", cur_path(x), type_str(su, st, a, sizeof(a)));
				return -1;
			}
			memcpy(d, s, n);
			/* kept as it was: a member annotated STF_PXFER in both
			 * versions holds a pointer or an integer (see layout_walk) */
			for (uint32_t i = 0; i < S->nmembers; i++) {
				const struct stf_member_rec *m = &su->members[S->members + i], *dm;
				uint32_t mt = strip(su, m->type);
				uint64_t abs;
				if (!(m->flags & STF_MF_PXFER) || m->bit_size || mt >= su->ntypes ||
				    T(su, mt)->size != 8 || !*stf_meta_str(su, m->name))
					continue;
				dm = member_named(du, dt, member_dst_name(x, su, st,
						  stf_meta_str(su, m->name)), &abs);
				if (dm && (dm->flags & STF_MF_PXFER) && abs == (uint64_t)m->offset &&
				    abs + 8 <= n && strip(du, dm->type) < du->ntypes &&
				    T(du, strip(du, dm->type))->size == 8)
					return reloc_into(x, s + abs, d + abs, NULL);
			}
			return 0;
		}
		break;
	case STF_K_COMPLEX:
	case STF_K_VECTOR:
		if (S->kind == D->kind && S->size == D->size) {
			memcpy(d, s, S->size);
			return 0;
		}
		break;
	default:
		break;
	}
	xfail(x, "%s: cannot convert %s to %s automatically; register a callback "
	      "(stf_on_member/stf_on_type/stf_on_object)", cur_path(x),
	      type_str(su, st, a, sizeof(a)), type_str(du, dt, b, sizeof(b)));
	return -1;
}

/* Flexible array member at the end of struct t: its element type and offset. */
static int flex_tail(const struct stf_meta_unit *u, uint32_t t, uint32_t *elem, uint64_t *off)
{
	t = strip(u, t);
	if (t >= u->ntypes || T(u, t)->kind != STF_K_STRUCT || !T(u, t)->nmembers)
		return 0;
	const struct stf_member_rec *m = &u->members[T(u, t)->members + T(u, t)->nmembers - 1];
	if (!is_flexible(u, m->type))
		return 0;
	*elem = strip(u, T(u, strip(u, m->type))->target);
	*off = m->offset;
	return *elem < u->ntypes;
}

/* Destination size of a dynamic object: the element count is kept; a
 * flexible array member keeps its number of trailing elements. */
static uint64_t dst_size(const struct stf_obj *so, const struct stf_meta_unit *du, uint32_t dt)
{
	if (!so->unit || !du)
		return so->size;
	uint32_t st = strip(so->unit, so->type);
	dt = strip(du, dt);
	uint64_t esz = T(so->unit, st)->size, desz = T(du, dt)->size;
	uint32_t se, de;
	uint64_t soff, doff;
	if (flex_tail(so->unit, st, &se, &soff) && flex_tail(du, dt, &de, &doff)) {
		uint64_t sesz = T(so->unit, se)->size, desz2 = T(du, de)->size;
		uint64_t n = sesz && so->size > soff ? (so->size - soff) / sesz : 0;
		uint64_t sz = doff + n * desz2;
		return sz < desz ? desz : sz;
	}
	if (!esz)
		return so->size;
	if (esz == desz && T(so->unit, st)->hash == T(du, dt)->hash)
		return so->size; /* unchanged: trailing bytes too */
	return so->size / esz * desz + (so->size % esz ? desz : 0);
}

/* What a raw word points to in the source: an object or an image mapping. */
static const char *raw_target(struct stf_xfer *x, uint64_t v, char *buf, size_t len)
{
	const struct stf_peer *p = x->src;
	const struct stf_range *r = stf__index_find(&p->index, v, 0);
	char on[256];
	if (r) {
		const struct stf_obj *t = &p->objs[r->value];
		static const char *const kinds[] = {
			[STF_OBJ_STATIC] = "static", [STF_OBJ_CONST] = "constant",
			[STF_OBJ_FUNC] = "function", [STF_OBJ_STRING] = "string literal",
			[STF_OBJ_HEAP] = "heap object", [STF_OBJ_MMAP] = "mapping",
			[STF_OBJ_USER] = "object", [STF_OBJ_LOCAL] = "local",
		};
		snprintf(buf, len, "%s %s", t->kind <= STF_OBJ_LOCAL && kinds[t->kind] ?
			 kinds[t->kind] : "object", obj_name(t, on, sizeof(on)));
		return buf;
	}
	r = stf__peer_image_find(p, v);
	if (r) {
		snprintf(buf, len, "%s", p->libs[r->value].path);
		return buf;
	}
	return NULL;
}

/* The first word of o's bytes [from, to) (at 8-aligned addresses) that
 * holds an address of the source's image or of one of its objects: 1 with
 * *at, *val and what set, else 0. */
static int find_raw_pointer(struct stf_xfer *x, const struct stf_obj *o, uint64_t from,
			    uint64_t to, uint64_t *at, uint64_t *val, char *what, size_t len)
{
	if (!o->bytes)
		return 0;
	from += (8 - ((o->addr + from) & 7)) & 7;
	for (uint64_t off = from; off + 8 <= to; off += 8) {
		uint64_t v;
		memcpy(&v, o->bytes + off, 8);
		if (stf__not_a_pointer(v))
			continue; /* small integers, kernel half: no user address */
		if (raw_target(x, v, what, len)) {
			*at = off;
			*val = v;
			return 1;
		}
	}
	return 0;
}

/* The first typed value of the source holding a pointer into o: its path
 * in buf ("main.c:logf", "main.c:init/conns#0@3.log"); 0, or -1 if none.
 * (Only on the way to an error: it looks at every pointer.) */
static int find_referrer(struct stf_xfer *x, const struct stf_obj *o, char *buf, size_t len)
{
	const struct stf_peer *p = x->src;
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *r = &p->objs[i];
		if (!r->unit || !r->bytes || (r->flags & (STF_OBJF_INTERNAL | STF_OBJF_IXFER)) ||
		    (r->kind != STF_OBJ_STATIC && r->kind != STF_OBJ_LOCAL && !is_dynamic(r)))
			continue;
		const struct stf_layout *l = stf__layout(x->layouts, r->unit, r->type);
		if (!l || !l->nptrs || !l->size)
			continue;
		uint64_t count = is_dynamic(r) && r->size >= l->size ? r->size / l->size : 1;
		for (uint64_t e = 0; e < count; e++)
			for (size_t k = 0; k < l->n; k++) {
				const struct stf_leaf *f = &l->leaves[k];
				uint64_t v;
				if (f->kind != STF_LEAF_PTR && f->kind != STF_LEAF_PXFER)
					continue;
				memcpy(&v, r->bytes + e * l->size + f->off, 8);
				if (v - o->addr >= o->size)
					continue;
				uint32_t lt;
				size_t n;
				obj_name(r, buf, len);
				n = strlen(buf);
				if (count > 1 && n < len)
					n += snprintf(buf + n, len - n, "[%" PRIu64 "]", e);
				stf__type_path(r->unit, r->type, f->off, buf, len, &lt);
				return 0;
			}
	}
	return -1;
}

/*
 * An object copied as raw bytes (no type says where its pointers are):
 * a word holding an address of the source's image or of one of its
 * objects would reach the destination unrelocated, and the new version
 * would follow it into the old one's memory.  Such a transfer is refused.
 */
static int check_raw(struct stf_xfer *x, const struct stf_obj *o)
{
	char on[256], what[512], wrapper[160] = "";
	uint64_t off, v;

	if (!find_raw_pointer(x, o, 0, o->size, &off, &v, what, sizeof(what)))
		return 0;
	if (o->dyn_id && (o->flags & STF_OBJF_EXTERNAL)) {
		/* a block of uninstrumented code ("libc.so.6+0x761fb"): the
		 * user has no allocator wrapper to annotate there */
		char lib[128], from[400] = "";
		const char *plus = strchr(o->id, '+');
		snprintf(lib, sizeof(lib), "%.*s", plus ? (int)(plus - o->id) : (int)strlen(o->id),
			 o->id);
		if (find_referrer(x, o, from + 6, sizeof(from) - 6) == 0)
			memcpy(from, " from ", 6);
		xfail(x, "%s: untyped block allocated inside %s (%" PRIu64 " bytes) is "
		      "pointed to%s, but its offset %" PRIu64 " holds 0x%" PRIx64 ", a "
		      "pointer into %s (stale in the new version): pointers to memory a "
		      "library allocated for itself cannot be transferred; keep that pointer "
		      "out of the state (STF_IXFER) or register a callback (stf_on_object) "
		      "for the object holding it", obj_name(o, on, sizeof(on)), lib, o->size,
		      *from ? from : " from typed state", off, v, what);
		return -1;
	}
	/* a site "file.c:func/return#n" is inside an allocator wrapper */
	const char *colon = strchr(o->id, ':');
	const char *slash = colon ? strchr(colon, '/') : NULL;
	if (slash && slash > colon + 1 && !strncmp(slash, "/return#", 8))
		snprintf(wrapper, sizeof(wrapper), " %.*s (on its declaration)",
			 (int)(slash - colon - 1 > 100 ? 100 : slash - colon - 1), colon + 1);
	if (o->dyn_id)
		xfail(x, "%s: untyped block (site %s, dynamic ID %" PRIu64 ", %" PRIu64
		      " bytes) is copied as raw bytes, but offset %" PRIu64 " holds "
		      "0x%" PRIx64 ", a pointer into %s of the old version that would "
		      "be stale in the new one; annotate the allocator wrapper%s with "
		      "STF_ALLOCATOR (so the block gets the type of its allocation), "
		      "or the type holding these bytes with STF_IXFER if they are not "
		      "pointers", obj_name(o, on, sizeof(on)), *o->id ? o->id : "unknown",
		      o->dyn_id, o->size, off, v, what, wrapper);
	else
		xfail(x, "%s: untyped object (%" PRIu64 " bytes) is copied as raw bytes, "
		      "but offset %" PRIu64 " holds 0x%" PRIx64 ", a pointer into %s of "
		      "the old version that would be stale in the new one; annotate it "
		      "with STF_IXFER if these bytes are not pointers", o->id, o->size,
		      off, v, what);
	return -1;
}

/* The same for the bytes of a typed block past its last whole element
 * (malloc(sizeof(T) + extra)), which no type describes either. */
static int check_raw_tail(struct stf_xfer *x, const struct stf_obj *o, uint64_t from)
{
	char tn[256], what[512];
	uint64_t off, v;

	if (from >= o->size ||
	    !find_raw_pointer(x, o, from, o->size, &off, &v, what, sizeof(what)))
		return 0;
	xfail(x, "%s: the %" PRIu64 " bytes after its last whole %s are copied as raw "
	      "bytes, but offset %" PRIu64 " holds 0x%" PRIx64 ", a pointer into %s of "
	      "the old version that would be stale in the new one; declare them as a "
	      "flexible array member of the type, or register a callback (stf_on_object)",
	      cur_path(x), o->size - from, type_str(o->unit, o->type, tn, sizeof(tn)), off,
	      v, what);
	return -1;
}

/*
 * Large heap blocks of pointer-free types are not fetched with the rest
 * of the past version's state (STF_OBJF_DEFER): the plain copies among
 * them are read straight into their new objects by flush_direct, which
 * saves staging them (page faults) and copying them a second time.  From
 * about 1 KiB on, that is cheaper than the extra iovec each costs.
 */
#define DIRECT_MIN 1024

static int mark_direct(struct stf_peer *src, char *err, size_t errlen)
{
	struct stf_arena *a = stf__arena_new();
	struct stf_layouts *ls = a ? stf__layouts_new(a) : NULL;

	if (!ls) {
		stf__arena_free(a);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < src->nobjs; i++) {
		struct stf_obj *o = &src->objs[i];
		if (o->kind != STF_OBJ_HEAP || !o->unit || o->size < DIRECT_MIN ||
		    (o->flags & (STF_OBJF_IXFER | STF_OBJF_PXFER | STF_OBJF_INTERNAL |
				 STF_OBJF_EXTERNAL | STF_OBJF_STREAM)))
			continue;
		const struct stf_layout *l = stf__layout(ls, o->unit, o->type);
		if (!l) {
			stf__arena_free(a);
			snprintf(err, errlen, "out of memory building the layout of a type");
			return -1;
		}
		if (l->size && !l->nptrs && o->size % l->size == 0)
			o->flags |= STF_OBJF_DEFER;
	}
	stf__arena_free(a);
	return 0;
}

/* A deferred object that xfer_object copies whole (the unchanged-type,
 * pointer-free case): queued for flush_direct.  0 if it is not one, or if
 * callbacks may look at the destination before the flush. */
static int direct_copy(struct stf_xfer *x, size_t i, int64_t j)
{
	const struct stf_obj *so = &x->src->objs[i], *dobj = &x->dst->objs[j];
	uint32_t se, de;
	uint64_t off;

	if (!x->dst->self || !x->pair[i].same || x->cb_type || x->cb_member || x->cb_object || !dobj->unit ||
	    so->size != dobj->size || dobj->kind != STF_OBJ_HEAP ||
	    flex_tail(so->unit, strip(so->unit, so->type), &se, &off) ||
	    flex_tail(dobj->unit, strip(dobj->unit, dobj->type), &de, &off))
		return 0;
	const struct stf_layout *l = stf__layout(x->layouts, so->unit, so->type);
	if (!l || l->nptrs || !l->size || so->size % l->size)
		return 0;
	x->pair[i].direct = 1;
	return 1;
}

/* The bytes of a deferred object xfer_object transforms. */
static const uint8_t *fetch_deferred(struct stf_xfer *x, struct stf_obj *so)
{
	uint8_t *b = stf__arena_alloc(x->arena, so->size);
	if (!b) {
		xfail(x, "out of memory reading %s", cur_path(x));
		return NULL;
	}
	if (stf__peer_read(x->src, so->addr, b, so->size) < 0) {
		xfail(x, "%s: cannot read its %" PRIu64 " bytes at 0x%" PRIx64 ": %s",
		      cur_path(x), so->size, so->addr, strerror(errno));
		return NULL;
	}
	so->bytes = b;
	return b;
}

/* Read the objects direct_copy queued, IOV_MAX per system call. */
static int flush_direct(struct stf_xfer *x)
{
	struct iovec liov[IOV_MAX], riov[IOV_MAX];
	size_t i = 0, n = x->src->nobjs;

	while (i < n) {
		size_t k = 0, total = 0, first = i;
		for (; i < n && k < IOV_MAX; i++) {
			const struct stf_obj *so = &x->src->objs[i];
			if (!x->pair[i].direct)
				continue;
			liov[k].iov_base = x->img[x->pair[i].dst];
			riov[k].iov_base = (void *)(uintptr_t)so->addr;
			liov[k].iov_len = riov[k].iov_len = so->size;
			total += so->size;
			k++;
		}
		ssize_t r = k ? process_vm_readv(x->src->pid, liov, k, riov, k, 0) : 0;
		if (r >= 0 && (size_t)r == total)
			continue;
		/* name the object that could not be read */
		for (size_t q = first; q < i; q++) {
			const struct stf_obj *so = &x->src->objs[q];
			if (x->pair[q].direct &&
			    stf__peer_read(x->src, so->addr, x->img[x->pair[q].dst], so->size) < 0) {
				char on[256];
				xfail(x, "%s: cannot read its %" PRIu64 " bytes at 0x%" PRIx64 ": %s",
				      obj_name(so, on, sizeof(on)), so->size, so->addr,
				      strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

static int xfer_object(struct stf_xfer *x, size_t i, int64_t j)
{
	struct stf_obj *so = &x->src->objs[i], trimmed;
	const struct stf_obj *dobj = &x->dst->objs[j];
	const uint8_t *s = so->bytes;
	uint8_t *d = x->img[j];
	int r = 1;

	path_cut(x, 0);
	x->obj = so;
	x->elem = UINT64_MAX;
	x->keep_orig = NULL;
	if (!s) {
		if (direct_copy(x, i, j))
			return 0;
		if (!(s = fetch_deferred(x, so)))
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
	/* added members and grown arrays stay zero; a value of an unchanged
	 * type is copied whole */
	if (!x->pair[i].same || so->size != dobj->size || !is_dynamic(so))
		memset(d, 0, dobj->size);
	if (x->cb_object && (so->kind == STF_OBJ_STATIC || so->kind == STF_OBJ_LOCAL)) {
		struct stf_cb cb;
		const char *vid = x->dir == STF_FORWARD ? dobj->id : so->id;
		if (!stf__cb_find_object(vid, x->dir, &cb))
			r = run_value_cb(x, &cb, so->unit, so->type, s, so->size,
					 dobj->unit, dobj->type, d, dobj->size);
		if (r <= 0)
			return r;
	}
	if (!so->unit || !dobj->unit || (so->flags & STF_OBJF_IXFER)) {
		if (!(so->flags & STF_OBJF_IXFER) && check_raw(x, so) < 0)
			return -1;
		memcpy(d, s, so->size < dobj->size ? so->size : dobj->size);
		return 0;
	}
	if (so->flags & STF_OBJF_PXFER) {
		if (so->size != 8 || dobj->size != 8) {
			xfail(x, "%s: STF_PXFER object is not pointer-sized", cur_path(x));
			return -1;
		}
		return reloc_into(x, s, d, NULL);
	}
	uint32_t st = strip(so->unit, so->type), dt = strip(dobj->unit, dobj->type);
	uint64_t esz = T(so->unit, st)->size, desz = T(dobj->unit, dt)->size;
	uint32_t se, de;
	uint64_t soff, doff;
	if (so->kind == STF_OBJ_STATIC || so->kind == STF_OBJ_LOCAL || !esz)
		return xform(x, so->unit, so->type, s, dobj->unit, dobj->type, d, 0);
	if (flex_tail(so->unit, st, &se, &soff) && flex_tail(dobj->unit, dt, &de, &doff)) {
		if (xform(x, so->unit, st, s, dobj->unit, dt, d, 0) < 0)
			return -1;
		uint64_t sesz = T(so->unit, se)->size, desz2 = T(dobj->unit, de)->size;
		uint64_t n = sesz && so->size > soff ? (so->size - soff) / sesz : 0;
		uint32_t flex_member = T(so->unit, st)->members + T(so->unit, st)->nmembers - 1;
		size_t mark = path_push(x, ".%s", stf_meta_str(so->unit,
					so->unit->members[flex_member].name));
		for (uint64_t k = 0; k < n && doff + (k + 1) * desz2 <= dobj->size; k++) {
			size_t m2 = path_push(x, "[%" PRIu64 "]", k);
			int rr = xform(x, so->unit, se, s + soff + k * sesz, dobj->unit, de,
				       d + doff + k * desz2, 1);
			path_cut(x, m2);
			if (rr < 0)
				return -1;
		}
		path_cut(x, mark);
		return 0;
	}
	uint64_t count = so->size / esz;
	if (so->kind == STF_OBJ_MMAP && desz && count * desz > dobj->size) {
		/* a mapping given back its old, smaller size (fwd_mappings):
		 * the elements that do not fit were checked to be zero */
		count = dobj->size / desz;
		if (!all_zero(s + count * esz, so->size - count * esz)) {
			xfail(x, "%s: the elements from %" PRIu64 " on do not fit in the "
			      "destination's mapping of %" PRIu64 " bytes", cur_path(x), count,
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
			xfail(x, "out of memory building the layout of a type");
			return -1;
		}
		if (!l->nptrs) {
			if (check_raw_tail(x, so, count * esz) < 0)
				return -1;
			memcpy(d, s, so->size);
			return 0;
		}
	}
	for (uint64_t k = 0; k < count; k++) {
		x->elem = count > 1 ? k : UINT64_MAX;
		if (xform(x, so->unit, st, s + k * esz, dobj->unit, dt, d + k * desz, 0) < 0)
			return -1;
	}
	x->elem = UINT64_MAX;
	/* bytes past the last whole element (malloc(sizeof(T) + extra)) */
	uint64_t rem = so->size - count * esz;
	if (rem && count * desz + rem <= dobj->size &&
	    esz == desz && T(so->unit, st)->hash == T(dobj->unit, dt)->hash) {
		if (check_raw_tail(x, so, count * esz) < 0)
			return -1;
		memcpy(d + count * desz, s + count * esz, rem);
	} else if (rem && !all_zero(s + count * esz, rem)) {
		char tn[256];
		xfail(x, "%s: %" PRIu64 " bytes after its last whole %s (%" PRIu64 " bytes) "
		      "cannot follow the type change; register a callback", cur_path(x), rem,
		      type_str(so->unit, st, tn, sizeof(tn)), esz);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Messages between F (backward transfer) and R (serve).  Each message  */
/* is a header and at most MSG_MAX payload bytes, sent in one write: a  */
/* SOCK_SEQPACKET socket keeps the boundaries, a stream is re-framed.   */

enum msg_type {
	M_FRAME_REQ = 1, /* F -> R: which frame are you parked in? */
	M_FRAME,         /* R -> F: struct stf_parked_frame */
	M_ALLOC,         /* F -> R: [u64 size, u64 id, u32 len, site[len]]... */
	M_ADDRS,         /* R -> F: u64 address per requested object */
	M_ZERO,          /* F -> R: [u64 addr, u64 size]...: zero and record */
	M_OK,            /* R -> F */
	M_DONE,          /* F -> R: u32 status (0 ok), error text */
	M_ERROR,         /* R -> F: error text */
	M_MMAP,          /* F -> R: [u64 size, u64 id, u32 prot, u32 len, site[len]]...:
	                    create mappings (writable until M_DONE), reply M_ADDRS */
	M_STREAM,        /* F -> R: i32 fd, i32 buffering, char mode[4], pending
	                    output...: re-create a stdio stream, reply M_ADDRS (one) */
};

#define MSG_MAX 65536u

struct msg_hdr {
	uint32_t type;
	uint32_t len;
};

static int conn_is_stream(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return 1; /* a pipe or socketpair of unknown kind: frame it */
	return type == SOCK_STREAM;
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t r = send(fd, b, n, MSG_NOSIGNAL);
		if (r < 0 && errno == ENOTSOCK)
			r = write(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int msg_send(int fd, uint32_t type, const void *p, uint32_t len)
{
	static __thread uint8_t buf[sizeof(struct msg_hdr) + MSG_MAX];
	struct msg_hdr h = { type, len };
	if (len > MSG_MAX)
		return errno = EMSGSIZE, -1;
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), p, len);
	return write_all(fd, buf, sizeof(h) + len);
}

/* Receive into buf (MSG_MAX bytes); -1 on error or a malformed message. */
static int msg_recv(int fd, uint32_t *type, void *buf, uint32_t *len)
{
	static __thread uint8_t tmp[sizeof(struct msg_hdr) + MSG_MAX];
	struct msg_hdr h;
	if (conn_is_stream(fd)) {
		if (read_all(fd, &h, sizeof(h)) < 0 || h.len > MSG_MAX ||
		    read_all(fd, buf, h.len) < 0)
			return -1;
	} else {
		ssize_t r;
		do
			r = recv(fd, tmp, sizeof(tmp), 0);
		while (r < 0 && errno == EINTR);
		if (r < (ssize_t)sizeof(h))
			return -1;
		memcpy(&h, tmp, sizeof(h));
		if (h.len != (size_t)r - sizeof(h))
			return -1;
		memcpy(buf, tmp + sizeof(h), h.len);
	}
	*type = h.type;
	*len = h.len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pairing and allocation.                                             */

struct alloc_req {
	size_t src;            /* source object */
	uint64_t size, id;
	const char *site;
	const struct stf_meta_unit *unit;
	uint32_t type;
	int prot;              /* a mapping's protection; -1: a heap block */
	uint8_t align_lg;      /* a heap block's alignment (memalign & co.) */
};

/* The protection of the pages [addr, addr+size) of process pid, from
 * /proc/PID/maps: PROT_*, -1 if it cannot be read or a page is not mapped,
 * -2 if the pages have different protections, -3 if they are shared. */
static int mapping_prot(pid_t pid, uint64_t addr, uint64_t size)
{
	char path[64], line[512];
	int prot = -1;
	uint64_t covered = addr; /* the pages below are accounted for */
	size_t have = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (covered < addr + size) {
		ssize_t r = read(fd, line + have, sizeof(line) - 1 - have);
		if (r <= 0 && !have)
			break;
		have += r > 0 ? (size_t)r : 0;
		line[have] = 0;
		char *nl = strchr(line, '\n');
		if (!nl && have < sizeof(line) - 1 && r > 0)
			continue;
		if (nl)
			*nl = 0;
		unsigned long long lo, hi;
		char perm[5];
		if (sscanf(line, "%llx-%llx %4s", &lo, &hi, perm) == 3 && covered >= lo &&
		    covered < hi) {
			int p = (perm[0] == 'r' ? PROT_READ : 0) | (perm[1] == 'w' ? PROT_WRITE : 0) |
				(perm[2] == 'x' ? PROT_EXEC : 0);
			if (perm[3] == 's') {
				prot = -3;
				break;
			}
			if (prot >= 0 && p != prot) {
				prot = -2;
				break;
			}
			prot = p;
			covered = hi;
		}
		/* the rest of the buffer (an over-long line is skipped) */
		size_t used = nl ? (size_t)(nl + 1 - line) : have;
		memmove(line, line + used, have - used);
		have -= used;
	}
	close(fd);
	return prot < -1 || covered >= addr + size ? prot : -1;
}

static int is_dynamic(const struct stf_obj *o)
{
	return o->kind == STF_OBJ_HEAP || o->kind == STF_OBJ_MMAP || o->kind == STF_OBJ_USER;
}

/* Untyped objects of uninstrumented code are transferred only when typed
 * state points into them (see stf__peer_infer_types). */
static int scan_untyped(struct stf_xfer *x)
{
	uint8_t *reached = stf__raw_malloc(x->src->nobjs + 1);
	if (!reached || stf__peer_infer_types(x->src, x->layouts, reached) < 0) {
		stf__raw_free(reached);
		xfail(x, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < x->src->nobjs; i++)
		x->pair[i].needed = reached[i];
	stf__raw_free(reached);
	return 0;
}

static const char *first_plugin_site(const struct stf_peer *p)
{
	for (size_t u = 0; u < p->meta->nunits; u++)
		if (p->meta->units[u].nsites)
			return stf_meta_str(&p->meta->units[u], p->meta->units[u].sites[0].id);
	return NULL;
}

/* Ask R for objects (heap blocks with M_ALLOC, mappings with M_MMAP);
 * fills addrs. */
static int remote_alloc(struct stf_xfer *x, const struct alloc_req *req, size_t n,
			uint64_t *addrs)
{
	static __thread uint8_t buf[MSG_MAX];
	size_t i = 0;
	while (i < n) {
		size_t pos = 0, first = i;
		int mapping = req[first].prot >= 0;
		size_t hs = mapping ? 24 : 20;
		for (; i < n && (req[i].prot >= 0) == mapping; i++) {
			uint32_t sl = (uint32_t)strlen(req[i].site);
			if (pos + hs + sl > MSG_MAX)
				break;
			memcpy(buf + pos, &req[i].size, 8);
			memcpy(buf + pos + 8, &req[i].id, 8);
			if (mapping) {
				uint32_t prot = (uint32_t)req[i].prot;
				memcpy(buf + pos + 16, &prot, 4);
			}
			memcpy(buf + pos + hs - 4, &sl, 4);
			memcpy(buf + pos + hs, req[i].site, sl);
			pos += hs + sl;
		}
		if (i == first) {
			xfail(x, "site ID too long: %s", req[i].site);
			return -1;
		}
		uint32_t type, len;
		if (msg_send(x->conn, mapping ? M_MMAP : M_ALLOC, buf, (uint32_t)pos) < 0 ||
		    msg_recv(x->conn, &type, buf, &len) < 0) {
			xfail(x, "backward transfer: connection to the reversed version lost "
			      "while allocating objects: %s", strerror(errno));
			return -1;
		}
		if (type == M_ERROR) {
			xfail(x, "reversed version: %.*s", (int)len, (const char *)buf);
			return -1;
		}
		if (type != M_ADDRS || len != (i - first) * 8) {
			xfail(x, "backward transfer: malformed reply from the reversed version");
			return -1;
		}
		memcpy(addrs + first, buf, len);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* stdio streams: a FILE libc allocated is re-created, not copied.      */

/*
 * Re-create a stream of the other version in this process on the same
 * file descriptor (inherited), with its mode and buffering, and its
 * pending output put back into the buffer, not written: the file changes
 * only when the new owner flushes, after the commit; on a rollback this
 * process dies and the old version still holds the bytes.  NULL with a
 * message in err.  (A stream made before a failure is left open: closing
 * it would flush it, and the process is discarded anyway.)
 */
static FILE *stream_create(int fd, const char *mode, int buffering, const void *pending,
			   size_t n, char *err, size_t errlen)
{
	FILE *f = fdopen(fd, mode);
	if (!f) {
		snprintf(err, errlen, "cannot re-create the stdio stream on file descriptor "
			 "%d: fdopen(%d, \"%s\"): %s%s", fd, fd, mode, strerror(errno),
			 errno == EBADF ? " (not inherited by this version: was it opened "
			 "close-on-exec, fopen(path, \"...e\") or O_CLOEXEC?)" : "");
		return NULL;
	}
	/* full buffering allocates the buffer now, so its size is known
	 * before anything is put in it; other modes keep it */
	if (setvbuf(f, NULL, _IOFBF, 0) != 0 ||
	    (buffering != _IOFBF && setvbuf(f, NULL, buffering, 0) != 0)) {
		snprintf(err, errlen, "cannot set the buffering of the stdio stream "
			 "re-created on file descriptor %d", fd);
		return NULL;
	}
	if (!n)
		return f;
	if (buffering == _IONBF || n > __fbufsize(f)) {
		snprintf(err, errlen, "the %zu bytes of pending output of the stdio stream on "
			 "file descriptor %d do not fit in the re-created stream's buffer "
			 "(%zu bytes)", n, fd, buffering == _IONBF ? (size_t)0 : __fbufsize(f));
		return NULL;
	}
	/* all but the last byte, then the last: glibc's fwrite writes a
	 * whole buffer's worth directly to the file instead of buffering it */
	if (fwrite(pending, 1, n - 1, f) != n - 1 ||
	    fputc(((const unsigned char *)pending)[n - 1], f) == EOF || __fpending(f) != n) {
		snprintf(err, errlen, "the pending output of the stdio stream on file "
			 "descriptor %d could not be kept in the re-created stream's buffer "
			 "(%zu of %zu bytes there)", fd, __fpending(f), n);
		return NULL;
	}
	return f;
}

/* Is descriptor fd of process a the same open file as fd of process b
 * (inherited, not a number reused for something else)?  1 or 0. */
static int same_open_file(pid_t a, pid_t b, int fd)
{
	long r = syscall(SYS_kcmp, a, b, KCMP_FILE, fd, fd);
	if (r >= 0 || errno != ENOSYS)
		return r == 0;
	/* a kernel without kcmp: at least the same file */
	char pa[64], pb[64];
	struct stat sa, sb;
	snprintf(pa, sizeof(pa), "/proc/%d/fd/%d", (int)a, fd);
	snprintf(pb, sizeof(pb), "/proc/%d/fd/%d", (int)b, fd);
	return stat(pa, &sa) == 0 && stat(pb, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Ask R to re-create a stream (M_STREAM); its address in *addr. */
static int remote_stream(struct stf_xfer *x, const struct stf_stream *st,
			 const uint8_t *pending, uint64_t *addr)
{
	static __thread uint8_t buf[MSG_MAX];
	int32_t fd = st->fd, buffering = st->buffering;
	uint32_t type, len;

	if (12 + st->pending > MSG_MAX) {
		xfail(x, "%s: the stdio stream on file descriptor %d holds %" PRIu64 " bytes "
		      "of pending output, more than the transfer connection carries at once "
		      "(%u); re-creating it is not implemented", cur_path(x), st->fd,
		      st->pending, MSG_MAX - 12);
		return -1;
	}
	memcpy(buf, &fd, 4);
	memcpy(buf + 4, &buffering, 4);
	memcpy(buf + 8, st->mode, 4);
	if (st->pending)
		memcpy(buf + 12, pending, st->pending);
	if (msg_send(x->conn, M_STREAM, buf, (uint32_t)(12 + st->pending)) < 0 ||
	    msg_recv(x->conn, &type, buf, &len) < 0) {
		xfail(x, "backward transfer: connection to the reversed version lost while "
		      "re-creating a stdio stream: %s", strerror(errno));
		return -1;
	}
	if (type == M_ERROR) {
		xfail(x, "%s: reversed version: %.*s", cur_path(x), (int)len, (const char *)buf);
		return -1;
	}
	if (type != M_ADDRS || len != 8) {
		xfail(x, "backward transfer: malformed reply from the reversed version");
		return -1;
	}
	memcpy(addr, buf, 8);
	return 0;
}

/* The destination's stream for the source's stream object i, made on the
 * first pointer to it (the pairing keeps it: one stream however many
 * pointers). */
static int64_t stream_target(struct stf_xfer *x, size_t i)
{
	struct pairing *p = &x->pair[i];
	const struct stf_obj *o = &x->src->objs[i];
	struct stf_stream st;
	char on[256], err[512];
	uint64_t addr = 0;

	p->dst = PAIR_NONE;
	obj_name(o, on, sizeof(on));
	if (stf__peer_stream(x->src, o->addr, &st) < 0) {
		xfail(x, "%s: points to %s, taken for a stdio stream (FILE *), but no "
		      "stdio stream is there (%s)", cur_path(x), on, strerror(errno));
		return -1;
	}
	if (st.wide) {
		xfail(x, "%s: points to a wide-oriented stdio stream (%s, file descriptor "
		      "%d); re-creating wide streams is not implemented", cur_path(x), on,
		      st.fd);
		return -1;
	}
	if (!st.file) {
		xfail(x, "%s: points to a stdio stream (%s) that is not on a file "
		      "descriptor of its own (popen, fmemopen, open_memstream or "
		      "fopencookie made it); re-creating such streams is not implemented",
		      cur_path(x), on);
		return -1;
	}
	if (st.unread) {
		xfail(x, "%s: points to a stdio stream (%s, file descriptor %d, mode \"%s\") "
		      "holding %" PRIu64 " bytes of buffered input not read yet: the new "
		      "version's stream cannot get them without moving the file offset the "
		      "old version shares, which a rollback would find moved; read the "
		      "input to the end of the buffer before the update point, or make the "
		      "stream unbuffered (setvbuf(f, NULL, _IONBF, 0))", cur_path(x), on,
		      st.fd, st.mode, st.unread);
		return -1;
	}
	if (!same_open_file(x->src->pid, x->dst->pid, st.fd)) {
		xfail(x, "%s: points to a stdio stream (%s) on file descriptor %d, which "
		      "the %s version did not inherit (was it opened close-on-exec, "
		      "fopen(path, \"...e\") or O_CLOEXEC?); re-creating the stream needs "
		      "the same open file", cur_path(x), on, st.fd,
		      x->dir == STF_FORWARD ? "new" : "reversed");
		return -1;
	}
	uint8_t *pending = st.pending ? stf__arena_alloc(x->arena, st.pending) : NULL;
	if (st.pending && (!pending ||
			   stf__peer_read(x->src, st.pending_addr, pending, st.pending) < 0)) {
		xfail(x, "%s: cannot read the %" PRIu64 " bytes of pending output of the "
		      "stdio stream %s (file descriptor %d)", cur_path(x), st.pending, on, st.fd);
		return -1;
	}
	if (x->dst->self) {
		FILE *f = stream_create(st.fd, st.mode, st.buffering, pending, st.pending,
					err, sizeof(err));
		if (!f) {
			xfail(x, "%s: %s", cur_path(x), err);
			return -1;
		}
		addr = (uint64_t)(uintptr_t)f;
	} else if (remote_stream(x, &st, pending, &addr) < 0) {
		return -1;
	}
	struct stf_obj d = *o;
	d.addr = addr;
	d.unit = NULL;
	d.bytes = NULL;
	int64_t j = dst_add(x, &d);
	if (j < 0) {
		xfail(x, "out of memory");
		return -1;
	}
	p->dst = j;
	p->dst_addr = addr;
	p->same = 1; /* the same libc: a member of the FILE is where it was */
	return j;
}

static int add_protect(struct stf_xfer *x, uint64_t addr, uint64_t size, int prot)
{
	struct stf_range *n = stf__raw_realloc(x->protect, (x->nprotect + 1) * sizeof(*n));
	if (!n)
		return -1;
	x->protect = n;
	n[x->nprotect++] = (struct stf_range){ addr, size, (uint64_t)prot };
	return 0;
}

/* Give the mappings created writable their protection. */
static int apply_protect(const struct stf_range *r, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (mprotect((void *)(uintptr_t)r[i].start, r[i].size, (int)r[i].value) < 0) {
			snprintf(err, errlen, "cannot set the protection of the mapping at "
				 "0x%" PRIx64 " (%" PRIu64 " bytes): %s", r[i].start, r[i].size,
				 strerror(errno));
			return -1;
		}
	return 0;
}

/* Backward: the size of the old version's mapping that the forward
 * transfer turned into o, if o's elements of type (du, dt) fit in it (the
 * rest are zero), else `size`. */
static uint64_t old_mapping_size(const struct stf_obj *o, const struct stf_meta_unit *du,
				 uint32_t dt, uint64_t size)
{
	const struct stf_range *r = stf__index_find(&fwd_mappings, o->addr, 0);
	if (!r || r->start != o->addr || r->size != o->size || r->value >= size ||
	    !o->unit || !du || !o->bytes)
		return size;
	uint64_t esz = T(o->unit, strip(o->unit, o->type))->size;
	uint64_t desz = T(du, strip(du, dt))->size;
	uint64_t fit = desz ? r->value / desz * esz : 0;
	if (!esz || fit > o->size || !all_zero(o->bytes + fit, o->size - fit))
		return size;
	return r->value;
}

/* The destination's ID of an allocation site, "file.c:func/dest#n": the
 * site's own rename (stf_rename(STF_RENAME_OBJECT, old site, new site)),
 * else the renames of the type and member ("struct T.member") or of the
 * variable (file.c:name) that dest names, so the objects of a site
 * storing into a renamed type still pair. */
static const char *site_dst_id(struct stf_xfer *x, const char *id)
{
	const char *r, *colon, *slash, *hash;
	char dest[256], ren[512], brackets[16] = "";
	size_t dl, bl = 0;

	if (!x->renames)
		return id;
	r = stf__rename(STF_RENAME_OBJECT, id, x->dir);
	if (r != id)
		return r;
	colon = strchr(id, ':');
	slash = colon ? strchr(colon, '/') : NULL;
	hash = strrchr(id, '#');
	if (!slash || !hash || hash < slash || (dl = (size_t)(hash - slash - 1)) >= sizeof(dest))
		return id;
	memcpy(dest, slash + 1, dl);
	dest[dl] = 0;
	while (dl >= 2 && !strcmp(dest + dl - 2, "[]") && bl + 3 < sizeof(brackets)) {
		dl -= 2;
		dest[dl] = 0;
		strcat(brackets, "[]");
		bl += 2;
	}
	if (!strncmp(dest, "struct ", 7) || !strncmp(dest, "union ", 6)) {
		char *dot = strchr(dest, '.');
		if (!dot)
			return id;
		*dot = 0;
		snprintf(ren, sizeof(ren), "%s.%s%s", stf__rename(STF_RENAME_TYPE, dest, x->dir),
			 stf__rename_member(dest, dot + 1, x->dir), brackets);
		*dot = '.';
	} else {
		char oid[300];
		snprintf(oid, sizeof(oid), "%.*s:%s", (int)(colon - id), id, dest);
		const char *n = stf__rename(STF_RENAME_OBJECT, oid, x->dir);
		const char *base = strrchr(n, '/') ? strrchr(n, '/') + 1 :
				   strrchr(n, ':') ? strrchr(n, ':') + 1 : n;
		snprintf(ren, sizeof(ren), "%s%s", base, brackets);
	}
	if (strlen(ren) == dl + bl && !strncmp(ren, dest, dl))
		return id;
	size_t len = (size_t)(slash + 1 - id) + strlen(ren) + strlen(hash) + 1;
	char *out = stf__arena_alloc(x->arena, len);
	if (!out)
		return id;
	snprintf(out, len, "%.*s%s%s", (int)(slash + 1 - id), id, ren, hash);
	return out;
}

static int schedule_dynamic(struct stf_xfer *x)
{
	struct stf_peer *src = x->src, *dst = x->dst;
	struct alloc_req *req = stf__raw_malloc((src->nobjs + 2) * sizeof(*req));
	uint64_t *addrs = NULL;
	size_t n = 0;
	int rc = -1;
	char on[256];

	if (!req) {
		xfail(x, "out of memory");
		return -1;
	}
	/* the site lookups are cached: objects of one site come in runs */
	const char *last_site = NULL, *last_dst_site = NULL;
	int last_found = 0;
	const struct stf_meta_unit *last_unit = NULL;
	uint32_t last_type = STF_NONE;

	for (size_t i = 0; i < src->nobjs; i++) {
		struct stf_obj *o = &src->objs[i];
		if (!is_dynamic(o) || (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN)))
			continue;
		if (!o->unit && (o->flags & STF_OBJF_EXTERNAL) && !x->pair[i].needed)
			continue;
		if (o->flags & STF_OBJF_STREAM)
			continue; /* re-created when a pointer to it is relocated */
		int prot = -1;
		if (o->kind == STF_OBJ_MMAP) {
			prot = mapping_prot(src->pid, o->addr, o->size);
			if (prot == -2) {
				xfail(x, "%s: the pages of the mapping at 0x%" PRIx64 " (%" PRIu64
				      " bytes) have different protections; transferring such a "
				      "mapping is not implemented", obj_name(o, on, sizeof(on)),
				      o->addr, o->size);
				goto out;
			}
			if (prot == -3) {
				xfail(x, "%s: the mapping at 0x%" PRIx64 " (%" PRIu64 " bytes) is "
				      "shared (MAP_SHARED); transferring shared mappings is not "
				      "implemented", obj_name(o, on, sizeof(on)), o->addr, o->size);
				goto out;
			}
			if (prot < 0) {
				xfail(x, "%s: cannot read the protection of the mapping at "
				      "0x%" PRIx64 " (%" PRIu64 " bytes) from /proc/%d/maps",
				      obj_name(o, on, sizeof(on)), o->addr, o->size, (int)src->pid);
				goto out;
			}
		}
		const struct stf_meta_unit *du = NULL;
		uint32_t dt = STF_NONE;
		if (o->id != last_site) {
			last_site = o->id;
			last_dst_site = site_dst_id(x, o->id);
			last_unit = NULL;
			last_type = STF_NONE;
			last_found = (o->flags & STF_OBJF_EXTERNAL) ||
				     !stf__peer_site_type(dst, last_dst_site, &last_unit,
							  &last_type);
		}
		if (!last_found) {
			x->rep->dropped++;
			x->pair[i].dst = PAIR_NONE;
			if (x->rep->dropped <= 20)
				fprintf(stderr, "libstf: %s transfer: %s: allocation site gone "
					"in the destination: object dropped\n",
					x->dir == STF_FORWARD ? "forward" : "backward",
					obj_name(o, on, sizeof(on)));
			continue;
		}
		du = last_unit;
		dt = last_type;
		if ((!du || dt == STF_NONE) && o->unit) {
			/* the destination's site is untyped: the type of the same
			 * name there, else ours */
			char tn[256];
			const char *name = type_str(o->unit, strip(o->unit, o->type), tn, sizeof(tn));
			if (x->renames)
				name = stf__rename(STF_RENAME_TYPE, name, x->dir);
			if (stf_meta_find_type(dst->meta, name, &du, &dt) < 0) {
				du = o->unit;
				dt = o->type;
			}
		} else if (!du || dt == STF_NONE) {
			du = NULL;
			dt = STF_NONE;
		} else if (!o->unit) {
			/* typed in the destination only: bytes are copied as they are */
			du = NULL;
			dt = STF_NONE;
		}
		req[n].src = i;
		req[n].site = last_dst_site;
		req[n].id = o->dyn_id;
		req[n].unit = du;
		req[n].type = dt;
		req[n].size = du ? dst_size(o, du, dt) : o->size;
		req[n].prot = prot;
		req[n].align_lg = o->align_lg;
		if (prot >= 0) { /* whole pages */
			req[n].size = (req[n].size + 4095) & ~(uint64_t)4095;
			if (x->dir == STF_BACKWARD)
				req[n].size = old_mapping_size(o, du, dt, req[n].size);
		}
		n++;
	}
	if (x->fault == STF_FAULT_LEAK) {
		const char *site = n ? req[0].site : first_plugin_site(dst);
		if (site) {
			req[n].src = (size_t)-1;
			req[n].site = site;
			req[n].id = 0;
			req[n].size = 64;
			req[n].unit = NULL;
			req[n].prot = -1;
			n++;
		}
	}
	addrs = stf__raw_malloc((n + 1) * sizeof(*addrs));
	if (!addrs) {
		xfail(x, "out of memory");
		goto out;
	}
	if (dst->self) {
		last_site = NULL;
		uint32_t site = 0;
		for (size_t k = 0; k < n; k++) {
			if (req[k].site != last_site) {
				last_site = req[k].site;
				site = stf__site_by_id(req[k].site);
			}
			if (!site) {
				xfail(x, "allocation site %s unknown in this process", req[k].site);
				goto out;
			}
			if (req[k].prot < 0) {
				/* malloc(0) made a block of size 0: so does this */
				addrs[k] = (uint64_t)(uintptr_t)stf__alloc_aligned_with(
					req[k].size, req[k].align_lg ? (size_t)1 << req[k].align_lg : 0,
					site, req[k].id);
			} else {
				/* writable while it is filled */
				addrs[k] = (uint64_t)(uintptr_t)stf__mmap_with(
					req[k].size, PROT_READ | PROT_WRITE, site, req[k].id);
				if (addrs[k] && ((req[k].prot != (PROT_READ | PROT_WRITE) &&
						  add_protect(x, addrs[k], req[k].size,
							      req[k].prot) < 0) ||
						 stf__index_add(&fwd_mappings, addrs[k], req[k].size,
								src->objs[req[k].src].size) < 0))
					addrs[k] = 0;
			}
			if (!addrs[k]) {
				xfail(x, "out of memory allocating %" PRIu64 " bytes for %.200s",
				      req[k].size, req[k].site);
				goto out;
			}
		}
	} else if (remote_alloc(x, req, n, addrs) < 0) {
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		if (req[k].src == (size_t)-1) {
			fprintf(stderr, "libstf: STF_FAULT: leaked an object of site %s\n",
				req[k].site);
			continue;
		}
		const struct stf_obj *o = &src->objs[req[k].src];
		struct stf_obj d = *o;
		d.addr = addrs[k];
		d.size = req[k].size;
		d.unit = req[k].unit;
		d.type = req[k].type;
		d.bytes = NULL;
		int64_t j = dst_add(x, &d);
		if (j < 0) {
			xfail(x, "out of memory");
			goto out;
		}
		x->img[j] = dst->self ? (uint8_t *)(uintptr_t)d.addr :
			    stf__arena_alloc(x->arena, d.size ? d.size : 1);
		if (!x->img[j]) {
			xfail(x, "out of memory staging %s", o->id);
			goto out;
		}
		struct pairing *p = &x->pair[req[k].src];
		p->dst = j;
		p->dst_addr = d.addr;
		p->scheduled = 1;
		p->same = !o->unit || !d.unit ||
			  (T(o->unit, strip(o->unit, o->type))->hash ==
			   T(d.unit, strip(d.unit, d.type))->hash &&
			   T(o->unit, strip(o->unit, o->type))->size ==
			   T(d.unit, strip(d.unit, d.type))->size);
		x->rep->dynamic_objects++;
	}
	rc = 0;
out:
	stf__raw_free(req);
	stf__raw_free(addrs);
	return rc;
}

static int schedule(struct stf_xfer *x)
{
	struct stf_peer *src = x->src, *dst = x->dst;
	char on[256];
	uint64_t j;

	x->pair = stf__raw_malloc((src->nobjs + 1) * sizeof(*x->pair));
	if (!x->pair) {
		xfail(x, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < src->nobjs; i++) {
		x->pair[i].dst = PAIR_UNRESOLVED;
		x->pair[i].same = 0;
		x->pair[i].scheduled = 0;
		x->pair[i].needed = 0;
		x->pair[i].direct = 0;
	}
	x->img_cap = 0;
	x->img = NULL;
	size_t ndst = dst->nobjs;
	if (ndst) {
		x->img = stf__raw_malloc(ndst * 2 * sizeof(*x->img));
		if (!x->img) {
			xfail(x, "out of memory");
			return -1;
		}
		memset(x->img, 0, ndst * 2 * sizeof(*x->img));
		x->img_cap = ndst * 2;
	}
	for (size_t k = 0; k < ndst; k++) {
		const struct stf_obj *d = &dst->objs[k];
		if (is_dynamic(d) || stf__strmap_get(&x->dst_ids, d->id, &j) == 0)
			continue;
		stf__strmap_put(&x->dst_ids, d->id, k);
	}
	for (size_t i = 0; i < src->nobjs; i++) {
		const struct stf_obj *o = &src->objs[i];
		if (o->kind != STF_OBJ_STATIC && o->kind != STF_OBJ_LOCAL)
			continue;
		const char *id = x->renames ? stf__rename(STF_RENAME_OBJECT, o->id, x->dir) : o->id;
		if (stf__strmap_get(&x->dst_ids, id, &j) < 0 || dst->objs[j].kind != o->kind) {
			x->pair[i].dst = PAIR_NONE;
			x->rep->dropped++;
			fprintf(stderr, "libstf: %s transfer: %s %s has no counterpart in the "
				"destination: dropped\n",
				x->dir == STF_FORWARD ? "forward" : "backward",
				o->kind == STF_OBJ_LOCAL ? "local" : "static", o->id);
			continue;
		}
		const struct stf_obj *d = &dst->objs[j];
		x->pair[i].dst = (int64_t)j;
		x->pair[i].dst_addr = d->addr;
		x->pair[i].scheduled = 1;
		x->pair[i].same = !o->unit || !d->unit ||
			(T(o->unit, strip(o->unit, o->type))->hash ==
			 T(d->unit, strip(d->unit, d->type))->hash &&
			 o->size == d->size);
		x->img[j] = dst->self ? (uint8_t *)(uintptr_t)d->addr :
			    stf__arena_alloc(x->arena, d->size ? d->size : 1);
		if (!x->img[j]) {
			xfail(x, "out of memory staging %s", obj_name(o, on, sizeof(on)));
			return -1;
		}
		if (o->kind == STF_OBJ_LOCAL)
			x->rep->locals++;
		else
			x->rep->static_objects++;
	}
	if (scan_untyped(x) < 0)
		return -1;
	return schedule_dynamic(x);
}

/* Destination statics nobody writes: new objects, initialized by callback. */
static int init_new_objects(struct stf_xfer *x)
{
	struct stf_peer *dst = x->dst;
	uint8_t *written = stf__raw_malloc(dst->nobjs + 1);
	if (!written) {
		xfail(x, "out of memory");
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
		if (stf__cb_find_new_object(d->id, x->dir, &cb) < 0)
			continue;
		if (!x->img[k]) {
			x->img[k] = dst->self ? (uint8_t *)(uintptr_t)d->addr :
				    stf__arena_alloc(x->arena, d->size ? d->size : 1);
			if (!x->img[k]) {
				xfail(x, "out of memory");
				break;
			}
			if (!dst->self && stf__peer_read(dst, d->addr, x->img[k], d->size) < 0) {
				xfail(x, "cannot read %s in the destination", d->id);
				break;
			}
		}
		char tn[256];
		struct stf_value v = { d->id, type_str(d->unit, d->type, tn, sizeof(tn)),
				       x->img[k], d->size };
		path_cut(x, 0);
		x->obj = NULL;
		x->obj_label = d->id;
		if (cb.fn.init(x, &v, cb.arg) == STF_CB_ERROR)
			xfail(x, "%s: new-object callback failed", d->id);
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

static int transform_all(struct stf_xfer *x)
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
	for (size_t i = 0; i < x->src->nobjs; i++) {
		if (!x->pair[i].scheduled)
			continue;
		if (xfer_object(x, i, x->pair[i].dst) < 0) {
			if (!x->failed)
				xfail(x, "%s: transfer failed", cur_path(x));
			return -1;
		}
		x->rep->bytes += x->dst->objs[x->pair[i].dst].size;
	}
	path_cut(x, 0);
	if (flush_direct(x) < 0)
		return -1;
	if (x->fault == STF_FAULT_CORRUPT_VALUE || x->fault == STF_FAULT_SKIP_WRITE)
		inject_value_fault(x);
	if (x->fault && x->fault != STF_FAULT_LEAK && !x->fault_done)
		fprintf(stderr, "libstf: STF_FAULT: no eligible value at point %" PRIu64
			": no fault injected\n", x->fault_point);
	if (init_new_objects(x) < 0)
		return -1;
	if (stf__cb_run_done(x, x->dir) == STF_CB_ERROR) {
		xfail(x, "post-transfer transformer failed");
		return -1;
	}
	return x->failed ? -1 : 0;
}

static int xfer_init(struct stf_xfer *x, enum stf_direction dir, struct stf_peer *src,
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
	x->fault = stf__fault_for(dir);
	x->fault_point = x->fault ? stf__fault_point_for() : 0;
	if (!x->layouts) {
		xfail(x, "out of memory");
		return -1;
	}
	return 0;
}

static void xfer_fini(struct stf_xfer *x)
{
	stf__raw_free(x->pair);
	stf__raw_free(x->img);
	stf__raw_free(x->protect);
	stf__strmap_free(&x->dst_ids);
	stf__arena_free(x->arena);
}

#define SRC_KINDS ((1u << STF_OBJ_STATIC) | (1u << STF_OBJ_LOCAL) | (1u << STF_OBJ_HEAP) | \
		   (1u << STF_OBJ_MMAP) | (1u << STF_OBJ_USER))

/* epoll data words (see epoll.h): pointers into the past version's
 * objects move with them; descriptors and numbers stay. */
static int epoll_relocate(void *ctx, uint64_t data, uint64_t *out, char *err, size_t errlen)
{
	struct stf_xfer *x = ctx;

	if (!data || stf__not_a_pointer(data) || !stf__peer_find(x->src, data))
		return 1;
	if (stf__xfer_relocate(x, data, out) < 0) {
		snprintf(err, errlen, "%s", x->rep->error);
		return -1;
	}
	return 0;
}

int stf__xfer_forward(pid_t past_pid, uint64_t past_root, struct stf_xfer_report *rep)
{
	struct stf_peer src, dst;
	struct stf_xfer x;
	double t0 = stf__now(), t1;
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	if (stf__peer_open(&src, past_pid, past_root,
			   STF_PEER_STATICS | STF_PEER_DYNAMIC | STF_PEER_FRAMES, NULL,
			   rep->error, sizeof(rep->error)) < 0 ||
	    mark_direct(&src, rep->error, sizeof(rep->error)) < 0 ||
	    stf__peer_fetch(&src, SRC_KINDS, rep->error, sizeof(rep->error)) < 0 ||
	    stf__peer_open(&dst, getpid(), 0,
			   STF_PEER_STATICS | STF_PEER_DYNAMIC | STF_PEER_FRAMES,
			   stf__xfer_own_frame(), rep->error, sizeof(rep->error)) < 0) {
		stf__peer_close(&src);
		stf__peer_close(&dst);
		return -1;
	}
	stf__index_reset(&own_startup);
	stf__index_reset(&fwd_mappings);
	for (size_t k = 0; k < dst.nobjs; k++)
		if (is_dynamic(&dst.objs[k]) && !(dst.objs[k].flags & STF_OBJF_INTERNAL))
			stf__index_add(&own_startup, dst.objs[k].addr, dst.objs[k].size,
				       dst.objs[k].dyn_id);
	stf__index_sort(&own_startup, NULL, NULL);
	t1 = stf__now();
	rep->seconds_metadata = t1 - t0;
	if (xfer_init(&x, STF_FORWARD, &src, &dst, rep) == 0 && schedule(&x) == 0 &&
	    transform_all(&x) == 0 &&
	    apply_protect(x.protect, x.nprotect, rep->error, sizeof(rep->error)) == 0 &&
	    stf__epoll_plan(epoll_relocate, &x, &rep->epoll, rep->error,
			    sizeof(rep->error)) == 0)
		rc = 0;
	stf__index_sort(&fwd_mappings, NULL, NULL);
	rep->seconds_transfer = stf__now() - t1;
	xfer_fini(&x);
	stf__peer_close(&src);
	stf__peer_close(&dst);
	return rc;
}

static int send_done(int conn, int status, const char *error)
{
	char buf[600];
	uint32_t st = (uint32_t)status, type, len;
	static __thread uint8_t reply[MSG_MAX];
	size_t n = strlen(error);
	if (n > sizeof(buf) - 4)
		n = sizeof(buf) - 4;
	memcpy(buf, &st, 4);
	memcpy(buf + 4, error, n);
	if (msg_send(conn, M_DONE, buf, (uint32_t)(4 + n)) < 0 ||
	    msg_recv(conn, &type, reply, &len) < 0 || type != M_OK)
		return -1;
	return 0;
}

static int write_remote(struct stf_xfer *x)
{
	static __thread uint8_t buf[MSG_MAX];
	struct stf_peer *dst = x->dst;
	struct stf_write *w = stf__raw_malloc((dst->nobjs + 1) * sizeof(*w));
	size_t n = 0, pos = 0;
	uint32_t type, len;

	if (!w) {
		xfail(x, "out of memory");
		return -1;
	}
	/* validation mode: R zeroes the statics and locals first */
	for (size_t j = 0; j <= dst->nobjs; j++) {
		const struct stf_obj *d = j < dst->nobjs ? &dst->objs[j] : NULL;
		if (d && (!x->img[j] || is_dynamic(d)))
			continue;
		if (!d || pos + 16 > MSG_MAX) {
			if (pos && (msg_send(x->conn, M_ZERO, buf, (uint32_t)pos) < 0 ||
				    msg_recv(x->conn, &type, buf, &len) < 0 || type != M_OK)) {
				xfail(x, "backward transfer: the reversed version did not zero "
				      "its objects");
				stf__raw_free(w);
				return -1;
			}
			pos = 0;
			if (!d)
				break;
		}
		memcpy(buf + pos, &d->addr, 8);
		memcpy(buf + pos + 8, &d->size, 8);
		pos += 16;
	}
	for (size_t j = 0; j < dst->nobjs; j++) {
		if (!x->img[j])
			continue;
		w[n].buf = x->img[j];
		w[n].addr = dst->objs[j].addr;
		w[n].len = dst->objs[j].size;
		n++;
	}
	int rc = stf__peer_write(dst, w, n, x->rep->error, sizeof(x->rep->error));
	if (rc < 0)
		x->failed = 1;
	stf__raw_free(w);
	return rc;
}

int stf__xfer_backward(int conn, pid_t rev_pid, uint64_t rev_root,
		       struct stf_xfer_report *rep)
{
	struct stf_peer src, dst;
	struct stf_parked_frame rframe;
	struct stf_xfer x;
	static __thread uint8_t buf[MSG_MAX];
	uint32_t type, len;
	double t0 = stf__now(), t1;
	int rc = -1, have_frame = 0;

	memset(rep, 0, sizeof(*rep));
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	memset(&x, 0, sizeof(x));
	if (msg_send(conn, M_FRAME_REQ, NULL, 0) < 0 || msg_recv(conn, &type, buf, &len) < 0 ||
	    type != M_FRAME || (len != 0 && len != sizeof(rframe))) {
		snprintf(rep->error, sizeof(rep->error), "backward transfer: no answer from "
			 "the reversed version (pid %d) on the transfer connection",
			 (int)rev_pid);
		return -1;
	}
	if (len) {
		memcpy(&rframe, buf, sizeof(rframe));
		have_frame = rframe.unit != 0;
	}
	if (stf__peer_open(&src, getpid(), 0,
			   STF_PEER_STATICS | STF_PEER_DYNAMIC | STF_PEER_FRAMES,
			   stf__xfer_own_frame(), rep->error, sizeof(rep->error)) < 0 ||
	    stf__peer_fetch(&src, SRC_KINDS, rep->error, sizeof(rep->error)) < 0 ||
	    stf__peer_open(&dst, rev_pid, rev_root, STF_PEER_STATICS | STF_PEER_FRAMES,
			   have_frame ? &rframe : NULL, rep->error, sizeof(rep->error)) < 0) {
		send_done(conn, 1, rep->error);
		stf__peer_close(&src);
		stf__peer_close(&dst);
		return -1;
	}
	for (size_t k = 0; k < src.nobjs; k++) {
		struct stf_obj *o = &src.objs[k];
		const struct stf_range *r = is_dynamic(o) ?
			stf__index_find(&own_startup, o->addr, 0) : NULL;
		if (r && r->start == o->addr && r->value == o->dyn_id)
			o->flags |= STF_OBJF_OWN;
	}
	t1 = stf__now();
	rep->seconds_metadata = t1 - t0;
	if (xfer_init(&x, STF_BACKWARD, &src, &dst, rep) == 0) {
		x.conn = conn;
		if (schedule(&x) == 0 && transform_all(&x) == 0 && write_remote(&x) == 0)
			rc = 0;
	}
	if (send_done(conn, rc, rc ? rep->error : "") < 0 && rc == 0) {
		snprintf(rep->error, sizeof(rep->error), "backward transfer: the reversed "
			 "version did not acknowledge the end of the transfer");
		rc = -1;
	}
	rep->seconds_transfer = stf__now() - t1;
	xfer_fini(&x);
	stf__peer_close(&src);
	stf__peer_close(&dst);
	stf__peer_forget_files(); /* the last transfer of this process */
	return rc;
}

/* ------------------------------------------------------------------ */
/* The reversed version's side.                                        */

static struct stf_served served;

const struct stf_served *stf__xfer_served(void)
{
	return &served;
}

static int served_add(uint64_t addr, uint64_t size)
{
	if (served.n == served.cap) {
		size_t ncap = served.cap ? 2 * served.cap : 1024;
		struct stf_range *n = stf__raw_realloc(served.ranges, ncap * sizeof(*n));
		if (!n)
			return -1;
		served.ranges = n;
		served.cap = ncap;
	}
	served.ranges[served.n].start = addr;
	served.ranges[served.n].size = size;
	served.ranges[served.n].value = 0;
	served.n++;
	return 0;
}

/* Mappings created for the future version, writable while it writes
 * them: their protection (value) is set at the end of the transfer. */
static struct stf_range *served_protect;
static size_t nserved_protect;

static int served_protect_add(uint64_t addr, uint64_t size, int prot)
{
	struct stf_range *n = stf__raw_realloc(served_protect,
					       (nserved_protect + 1) * sizeof(*n));
	if (!n)
		return -1;
	served_protect = n;
	n[nserved_protect++] = (struct stf_range){ addr, size, (uint64_t)prot };
	return 0;
}

/* M_ALLOC (heap blocks) or M_MMAP (mappings, `mapping` set). */
static int serve_alloc(int conn, const uint8_t *p, uint32_t len, int mapping, char *err,
		       size_t errlen)
{
	static __thread uint64_t addrs[MSG_MAX / 20 + 1];
	size_t n = 0, pos = 0, hs = mapping ? 24 : 20;
	char site[512];
	uint32_t sitenum = 0;
	while (pos < len) {
		uint64_t size, id;
		uint32_t sl, prot = 0;
		if (len - pos < hs)
			goto bad;
		memcpy(&size, p + pos, 8);
		memcpy(&id, p + pos + 8, 8);
		if (mapping)
			memcpy(&prot, p + pos + 16, 4);
		memcpy(&sl, p + pos + hs - 4, 4);
		if (sl >= sizeof(site) || len - pos - hs < sl ||
		    (mapping && (!size || (prot & ~(uint32_t)(PROT_READ | PROT_WRITE | PROT_EXEC)))))
			goto bad;
		if (!sitenum || strncmp(site, (const char *)p + pos + hs, sl) || site[sl]) {
			memcpy(site, p + pos + hs, sl);
			site[sl] = 0;
			sitenum = stf__site_by_id(site);
		}
		if (!sitenum) {
			snprintf(err, errlen, "allocation site %.200s unknown in the reversed version",
				 site);
			msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
			return -1;
		}
		void *obj = mapping ? stf__mmap_with(size, PROT_READ | PROT_WRITE, sitenum, id) :
			    stf__alloc_with(size, sitenum, id);
		if (!obj || served_add((uint64_t)(uintptr_t)obj, size) < 0 ||
		    (mapping && prot != (PROT_READ | PROT_WRITE) &&
		     served_protect_add((uint64_t)(uintptr_t)obj, size, (int)prot) < 0)) {
			snprintf(err, errlen, "out of memory allocating %" PRIu64 " bytes for %.200s",
				 size, site);
			msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
			return -1;
		}
		if (!mapping) /* (a new mapping is zero already) */
			memset(obj, 0, size); /* validation mode: nothing left over */
		addrs[n++] = (uint64_t)(uintptr_t)obj;
		pos += hs + sl;
	}
	return msg_send(conn, M_ADDRS, addrs, (uint32_t)(n * 8));
bad:
	snprintf(err, errlen, "malformed allocation request from the future version");
	msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
	return -1;
}

static int serve_zero(int conn, const uint8_t *p, uint32_t len, char *err, size_t errlen)
{
	struct stf_peer self;
	int rc = 0;
	if (len % 16) {
		snprintf(err, errlen, "malformed zero request from the future version");
		return -1;
	}
	/* only objects of our own catalog may be zeroed */
	if (stf__peer_open(&self, getpid(), 0, STF_PEER_STATICS | STF_PEER_FRAMES,
			   stf__xfer_own_frame(), err, errlen) < 0)
		return -1;
	for (uint32_t pos = 0; pos < len; pos += 16) {
		uint64_t addr, size;
		memcpy(&addr, p + pos, 8);
		memcpy(&size, p + pos + 8, 8);
		const struct stf_obj *o = stf__peer_find(&self, addr);
		if (!o || o->addr != addr || o->size != size ||
		    (o->kind != STF_OBJ_STATIC && o->kind != STF_OBJ_LOCAL)) {
			snprintf(err, errlen, "the future version asked to zero 0x%" PRIx64
				 " (%" PRIu64 " bytes), which is not a static or local here",
				 addr, size);
			rc = -1;
			break;
		}
		memset((void *)(uintptr_t)addr, 0, size);
		if (served_add(addr, size) < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
	}
	stf__peer_close(&self);
	if (rc == 0)
		rc = msg_send(conn, M_OK, NULL, 0);
	return rc;
}

/* M_STREAM: re-create a stdio stream of the future version here. */
static int serve_stream(int conn, const uint8_t *p, uint32_t len, char *err, size_t errlen)
{
	int32_t fd, buffering;
	char mode[4];
	if (len < 12) {
		snprintf(err, errlen, "malformed stream request from the future version");
		msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
		return -1;
	}
	memcpy(&fd, p, 4);
	memcpy(&buffering, p + 4, 4);
	memcpy(mode, p + 8, 4);
	if (mode[3] || (buffering != _IOFBF && buffering != _IOLBF && buffering != _IONBF) ||
	    (strcmp(mode, "r") && strcmp(mode, "w") && strcmp(mode, "a") &&
	     strcmp(mode, "r+") && strcmp(mode, "a+"))) {
		snprintf(err, errlen, "malformed stream request from the future version");
		msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
		return -1;
	}
	FILE *f = stream_create(fd, mode, buffering, p + 12, len - 12, err, errlen);
	if (!f) {
		msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
		return -1;
	}
	uint64_t addr = (uint64_t)(uintptr_t)f;
	return msg_send(conn, M_ADDRS, &addr, 8);
}

int stf__xfer_serve(int conn, struct stf_xfer_report *rep)
{
	static __thread uint8_t buf[MSG_MAX];
	double t0 = stf__now();
	uint32_t type, len;

	memset(rep, 0, sizeof(*rep));
	served.n = 0;
	nserved_protect = 0;
	for (;;) {
		if (msg_recv(conn, &type, buf, &len) < 0) {
			snprintf(rep->error, sizeof(rep->error), "reversed version: the "
				 "connection to the future version was lost (%s)",
				 errno ? strerror(errno) : "malformed message");
			return -1;
		}
		switch (type) {
		case M_FRAME_REQ: {
			const struct stf_parked_frame *f = stf__xfer_own_frame();
			if (msg_send(conn, M_FRAME, f, f ? sizeof(*f) : 0) < 0)
				goto lost;
			break;
		}
		case M_ALLOC:
		case M_MMAP: {
			size_t before = served.n;
			if (serve_alloc(conn, buf, len, type == M_MMAP, rep->error,
					sizeof(rep->error)) < 0)
				return -1;
			rep->dynamic_objects += served.n - before;
			break;
		}
		case M_STREAM:
			if (serve_stream(conn, buf, len, rep->error, sizeof(rep->error)) < 0)
				return -1;
			break;
		case M_ZERO:
			if (serve_zero(conn, buf, len, rep->error, sizeof(rep->error)) < 0) {
				msg_send(conn, M_ERROR, rep->error, (uint32_t)strlen(rep->error));
				return -1;
			}
			rep->static_objects += len / 16;
			break;
		case M_DONE: {
			uint32_t status = 1;
			if (len >= 4)
				memcpy(&status, buf, 4);
			if (!status && apply_protect(served_protect, nserved_protect, rep->error,
						     sizeof(rep->error)) < 0) {
				msg_send(conn, M_ERROR, rep->error, (uint32_t)strlen(rep->error));
				return -1;
			}
			msg_send(conn, M_OK, NULL, 0);
			rep->seconds_transfer = stf__now() - t0;
			if (status) {
				snprintf(rep->error, sizeof(rep->error), "backward transfer failed "
					 "in the future version: %.*s", (int)(len > 4 ? len - 4 : 0),
					 (const char *)buf + 4);
				return -1;
			}
			/* sorted, for stf__diff's lookups */
			struct stf_index ix = STF_INDEX_INIT;
			for (size_t i = 0; i < served.n; i++)
				stf__index_add(&ix, served.ranges[i].start, served.ranges[i].size, 0);
			stf__index_sort(&ix, NULL, NULL);
			if (ix.n == served.n)
				memcpy(served.ranges, ix.ranges, ix.n * sizeof(*ix.ranges));
			stf__index_free(&ix);
			return 0;
		}
		default:
			snprintf(rep->error, sizeof(rep->error), "reversed version: unexpected "
				 "message %u from the future version", type);
			msg_send(conn, M_ERROR, rep->error, (uint32_t)strlen(rep->error));
			return -1;
		}
	}
lost:
	snprintf(rep->error, sizeof(rep->error), "reversed version: the connection to the "
		 "future version was lost (%s)", strerror(errno));
	return -1;
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
