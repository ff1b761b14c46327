/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * untyped.c - the words of untyped blocks kept at their address, classified
 * (never rewritten on a guess); planned by untyped-plan.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "alloc.h"
#include "apr-pools.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "fault.h"
#include "glib-arrays.h"
#include "heads.h"
#include "remote.h"
#include "xfer.h"
#include "untyped.h"

/* ------------------------------------------------------------------ */
/* Untyped blocks kept at their address, words classified.             */

/*
 * An untyped heap block (no type says where its pointers are: blocks of
 * uninstrumented libraries such as libevent's event_base, untyped sites)
 * is created in the destination at the address it has in the source
 * (stf__alloc_at) and its 8-byte words are classified, never rewritten on
 * a guess (DESIGN.md, "Beyond typed memory"; ttst(7), UNTYPED MEMORY):
 *   - into an untyped block: kept (that block keeps its address too);
 *   - into a function or static of the executable: relocated (function
 *     ID, member path);
 *   - into a shared library: the same place of the same file, but
 *     inside its code where no function begins: a number (below);
 *   - into a typed heap object or a mapping: that object is pinned (kept
 *     at its address with its new type), except inside a struct or union declared
 *     by a system header (a library's type: `struct event` embedded in a
 *     program struct), which the library handed out and whose layout does
 *     not change: relocated to the same place of that sub-object;
 *   - anything else (integers, freed or unmapped memory): kept and
 *     counted; it must not come to point into a live object of the
 *     destination.
 * The same classification applies to the words of an ambiguous union
 * (with --strict, only of a system header's type, which the program
 * cannot annotate).
 */

/* A block libc allocated that holds a stdio stream (a FILE held in a
 * void *): streams are re-created on their descriptor when a FILE pointer
 * reaches them, never carried as bytes, so it is left to the raw check. */
int stf__is_libc_stream(struct stf_xfer *x, const struct stf_obj *o)
{
	struct stf_stream st;
	return (o->flags & STF_OBJF_EXTERNAL) && !strncmp(o->id, "libc.so", 7) &&
	       stf__peer_stream(x->src, o->addr, &st) == 0;
}

/* The outermost struct or union declared by a system header containing
 * byte off of a value of type (u, t): its offset in *start and its type in
 * *st; 0 if there is none. */
int stf__system_subobject(const struct stf_meta_unit *u, uint32_t t, uint64_t off,
			    uint64_t *start, uint32_t *st)
{
	uint64_t base = 0;
	for (int depth = 0; depth < 64; depth++) {
		t = strip(u, t);
		if (t >= u->ntypes)
			return 0;
		const struct stf_type_rec *R = T(u, t);
		if ((R->kind == STF_K_STRUCT || R->kind == STF_K_UNION) &&
		    (R->flags & STF_TF_SYSTEM)) {
			*start = base;
			*st = t;
			return 1;
		}
		if (R->kind == STF_K_ARRAY) {
			uint32_t et = strip(u, R->target);
			uint64_t esz = et < u->ntypes ? T(u, et)->size : 0;
			if (!esz)
				return 0;
			base += off / esz * esz;
			off %= esz;
			t = et;
			continue;
		}
		if (R->kind != STF_K_STRUCT)
			return 0;
		const struct stf_member_rec *m = NULL;
		for (uint32_t i = 0; i < R->nmembers && !m; i++) {
			const struct stf_member_rec *c = &u->members[R->members + i];
			uint32_t ct = strip(u, c->type);
			if (!c->bit_size && ct < u->ntypes && (uint64_t)c->offset <= off &&
			    off - c->offset < T(u, ct)->size)
				m = c;
		}
		if (!m)
			return 0;
		base += m->offset;
		off -= m->offset;
		t = m->type;
	}
	return 0;
}

int stf__hash_at(const struct stf_meta_unit *u, uint32_t t, uint64_t off, uint64_t hash,
		 int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (!off && (hash ? R->hash == hash : R->kind == STF_K_STRUCT || R->kind == STF_K_UNION))
		return 1;
	if (R->kind == STF_K_ARRAY) {
		uint32_t et = strip(u, R->target);
		uint64_t esz = et < u->ntypes ? T(u, et)->size : 0;
		return esz && stf__hash_at(u, et, off % esz, hash, depth + 1);
	}
	if (R->kind != STF_K_STRUCT)
		return 0;
	for (uint32_t i = 0; i < R->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[R->members + i];
		uint32_t mt = strip(u, m->type);
		if (!m->bit_size && mt < u->ntypes && (uint64_t)m->offset <= off &&
		    off - m->offset < T(u, mt)->size &&
		    stf__hash_at(u, mt, off - m->offset, hash, depth + 1))
			return 1;
	}
	return 0;
}

