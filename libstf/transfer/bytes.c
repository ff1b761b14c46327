/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bytes.c - heap blocks typed as bytes that hold pointers anyway.
 *
 * A block its allocation site types as bytes (char, unsigned char) can
 * hold records written into it (nginx's ngx_hash packs `void *value`
 * records into a `u_char` block).  Its words are classified like those of
 * an untyped block (untyped.c), but a block of bytes is mostly text, so a
 * word is rewritten only when no other reading is plausible:
 *   - the exact entry of a function, or the start of a static object, of
 *     one of its members or elements (any byte of an array of bytes):
 *     relocated (function ID, member path) and counted (bytes_words);
 *   - into a heap object or a mapping: that object keeps its address
 *     (pinned), as does the block, so the word stays right without being
 *     rewritten; if the pinned object's member moves in the new version,
 *     text cannot be told from a pointer: the update rolls back naming it;
 *   - elsewhere in the program's image (inside a number, inside a
 *     function): taken for data, kept and counted as an integer;
 *   - anything else (text, numbers, freed memory): kept as it is.
 * A mapping typed as bytes is such a block: it keeps its address
 * (mappings.c), and so do its words.
 * `--strict` refuses a block holding any word of the first or third kind
 * (nothing is known to be a pointer there).  The way back classifies F's
 * words the same way, so R receives P's bytes again; the diff compares
 * the words of such a block by target (diff.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "alloc.h"
#include "engine.h"
#include "remote.h"
#include "untyped.h"

enum bytes_word {
	BW_DATA,   /* no address of the source's: kept */
	BW_RELOC,  /* a function's entry, a static's value start: relocated */
	BW_HEAP,   /* into a heap object or a mapping: kept, the target keeps
	              its address */
	BW_INSIDE, /* inside the image, at no value's start: kept, counted */
};

/* A heap object or sub-object, or a mapping not carved by an
 * STF_ALLOCATOR, its allocation site types as bytes. */
static int is_bytes_block(const struct stf_obj *o)
{
	if (!o->unit || o->size < 8 ||
	    (o->kind != STF_OBJ_HEAP && o->kind != STF_OBJ_USER && o->kind != STF_OBJ_MMAP) ||
	    (o->kind == STF_OBJ_MMAP && (o->flags & STF_OBJF_CONTAINER)) ||
	    (o->flags & (STF_OBJF_IXFER | STF_OBJF_PXFER | STF_OBJF_INTERNAL | STF_OBJF_OWN |
			 STF_OBJF_STREAM)))
		return 0;
	uint32_t t = strip(o->unit, o->type);
	return t < o->unit->ntypes && T(o->unit, t)->kind == STF_K_INT && T(o->unit, t)->size == 1;
}

/* Does byte off of a value of type (u, t) start a value: the value
 * itself, a member or an element at any depth? */
static int starts_value(const struct stf_meta_unit *u, uint32_t t, uint64_t off, int depth)
{
	if (!off)
		return 1;
	t = strip(u, t);
	if (t >= u->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (R->kind == STF_K_ARRAY) {
		uint32_t et = strip(u, R->target);
		uint64_t esz = et < u->ntypes ? T(u, et)->size : 0;
		return esz && (!R->count || off < R->count * esz) &&
		       starts_value(u, et, off % esz, depth + 1);
	}
	if (R->kind != STF_K_STRUCT && R->kind != STF_K_UNION)
		return 0;
	for (uint32_t i = 0; i < R->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[R->members + i];
		uint32_t mt = strip(u, m->type);
		if (!m->bit_size && mt < u->ntypes && (uint64_t)m->offset <= off &&
		    off - m->offset < T(u, mt)->size &&
		    starts_value(u, mt, off - m->offset, depth + 1))
			return 1;
	}
	return 0;
}

/* The source's lowest address of an object or mapping of its image, and
 * the span up to the highest end (set per transfer by stf__plan_bytes): a
 * word outside is data, which one subtraction and one comparison tell
 * for most words of text and numbers. */
static uint64_t word_lo, word_span;

static void set_word_bounds(const struct stf_peer *p)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t k = 0; k < p->index.n; k++) {
		const struct stf_range *r = &p->index.ranges[k];
		lo = r->start < lo ? r->start : lo;
		hi = r->start + r->size > hi ? r->start + r->size : hi;
	}
	for (size_t k = 0; k < p->nimage; k++) {
		lo = p->image[k].start < lo ? p->image[k].start : lo;
		hi = p->image[k].start + p->image[k].size > hi ? p->image[k].start + p->image[k].size : hi;
	}
	word_lo = lo;
	word_span = hi > lo ? hi - lo : 0;
}