/* A typed object's offset as an offset into its element type. */
uint64_t stf__elem_off(const struct stf_obj *o, uint64_t off)
{
	uint32_t t = strip(o->unit, o->type);
	uint64_t esz = t < o->unit->ntypes ? T(o->unit, t)->size : 0;
	return stf__is_dynamic(o) && esz && o->size > esz ? off % esz : off;
}

uint64_t stf__capacity_start(const struct stf_xfer *x, const struct stf_obj *o)
{
	const struct stf_meta_unit *u;
	uint32_t n, site;
	/* a library's own mapping (APR's pool node) holds after the
	 * program's last object what the library allocated for itself and
	 * for the program's calls it does not name (apr_pstrdup, a cleanup,
	 * a hash entry): live, no capacity; its free bytes are the
	 * library's to tell (apr-pools.c) */
	if (x->strict || !(o->flags & STF_OBJF_CONTAINER) || stf__library_mapping(o))
		return UINT64_MAX;
	const struct stf_obj *subs = stf__peer_subs(x->src, o, &n);
	if (!n || stf_meta_find_site(x->src->meta, subs[n - 1].id, &u, &site) < 0)
		return UINT64_MAX;
	return subs[n - 1].addr + subs[n - 1].size;
}

const struct stf_obj *stf__capacity_sub(const struct stf_xfer *x, struct range_memo *memo,
					uint64_t v)
{
	const struct stf_range *r = stf__find_memo(&x->src->index, memo, v);
	const struct stf_obj *t = r ? &x->src->objs[r->value] : NULL;
	return t && t->container && !stf__untyped_sub(t) ? t : NULL;
}

/* Whether word v of unused capacity stays as it is (see untyped.h): it
 * points into a sub-object whose container keeps its address. */
static int capacity_kept(const struct stf_xfer *x, struct range_memo *memo, uint64_t v)
{
	const struct stf_obj *t = stf__capacity_sub(x, memo, v);
	if (!t)
		return 0;
	const struct pairing *pc = &x->pair[t->container - 1];
	return pc->dst >= 0 && pc->dst_addr == x->src->objs[t->container - 1].addr;
}

/*
 * A word one past the end of a pinned object that grows, in the new
 * version, up to the start of another object kept at its address: mapped
 * to the object's new end, it would read, on the way back, as a pointer
 * to that other object (a stale `end` cursor in a raw buffer's unused
 * capacity).  The forward transfer records each such word (its address
 * and value in the new version, the object it is the end of); the
 * backward transfer, which runs in the same process afterwards, maps it
 * back to that object's end, so the round trip gives the same bytes.  In
 * the new version the word is an ordinary value: the next update reads
 * it as whatever it points to.  A word kept as it was (a freed slot's
 * address) that is one past the end of an object of the new version is
 * recorded too, with no object: the way back keeps it as it is.
 */
struct end_word {
	uint64_t at, value, obj; /* in the new version; `at` first: the key */
};

static struct end_word *end_words;
static size_t n_end_words, cap_end_words;
static int end_words_sorted;

static int by_leading_key(const void *a, const void *b)
{
	uint64_t x, y;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x < y ? -1 : x > y;
}

/* The record with the leading uint64_t `key` among the n records of
 * `stride` bytes at base (NULL if none), sorting them by that key first
 * unless *sorted: the lists the forward transfer records by address and
 * the way back looks up (here and in bytes.c). */
void *stf__sorted_find(void *base, size_t n, size_t stride, int *sorted, uint64_t key)
{
	if (!*sorted) {
		if (n)
			qsort(base, n, stride, by_leading_key);
		*sorted = 1;
	}
	size_t lo = 0, hi = n;
	uint64_t k;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		memcpy(&k, (const char *)base + mid * stride, sizeof(k));
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n)
		return NULL;
	memcpy(&k, (const char *)base + lo * stride, sizeof(k));
	return k == key ? (char *)base + lo * stride : NULL;
}

/* in a part of the parallel transform: deferred to the serial loop,
 * which alone writes the list */
static int record_end_word(struct stf_xfer *x, uint64_t at, uint64_t value, uint64_t obj)
{
	if (x->in_part)
		return stf__part_defer(x);
	if (n_end_words == cap_end_words) {
		size_t ncap = cap_end_words ? 2 * cap_end_words : 64;
		struct end_word *n = stf__raw_realloc(end_words, ncap * sizeof(*n));
		if (!n)
			return -1;
		end_words = n;
		cap_end_words = ncap;
	}
	end_words[n_end_words++] = (struct end_word){ at, value, obj };
	end_words_sorted = 0;
	return 0;
}

/* A new update: the words recorded by the last one are gone. */
void stf__forget_end_words(void)
{
	n_end_words = 0;
}

void stf__end_words_sort(void)
{
	(void)stf__sorted_find(end_words, n_end_words, sizeof(*end_words), &end_words_sorted, 0);
}

static const struct end_word *find_end_word(uint64_t at)
{
	return stf__sorted_find(end_words, n_end_words, sizeof(*end_words), &end_words_sorted, at);
}

/* Backward: the word at `at` the forward transfer recorded as the end of
 * an object: 1 with its place in *out. */
static int recorded_end(struct stf_xfer *x, uint64_t at, uint64_t v, uint64_t *out)
{
	const struct stf_peer *src = x->src;
	const struct end_word *ew = at && n_end_words ? find_end_word(at) : NULL;
	if (!ew || ew->value != v)
		return 0;
	if (!ew->obj) {
		/* kept as it was forward: a value that points nowhere */
		*out = v;
		x->rep->integers++;
		return 1;
	}
	const struct stf_range *r = stf__index_find(&src->index, ew->obj, 0);
	if (!r || src->objs[r->value].addr != ew->obj ||
	    src->objs[r->value].addr + src->objs[r->value].size != v || x->pair[r->value].dst < 0)
		return 0;
	const struct stf_obj *d = &x->dst->objs[x->pair[r->value].dst];
	*out = d->addr + d->size;
	x->rep->pointers++;
	return 1;
}

/* Forward: whether v is one past the end of an object of the new version
 * (this process), such as an object kept at its address that grew up to
 * v: the way back would take a word holding v for that object's end and
 * move it with it.  The objects the transfer allocated are not in the
 * destination's index yet: the heap's own registry knows them. */
static int ends_new_object(const struct stf_xfer *x, uint64_t v)
{
	struct stf_object_info info;
	return x->dst->self && v > 1 && stf_lookup((const void *)(uintptr_t)(v - 1), &info) == 0 &&
	       (uint64_t)(uintptr_t)info.base + info.size == v;
}

/* The object a raw word v of the source points into, or one past the end
 * of when it is a typed heap object (or sub-object) no other object
 * follows and that keeps its address for other words (pinned): a stale
 * `end` cursor then follows the object's end.  NULL if none. */
static const struct stf_range *word_target(const struct stf_xfer *x, struct range_memo *memo,
					   uint64_t v)
{
	const struct stf_peer *p = x->src;
	const struct stf_range *r = stf__find_memo(&p->index, memo, v);
	if (r)
		return r;
	r = stf__index_find(&p->index, v, STF_INDEX_END);
	if (!r || !x->pair[r->value].pinned)
		return NULL;
	const struct stf_obj *t = &p->objs[r->value];
	if (!t->unit || !t->size || t->addr + t->size != v ||
	    (t->kind != STF_OBJ_HEAP && t->kind != STF_OBJ_USER && t->kind != STF_OBJ_MMAP))
		return NULL;
	return r;
}

/* The word at offset off of holder for the messages (with no holder:
 * the transfer's current path), formatted only when one is printed. */
static const char *word_name(struct stf_xfer *x, const struct stf_obj *holder, uint64_t off,
			     char *buf, size_t len)
{
	char on[256];
	if (!holder)
		return stf__cur_path(x);
	snprintf(buf, len, "%s: %s (%" PRIu64 " bytes%s): offset %" PRIu64,
		 stf__obj_name(holder, on, sizeof(on)),
		 stf__is_lib_data(holder) ? "a library's writable data" : "untyped block",
		 holder->size, stf__is_lib_data(holder) ? "" : ", kept at its address", off);
	return buf;
}