static inline int maybe_address(uint64_t v)
{
	return v - word_lo < word_span;
}

/* What the word v of a block of bytes is taken for; *target: the object
 * it points into (BW_RELOC, BW_HEAP, BW_INSIDE with an object).  memo:
 * the last range a run of words found (untyped.h). */
static enum bytes_word classify(const struct stf_xfer *x, struct range_memo *memo, uint64_t v,
				const struct stf_range **target)
{
	const struct stf_peer *p = x->src;
	*target = NULL;
	if (!maybe_address(v) || stf__not_a_pointer(v))
		return BW_DATA;
	const struct stf_range *r = stf__find_memo(&p->index, memo, v);
	if (!r)
		return stf__peer_image_find(p, v) ? BW_INSIDE : BW_DATA;
	const struct stf_obj *t = &p->objs[r->value];
	*target = r;
	switch (t->kind) {
	case STF_OBJ_FUNC:
		return v == t->addr ? BW_RELOC : BW_INSIDE;
	case STF_OBJ_STRING:
		return BW_RELOC; /* any byte of a literal */
	case STF_OBJ_STATIC:
	case STF_OBJ_CONST:
		if (t->unit ? starts_value(t->unit, t->type, v - t->addr, 0) : v == t->addr)
			return BW_RELOC;
		return BW_INSIDE;
	case STF_OBJ_HEAP:
	case STF_OBJ_USER:
	case STF_OBJ_MMAP:
		if (t->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN | STF_OBJF_STREAM))
			return BW_DATA;
		return BW_HEAP;
	default:
		return BW_DATA;
	}
}

/*
 * The way back mirrors the forward transfer's decisions: it classifies
 * the words of exactly the blocks the forward transfer found addresses in
 * (recorded by address: they keep it), and copies the others as they are,
 * as the forward transfer did (a word that was data in the old version
 * is data still, wherever it points in the new one).  That also spares
 * it a scan of every block of bytes.
 */
static uint64_t *fwd_blocks;
static size_t n_fwd_blocks, cap_fwd_blocks;
static int fwd_blocks_sorted;

static int record_block(uint64_t addr)
{
	if (n_fwd_blocks == cap_fwd_blocks) {
		size_t ncap = cap_fwd_blocks ? 2 * cap_fwd_blocks : 64;
		uint64_t *n = stf__raw_realloc(fwd_blocks, ncap * sizeof(*n));
		if (!n)
			return -1;
		fwd_blocks = n;
		cap_fwd_blocks = ncap;
	}
	fwd_blocks[n_fwd_blocks++] = addr;
	fwd_blocks_sorted = 0;
	return 0;
}

static int recorded_block(uint64_t addr)
{
	return stf__sorted_find(fwd_blocks, n_fwd_blocks, sizeof(*fwd_blocks), &fwd_blocks_sorted,
				addr) != NULL;
}

/* Planning one block of bytes (its bytes fetched): its heap targets keep
 * their address, and so does the block when it holds any address.  0, or
 * -1 (problem reported: --strict). */
static int plan_block(struct stf_xfer *x, size_t i, size_t *work, size_t *nwork)
{
	const struct stf_obj *o = &x->src->objs[i];
	struct range_memo memo = { 0 };
	const uint64_t lo = word_lo, span = word_span;
	int held = 0;
	for (uint64_t off = (8 - (o->addr & 7)) & 7; off + 8 <= o->size; off += 8) {
		const struct stf_range *r;
		uint64_t v;
		memcpy(&v, o->bytes + off, 8);
		if (v - lo >= span)
			continue;
		enum bytes_word k = classify(x, &memo, v, &r);
		if (k == BW_DATA)
			continue;
		if (x->strict && k != BW_HEAP) {
			char on[256];
			const struct stf_range *img = r ? NULL : stf__peer_image_find(x->src, v);
			x->obj = o;
			stf__path_cut(x, 0);
			stf__xfail(x, "%s: a block of bytes by the type of its allocation, but offset %"
			      PRIu64 " holds 0x%" PRIx64 ", which points into %s of the old version "
			      "(--strict: a word of bytes is not known to be a pointer, so it is "
			      "neither relocated nor kept); allocate the block as the type it holds, "
			      "or register a callback (stf_on_object)", stf__cur_path(x), off, v,
			      r ? stf__obj_name(&x->src->objs[r->value], on, sizeof(on)) :
			      img ? x->src->libs[img->value].path : "a mapping");
			return -1;
		}
		if (!held) {
			held = 1;
			x->pair[i].bytes_words = 1;
			if (x->dir == STF_FORWARD && record_block(o->addr) < 0) {
				stf__xfail(x, "out of memory");
				return -1;
			}
			if (!x->pair[i].pinned) {
				x->pair[i].pinned = 1;
				stf__pin_note(x, i, i, off);
			}
		}
		if (k != BW_HEAP)
			continue;
		/* a typed target keeps its address, even where a system
		 * header's struct would follow its own sub-object (untyped.c):
		 * the word is not rewritten */
		size_t t = r->value;
		const struct stf_obj *to = &x->src->objs[t];
		if ((to->unit || to->kind == STF_OBJ_MMAP) && !x->pair[t].pinned) {
			x->pair[t].pinned = 1;
			stf__pin_note(x, t, i, off);
		} else if (!to->unit && to->kind != STF_OBJ_MMAP) {
			stf__plan_word_memo(x, &memo, v, i, off, work, nwork);
		}
	}
	return 0;
}

/*
 * The blocks of bytes the forward transfer left unread (large ones are
 * read straight into their new objects: stf__mark_direct) are scanned
 * through one reused buffer, many blocks per system call; one that holds
 * a word other than data is then read whole and planned like the others.
 */
#define SCAN_BUF 65536

struct scan_piece {
	size_t obj;
	uint64_t off, len; /* in the object */
	uint64_t at;       /* in the buffer */
};

static int scan_pieces(struct stf_xfer *x, uint8_t *buf, struct iovec *liov, struct iovec *riov,
		       const struct scan_piece *pc, size_t n, uint8_t *hit)
{
	size_t total = 0;
	for (size_t k = 0; k < n; k++) {
		liov[k].iov_base = buf + pc[k].at;
		riov[k].iov_base = (void *)(uintptr_t)(x->src->objs[pc[k].obj].addr + pc[k].off);
		liov[k].iov_len = riov[k].iov_len = pc[k].len;
		total += pc[k].len;
	}
	ssize_t got = n ? process_vm_readv(x->src->pid, liov, n, riov, n, 0) : 0;
	if (got < 0 || (size_t)got != total) {
		char on[256];
		stf__xfail(x, "%s: cannot read its %" PRIu64 " bytes at 0x%" PRIx64 ": %s",
		      stf__obj_name(&x->src->objs[pc[0].obj], on, sizeof(on)),
		      x->src->objs[pc[0].obj].size, x->src->objs[pc[0].obj].addr,
		      got < 0 ? strerror(errno) : "short read");
		return -1;
	}
	struct range_memo memo = { 0 };
	const uint64_t lo = word_lo, span = word_span;
	for (size_t k = 0; k < n; k++) {
		if (hit[pc[k].obj])
			continue;
		for (uint64_t w = 0; w + 8 <= pc[k].len; w += 8) {
			const struct stf_range *r;
			uint64_t v;
			memcpy(&v, buf + pc[k].at + w, 8);
			if (v - lo < span && classify(x, &memo, v, &r) != BW_DATA) {
				hit[pc[k].obj] = 1;
				break;
			}
		}
	}
	return 0;
}

static int scan_deferred(struct stf_xfer *x, uint8_t *hit)
{
	struct stf_peer *p = x->src;
	uint8_t *buf = NULL;
	struct iovec liov[64], riov[64];
	struct scan_piece pc[64];
	size_t n = 0;
	uint64_t used = 0;
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (o->bytes || !(o->flags & STF_OBJF_DEFER) || !is_bytes_block(o))
			continue;
		if (!buf && !(buf = stf__arena_alloc(x->arena, SCAN_BUF))) {
			stf__xfail(x, "out of memory");
			return -1;
		}
		/* heap blocks are 16-byte aligned: pieces cut at multiples of 8
		 * keep their words whole */
		for (uint64_t off = 0; off < o->size;) {
			if (n == 64 || used + 8 > SCAN_BUF) {
				if (scan_pieces(x, buf, liov, riov, pc, n, hit) < 0)
					return -1;
				n = 0;
				used = 0;
			}
			uint64_t len = o->size - off, room = SCAN_BUF - used;
			if (len > room)
				len = room & ~(uint64_t)7;
			pc[n++] = (struct scan_piece){ i, off, len, used };
			used = (used + len + 7) & ~(uint64_t)7;
			off += len;
		}
	}
	return scan_pieces(x, buf, liov, riov, pc, n, hit);
}