/* Whether the word at offset off of holder ends a string whose block was
 * rounded up: the 8 bytes before it printable, its own first bytes
 * printable up to a NUL.  Its bytes past the NUL are stale, what the
 * block held before (httpd's "maxrequestworkers" in an APR pool left an
 * old pointer's high bytes there, which read like a place in the
 * executable's code): no pointer. */
static int string_tail(const struct stf_obj *holder, uint64_t off)
{
	if (!holder || !holder->bytes || off < 8 || off + 8 > holder->size)
		return 0;
	const uint8_t *b = holder->bytes + off;
	for (int k = -8; k < 8; k++) {
		if (k > 0 && !b[k])
			return 1;
		if (b[k] < 0x20 || b[k] > 0x7e)
			return 0;
	}
	return 0;
}

/* Where the word v of the source goes; 0, or -1 (problem reported).
 * The word is at offset off of holder (NULL if none: then it is named by
 * the current path); `at` is its address in the new version (its
 * destination forward, its source backward), 0 if it has none of its
 * own; memo: the last range a run of words found. */
static int classify_word(struct stf_xfer *x, struct range_memo *memo, uint64_t v, uint64_t *out,
			 const struct stf_obj *holder, uint64_t off, uint64_t at)
{
	const struct stf_peer *src = x->src;
	char on[256], next_name[256], where[400];
	uint64_t start;
	uint32_t st;

	*out = v;
	if (!v)
		return 0;
	if (stf__not_a_pointer(v) ||
	    (holder && stf__apr_word(x, holder, off) == STF_APR_OWN)) {
		/* a number; APR's position in its node, which keeps its
		 * address (apr-pools.c) */
		x->rep->integers++;
		return 0;
	}
	if (x->dir == STF_BACKWARD && recorded_end(x, at, v, out))
		return 0;
	const struct stf_range *r = word_target(x, memo, v);
	const struct stf_obj *t = r ? &src->objs[r->value] : NULL;
	if (t && (t->kind == STF_OBJ_FUNC || t->kind == STF_OBJ_STATIC ||
		  t->kind == STF_OBJ_CONST || t->kind == STF_OBJ_STRING)) {
		/* the executable's: by function ID, member path, literal */
		x->rep->pointers++;
		return stf__reloc(x, v, out, NULL) < 0 ? -1 : 0;
	}
	if (t && (t->kind == STF_OBJ_HEAP || t->kind == STF_OBJ_MMAP || t->container) &&
	    !(t->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN))) {
		const struct pairing *pr = &x->pair[r->value];
		if (pr->placed)
			return 0; /* the same address */
		if (holder && !pr->pinned && pr->dst >= 0 &&
		    stf__user_data_ref(x, (size_t)(holder - src->objs), off, t, v)) {
			/* the user data the program gave the library, which
			 * hands it back as it is: a typed pointer */
			x->rep->pointers++;
			return stf__reloc(x, v, out, NULL) < 0 ? -1 : 0;
		}
		if (t->unit && pr->dst >= 0 && !pr->pinned &&
		    stf__system_subobject(t->unit, t->type, stf__elem_off(t, v - t->addr), &start, &st)) {
			/* the library's struct inside a program struct: the same
			 * place of the same sub-object, whose type must not change */
			uint64_t in = stf__elem_off(t, v - t->addr), sub = v - (in - start), nsub;
			struct pointee pe = { t->unit, st, NULL, 0 };
			const struct stf_obj *d = &x->dst->objs[pr->dst];
			x->rep->pointers++;
			if (stf__reloc(x, sub, &nsub, &pe) < 0)
				return -1;
			if (!d->unit || !stf__hash_at(d->unit, d->type, stf__elem_off(d, nsub - d->addr),
						  T(t->unit, st)->hash, 0)) {
				char tn[256];
				stf__xfail(x, "%s: points into %s inside %s, a type of a system "
				      "header that the new version changed; the library's state "
				      "cannot follow it",
				      word_name(x, holder, off, where, sizeof(where)),
				      stf__type_str(t->unit, st, tn, sizeof(tn)),
				      stf__obj_name(t, on, sizeof(on)));
				return -1;
			}
			*out = nsub + (in - start);
			return 0;
		}
		if (pr->pinned) {
			/* The object keeps its address; a word pointing to one of
			 * its members follows that member to its new offset.  A
			 * pointer (stale ones too) stays right; only an integer
			 * that equals that very address by chance would change:
			 * counted, and --strict refuses it. */
			uint64_t nv;
			if (stf__reloc(x, v, &nv, NULL) < 0)
				return -1;
			/* what is at the new end in the destination: an object
			 * of the source kept at its address, or of its own */
			const struct stf_range *kept = v == t->addr + t->size ?
				stf__index_find(&src->index, nv, 0) : NULL;
			const struct stf_obj *next = kept && kept->value != r->value &&
				(x->pair[kept->value].pinned || x->pair[kept->value].placed) ?
				&src->objs[kept->value] : NULL;
			if (!next && v == t->addr + t->size) {
				next = stf__peer_find(x->dst, nv);
				if (next && next->addr + next->size <= nv)
					next = NULL;
			}
			if (next && at && x->dir == STF_FORWARD && !x->strict) {
				/* one past the end of the grown object is where
				 * another object starts: recorded, so that the
				 * way back maps it to the end again */
				if (record_end_word(x, at, nv, pr->dst_addr) < 0) {
					if (!x->deferred)
						stf__xfail(x, "out of memory");
					return -1;
				}
				x->rep->member_moved++;
				*out = nv;
				return 0;
			}
			if (next) {
				/* ... a word with no place of its own (an
				 * ambiguous union's) would mean that one on the
				 * way back */
				stf__xfail(x, "%s holds 0x%" PRIx64 ", one past the end of %s, which "
				      "is kept at its address for it (pinned) and grows in the new "
				      "version up to %s: the word cannot be told from a pointer to "
				      "that object on the way back; clear that word (unused capacity "
				      "of a buffer) or give the block holding it a type",
				      word_name(x, holder, off, where, sizeof(where)), v,
				      stf__obj_name(t, on, sizeof(on)),
				      stf__obj_name(next, next_name, sizeof(next_name)));
				return -1;
			}
			if (nv != v && x->strict) {
				char path[512], wrapper[160] = "";
				uint32_t lt;
				if (holder)
					stf__wrapper_of(holder, wrapper, sizeof(wrapper));
				snprintf(path, sizeof(path), "%s", stf__obj_name(t, on, sizeof(on)));
				stf__type_path(t->unit, t->type, stf__elem_off(t, v - t->addr), path,
					       sizeof(path), &lt);
				stf__xfail(x, "%s holds 0x%" PRIx64 ", a pointer to %s, which is kept "
				      "at its address for it (pinned) but whose member moves to offset "
				      "%" PRIu64 " in the new version (--strict: the word would follow "
				      "it); keep that member where it is, or give the block holding "
				      "the pointer a type: annotate its allocator%s with STF_ALLOCATOR",
				      word_name(x, holder, off, where, sizeof(where)), v, path,
				      nv - t->addr, wrapper);
				return -1;
			}
			if (nv != v)
				x->rep->member_moved++;
			*out = nv;
			return 0;
		}
		if (pr->dst < 0) {
			stf__xfail(x, "%s holds 0x%" PRIx64 ", a pointer into %s, which has no "
			      "counterpart in the new version",
			      word_name(x, holder, off, where, sizeof(where)), v,
			      stf__obj_name(t, on, sizeof(on)));
			return -1;
		}
	}
	if (!t) {
		/* inside a library's code where no function begins: a number
		 * whose high bytes are an address left over (regcomp's node
		 * copied from the stack, its padding a return address, its
		 * bitfields in the low bytes), which moving with the library
		 * would change: kept, as the numbers below */
		const struct stf_range *img = stf__peer_inside_lib_code(src, v) ? NULL :
			stf__peer_image_find(src, v);
		if (img) {
			const char *lib = src->libs[img->value].path;
			*out = stf__peer_same_place(src, x->dst, v);
			if (*out) {
				x->rep->pointers++;
				return 0;
			}
			if (string_tail(holder, off)) {
				*out = v;
				x->rep->integers++;
				return 0;
			}
			stf__xfail(x, "%s holds 0x%" PRIx64 ", a pointer into %s at offset 0x%" PRIx64
			      " where no function or static object of the program is, and the "
			      "new version does not map that file",
			      word_name(x, holder, off, where, sizeof(where)), v, lib,
			      v - src->libs[img->value].bias);
			return -1;
		}
		const struct stf_peer_lib *file = stf__peer_data_file(src, v);
		if (file && !stf__peer_maps_file(x->dst, file) && !string_tail(holder, off)) {
			/* newlocale's locale data: read from the file mapped
			 * for the old version, which the new one lacks */
			stf__xfail(x, "%s holds 0x%" PRIx64 ", a pointer into %s (offset 0x%" PRIx64
			      " of its mapping), a file the C library mapped for the old version "
			      "(a locale's data: newlocale, setlocale), which the new version does "
			      "not map there: the state holding it cannot be carried; make it where "
			      "it is used instead of keeping it across updates",
			      word_name(x, holder, off, where, sizeof(where)), v, file->path,
			      v - file->start);
			return -1;
		}
	}
	/* an integer, freed or unmapped memory, another process's stack:
	 * kept, and it must not come to mean an object of the destination */
	*out = v;
	x->rep->integers++;
	const struct stf_obj *alias = stf__peer_find(x->dst, v);
	if (alias && alias->addr + alias->size > v && !(alias->flags & STF_OBJF_INTERNAL) &&
	    alias->kind != STF_OBJ_FUNC && alias->kind != STF_OBJ_CONST && alias->kind != STF_OBJ_STRING) {
		stf__xfail(x, "%s holds 0x%" PRIx64 ", which points to nothing of the old version "
		      "but into %s of the new one; register a callback for it",
		      word_name(x, holder, off, where, sizeof(where)), v,
		      stf__obj_name(alias, on, sizeof(on)));
		return -1;
	}
	if (at && x->dir == STF_FORWARD && ends_new_object(x, v) &&
	    record_end_word(x, at, v, 0) < 0) {
		if (!x->deferred)
			stf__xfail(x, "out of memory");
		return -1;
	}
	return 0;
}

int stf__conservative_words(struct stf_xfer *x, const uint8_t *s, uint8_t *d, uint64_t n)
{
	struct range_memo memo = { 0 };
	for (uint64_t w = 0; w + 8 <= n; w += 8) {
		uint64_t v, nv;
		memcpy(&v, s + w, 8);
		if (classify_word(x, &memo, v, &nv, NULL, 0, 0) < 0)
			return -1;
		memcpy(d + w, &nv, 8);
	}
	return 0;
}

/* The words of source object i in [from, to), at 8-aligned addresses,
 * classified into its image d (which holds their bytes already): those
 * inside typed sub-objects are the sub-objects' own (transformed with
 * them, or left as they were when they moved out). */
int stf__classify_words(struct stf_xfer *x, size_t i, const uint8_t *s, uint8_t *d,
			uint64_t from, uint64_t to)
{
	const struct stf_obj *o = &x->src->objs[i];
	/* one range test rejects most words (zero, numbers, text) before
	 * anything else is looked at; they are counted at the end.  The
	 * in-sub cursor only moves forward, so it may skip them. */
	struct sub_cursor subs;
	struct range_memo memo = { 0 };
	struct word_bounds wb = stf__word_bounds();
	uint64_t numbers = 0, dst_base = x->dir == STF_FORWARD ? x->pair[i].dst_addr : o->addr;
	uint64_t capacity = stf__capacity_start(x, o);
	stf__subs_begin(x->src, o, &subs);
	for (uint64_t off = from + ((8 - ((o->addr + from) & 7)) & 7); off + 8 <= to; off += 8) {
		uint64_t v, nv;
		memcpy(&v, s + off, 8);
		if (v - wb.floor >= wb.span) {
			numbers += v && !stf__in_sub(&subs, o->addr + off);
			continue;
		}
		if (stf__in_sub(&subs, o->addr + off))
			continue;
		if (o->addr + off >= capacity && capacity_kept(x, &memo, v)) {
			numbers++;
			continue;
		}
		if (classify_word(x, &memo, v, &nv, o, off, dst_base + off) < 0)
			return -1;
		if (nv != v)
			memcpy(d + off, &nv, 8);
	}
	x->rep->integers += numbers;
	return 0;
}