/* Blocks whose relocated words the forward transfer named on stderr
 * (the first ones: what was taken for a pointer, for the user to check). */
#define NAMED_MAX 20
static unsigned named;

int stf__plan_bytes(struct stf_xfer *x, size_t *work, size_t *nwork)
{
	struct stf_peer *p = x->src;
	named = 0;
	if (x->dir == STF_FORWARD)
		n_fwd_blocks = 0; /* a new update */
	set_word_bounds(p);
	uint8_t *hit = stf__arena_alloc(x->arena, p->nobjs + 1);
	if (!hit) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	memset(hit, 0, p->nobjs + 1);
	if (scan_deferred(x, hit) < 0)
		return -1;
	for (size_t i = 0; i < p->nobjs; i++) {
		struct stf_obj *o = &p->objs[i];
		if (!is_bytes_block(o) ||
		    (x->dir == STF_BACKWARD && (!n_fwd_blocks || !recorded_block(o->addr))))
			continue;
		if (!o->bytes) {
			if (!hit[i])
				continue; /* read straight into its new object */
			x->obj = o;
			stf__path_cut(x, 0);
			if (!stf__fetch_deferred(x, o))
				return -1;
		}
		if (plan_block(x, i, work, nwork) < 0)
			return -1;
	}
	return 0;
}

/* The transform of a block of bytes plan_block found words in: copied,
 * and its words classified again (the same answers). */
int stf__xfer_bytes(struct stf_xfer *x, size_t i, const uint8_t *s, uint8_t *d)
{
	const struct stf_obj *o = &x->src->objs[i];
	struct range_memo memo = { 0 };
	const uint64_t lo = word_lo, span = word_span;
	uint64_t relocated = 0, first = 0;
	size_t first_to = 0;
	memcpy(d, s, o->size);
	for (uint64_t off = (8 - (o->addr & 7)) & 7; off + 8 <= o->size; off += 8) {
		const struct stf_range *r;
		uint64_t v, nv;
		memcpy(&v, s + off, 8);
		if (v - lo >= span)
			continue; /* data: classify's first answer */
		switch (classify(x, &memo, v, &r)) {
		case BW_DATA:
			break;
		case BW_INSIDE:
			x->rep->integers++;
			break;
		case BW_RELOC:
			if (stf__reloc(x, v, &nv, NULL) < 0)
				return -1;
			memcpy(d + off, &nv, 8);
			x->rep->bytes_words++;
			if (!relocated++) {
				first = off;
				first_to = r->value; /* BW_RELOC: an object */
			}
			break;
		case BW_HEAP: {
			const struct pairing *pr = &x->pair[r->value];
			if (pr->placed || !pr->pinned ||
			    (pr->same && pr->dst_addr == x->src->objs[r->value].addr))
				break; /* the same address, offsets map to themselves */
			if (stf__reloc(x, v, &nv, NULL) < 0)
				return -1;
			if (nv == v)
				break;
			char on[256];
			stf__xfail(x, "%s: a block of bytes by the type of its allocation, but offset %"
			      PRIu64 " holds 0x%" PRIx64 ", the address of offset %" PRIu64 " of %s, "
			      "which keeps its address for it but whose member there moves to "
			      "offset %" PRIu64 " in the new version: a word of bytes may be text, "
			      "so it is not rewritten; allocate the block as the type it holds, or "
			      "keep that member where it is", stf__cur_path(x), off, v,
			      v - x->src->objs[r->value].addr,
			      stf__obj_name(&x->src->objs[r->value], on, sizeof(on)),
			      nv - x->src->objs[r->value].addr);
			return -1;
		}
		}
	}
	/* the messages in the serial loop's order, which alone counts them */
	if (relocated && x->dir == STF_FORWARD && x->in_part)
		return stf__part_defer(x);
	if (relocated && x->dir == STF_FORWARD && named++ < NAMED_MAX) {
		char on[256], tn[256];
		fprintf(stderr, "libstf: forward transfer: %s: %" PRIu64 " word%s of a block of "
			"bytes taken for pointers and relocated (the first at offset %" PRIu64
			", to %s)\n", stf__obj_name(o, on, sizeof(on)), relocated,
			relocated == 1 ? "" : "s", first,
			stf__obj_name(&x->src->objs[first_to], tn, sizeof(tn)));
	}
	return 0;
}