/* The words of a typed head (heads.c) are converted as its type says,
 * the others classified.  A wrapper's block that moves whole with its
 * grown sub-object (stf__plan_subs) gets its prefix here, word by word,
 * at a new address: its only sub-object ends the block. */
int stf__xfer_placed(struct stf_xfer *x, size_t i, const uint8_t *s, uint8_t *d)
{
	const struct stf_obj *o = &x->src->objs[i];
	uint64_t n = o->size;
	struct stf_head head;
	if (stf__check_linker_block(x, i) < 0)
		return -1;
	if (x->resize && x->resize[i])
		n = stf__peer_subs(x->src, o, &(uint32_t){ 0 })->addr - o->addr;
	memcpy(d, s, n);
	if (stf__xfer_head(x, i, &head) < 0 ||
	    (head.size && stf__xform(x, head.su, head.st, s, head.du, head.dt, d, 0) < 0) ||
	    stf__classify_words(x, i, s, d, head.size, n) < 0)
		return -1;
	return stf__garray_headers_follow(x, i, d);
}

int stf__struct_changes(const struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t pt,
			char *tn, size_t tnlen)
{
	const struct stf_type_rec *P = T(u, pt);
	const struct stf_meta_unit *du;
	uint32_t dt;
	stf__type_str(u, pt, tn, tnlen);
	return *stf_meta_str(u, P->name) && stf_meta_find_type(x->dst->meta, tn, &du, &dt) == 0 &&
	       T(du, strip(du, dt))->hash != P->hash;
}

/*
 * A typed pointer to a struct or union that holds pointers or changes in
 * the new version, pointing into a heap block whose allocation site typed
 * it as plain numbers: the site took the type of a size header (`size_t
 * *p = malloc(sizeof(size_t) + n); ...; return p + 1;`), and the block
 * really holds the struct, which that type hides.  Copied as numbers, the
 * struct's pointers would not follow their targets and a changed struct
 * would not be converted (the new version would read it at the wrong
 * offsets), so the update is refused, naming the block, whose function
 * hands out objects from inside its blocks and needs STF_ALLOCATOR.
 * Likewise a struct that changes in a block its site typed as bytes
 * (`char *page = page_alloc(n)`, a page the program carves into objects
 * itself, see flex-pages.c); its pointers there are bytes.c's.
 */
int stf__check_numeric_host(struct stf_xfer *x, const struct pointee *pe,
			    const struct stf_obj *so, uint64_t off)
{
	if (!pe->unit || !so->unit || !stf__is_dynamic(so))
		return 0;
	uint32_t ht = strip(so->unit, so->type);
	const struct stf_type_rec *H = ht < so->unit->ntypes ? T(so->unit, ht) : NULL;
	if (H && H->kind == STF_K_ARRAY) {
		ht = strip(so->unit, H->target);
		H = ht < so->unit->ntypes ? T(so->unit, ht) : NULL;
	}
	if (!H || !(H->kind == STF_K_FLOAT || H->kind == STF_K_ENUM || H->kind == STF_K_INT))
		return 0;
	/* bytes hold records with pointers rightly (their words are
	 * classified, bytes.c), but not a struct whose layout changes */
	int bytes = H->kind == STF_K_INT && (H->flags & STF_TF_CHAR);
	uint32_t pt = strip(pe->unit, pe->type);
	const struct stf_type_rec *P = pt < pe->unit->ntypes ? T(pe->unit, pt) : NULL;
	if (!P || (P->kind != STF_K_STRUCT && P->kind != STF_K_UNION) ||
	    (P->flags & STF_TF_INCOMPLETE) || !P->size)
		return 0;
	char tn[256], hn[256], on[256];
	const struct stf_layout *l = stf__layout(x->layouts, pe->unit, pt);
	int changed = stf__struct_changes(x, pe->unit, pt, tn, sizeof(tn));
	if (!changed && (bytes || !l || !l->nptrs))
		return 0; /* numbers among numbers: copied as they are, rightly */
	stf__xfail(x, "%s: points to %s at offset %" PRIu64 " of %s, a heap block whose "
	      "allocation site typed it as %s: the block holds the struct, whose %s would be "
	      "lost copied as numbers; the function allocating it hands out objects from "
	      "inside its blocks (a size header in front?): declare it STF_ALLOCATOR",
	      stf__cur_path(x), stf__type_str(pe->unit, pt, tn, sizeof(tn)), off,
	      stf__obj_name(so, on, sizeof(on)), stf__type_str(so->unit, ht, hn, sizeof(hn)),
	      changed ? "new layout" : "pointers");
	return -1;
}
