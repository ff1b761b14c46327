/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * untyped-plan.c - which untyped blocks keep their address and which typed
 * objects they pin: the words of untyped blocks and ambiguous unions,
 * followed from the roots (untyped.c classifies them afterwards).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
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

/* Planning: mark what a word of source object `from` (at offset `at`)
 * needs: an untyped block to place (pushed on work), a typed object to
 * pin.  memo: the last range a run of words found (untyped.h). */
void stf__plan_word_memo(struct stf_xfer *x, struct range_memo *memo, uint64_t v, size_t from,
			 uint64_t at, size_t *work, size_t *nwork)
{
	uint64_t start;
	uint32_t st;
	if (!v || stf__not_a_pointer(v) ||
	    stf__apr_word(x, &x->src->objs[from], at) == STF_APR_OWN)
		return; /* APR's position in its own node: kept as it is */
	const struct stf_range *r = stf__plan_find(&x->src->index, memo, v);
	if (!r || memo->record)
		return;
	size_t k = r->value;
	const struct stf_obj *t = &x->src->objs[k];
	if ((t->kind != STF_OBJ_HEAP && t->kind != STF_OBJ_MMAP && !t->container) ||
	    (t->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN | STF_OBJF_STREAM)))
		return;
	if (t->kind == STF_OBJ_MMAP && !t->container) {
		/* a mapping keeps its address where it can (mappings.c);
		 * held by this word, it must */
		if (!x->pair[k].pinned) {
			x->pair[k].pinned = 1;
			stf__pin_note(x, k, from, at);
		}
		/* a library's own (APR's pool nodes): its words are classified
		 * like an untyped block's */
		if (stf__library_mapping(t) && !x->pair[k].placed) {
			x->pair[k].placed = x->pair[k].needed = 1;
			work[(*nwork)++] = k;
		}
		return;
	}
	if (!t->unit) {
		/* a block holding sub-objects that move with it keeps its
		 * address for this value instead (stf__plan_subs) */
		if (t->flags & STF_OBJF_CONTAINER)
			stf__pin_note(x, k, from, at);
		if (!x->pair[k].placed && !stf__is_libc_stream(x, t)) {
			x->pair[k].placed = x->pair[k].needed = 1;
			work[(*nwork)++] = k;
		}
		return;
	}
	if (x->pair[k].pinned ||
	    stf__system_subobject(t->unit, t->type, stf__elem_off(t, v - t->addr), &start, &st) ||
	    stf__user_data_ref(x, from, at, t, v))
		return;
	x->pair[k].pinned = 1;
	stf__pin_note(x, k, from, at);
}

void stf__plan_word(struct stf_xfer *x, uint64_t v, size_t from, uint64_t at, size_t *work,
		    size_t *nwork)
{
	struct range_memo memo = { 0 };
	stf__plan_word_memo(x, &memo, v, from, at, work, nwork);
}

/*
 * A word of an integer at offset at of source object from, of an address
 * type (uintptr_t, intptr_t: tagged, STF_ADDR_TAGGED) or another
 * word-sized one (size_t, long: a free list threaded through dead
 * objects' first member; STF_ADDR_EXACT): an integer is never relocated
 * (it may be a number), so an address in it, untagged (tagged: low 3 bits
 * cleared), stays right only if its target keeps its address: a heap
 * object or a mapping holding it at its start, or anywhere in a block of bytes or an
 * untyped block, whose contents do not move, is kept there (pinned,
 * converted in place).  An address type's word into a typed object
 * elsewhere (a member, an element past the first) would be left behind
 * when that moves in the new layout: the update rolls back; another
 * integer's is taken for a number.  0, or -1 (problem reported).
 */
static int plan_addr_word(struct stf_xfer *x, uint64_t v, int tagged, size_t from,
			  uint64_t at, size_t *work, size_t *nwork)
{
	uint64_t a = tagged ? v & ~(uint64_t)7 : v;
	if (!a || stf__not_a_pointer(a))
		return 0;
	const struct stf_range *r = stf__index_find(&x->src->index, a, 0);
	if (!r)
		return 0;
	size_t k = r->value;
	const struct stf_obj *t = &x->src->objs[k];
	if ((t->kind != STF_OBJ_HEAP && t->kind != STF_OBJ_MMAP && !t->container) ||
	    (t->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN | STF_OBJF_STREAM)))
		return 0;
	if (!t->unit) {
		x->rep->int_addrs += !tagged;
		stf__plan_word(x, a, from, at, work, nwork);
		return 0;
	}
	uint32_t et = strip(t->unit, t->type);
	int bytes = et < t->unit->ntypes && T(t->unit, et)->kind == STF_K_INT &&
		    T(t->unit, et)->size == 1;
	if (a != t->addr && !bytes) {
		/* backward, the word is the old version's own, judged forward
		 * against the objects it pointed into there: data that only
		 * happens to land inside a grown object now (an end cursor)
		 * stays data, and the diff checks what the way back gives;
		 * an integer of no address type there is the number it may be
		 * (a key read through a carved page's items, t/xfer/
		 * flexpage17-cross): only a block's start says address */
		if (x->dir == STF_BACKWARD || !tagged)
			return 0;
		const struct stf_obj *o = &x->src->objs[from];
		char holder[512], target[512], on[256];
		uint32_t lt;
		snprintf(holder, sizeof(holder), "%s", stf__obj_name(o, on, sizeof(on)));
		stf__type_path(o->unit, o->type, stf__elem_off(o, at), holder, sizeof(holder), &lt);
		snprintf(target, sizeof(target), "%s", stf__obj_name(t, on, sizeof(on)));
		stf__type_path(t->unit, t->type, stf__elem_off(t, a - t->addr), target,
			       sizeof(target), &lt);
		stf__xfail(x, "%s, an integer%s, holds 0x%" PRIx64 ", which %spoints to %s, "
		      "offset %" PRIu64 " of that object: an integer is not relocated, and that "
		      "place may move in the new version; declare the member STF_PXFER if it "
		      "holds a pointer, STF_IXFER if it is a number", holder,
		      tagged ? " of an address type" : "", v, tagged ? "(low 3 bits cleared) " : "",
		      target, a - t->addr);
		return -1;
	}
	x->rep->int_addrs += !tagged;
	if (!x->pair[k].pinned) {
		x->pair[k].pinned = 1;
		stf__pin_note(x, k, from, at);
	}
	return 0;
}

/* The words of the ambiguous unions in a typed object: no type says which
 * member is live (a dict entry's value: a pointer or a number; libevent's
 * struct event: list links in unions).  With --strict only those of
 * system headers' types, which cannot be annotated.  Not in the
 * locals of an update point's function: those are scratch filled before
 * each use (the struct epoll_event array of an event loop), copied as
 * they are (transform.c).  Also the words of its integers of an address
 * type (plan_addr_word).  Only words inside the block: one allocated
 * shorter than its struct (a name running short, member-tail.c) ends
 * before the union, which another block, or an unmapped page, follows.
 * Recorded ahead (memo->record): the unions' words only. */
int stf__plan_typed(struct stf_xfer *x, size_t i, const struct stf_meta_unit *u, uint32_t t,
		    uint64_t size, struct range_memo *memo, size_t *work, size_t *nwork)
{
	const struct stf_obj *o = &x->src->objs[i];
	const struct stf_layout *l = memo->record ? stf__plan_record_layout(memo->record, u, t) :
						    stf__layout(x->layouts, u, t);
	if (!l) {
		if (memo->record)
			memo->record->oom = 1;
		else
			stf__xfail(x, "out of memory");
		return -1;
	}
	if ((!l->nambig && !l->naddr) || !l->size)
		return 0;
	uint64_t count = stf__is_dynamic(o) && size >= l->size ? size / l->size : 1;
	for (size_t k = 0; k < l->n; k++) {
		const struct stf_leaf *f = &l->leaves[k];
		if (f->addr_words) {
			/* an STF_PXFER integer is a pointer: relocated */
			if ((o->flags & STF_OBJF_PXFER) || memo->record)
				continue;
			for (uint64_t e = 0; e < count; e++)
				for (uint64_t w = 0; w + 8 <= f->size; w += 8) {
					uint64_t v, at = e * l->size + f->off + w;
					if (at + 8 > size)
						break;
					memcpy(&v, o->bytes + at, 8);
					if (plan_addr_word(x, v, f->addr_words == STF_ADDR_TAGGED, i, at,
							   work, nwork) < 0)
						return -1;
				}
			continue;
		}
		uint32_t ut = f->kind == STF_LEAF_AMBIG ? strip(f->unit, f->type) : STF_NONE;
		if (ut >= f->unit->ntypes || (x->strict && !(T(f->unit, ut)->flags & STF_TF_SYSTEM)))
			continue;
		for (uint64_t e = 0; e < count; e++)
			for (uint64_t w = 0; w + 8 <= f->size; w += 8) {
				uint64_t v, at = e * l->size + f->off + w;
				if (at + 8 > size)
					break;
				memcpy(&v, o->bytes + at, 8);
				stf__plan_word_memo(x, memo, v, i, at, work, nwork);
			}
	}
	return 0;
}

/* one range test rejects most words before anything else is looked at:
 * the in-sub cursor only moves forward, so it may skip the words the test
 * rejected */
void stf__plan_block(struct stf_xfer *x, size_t i, uint64_t head_size, struct range_memo *memo,
		     size_t *work, size_t *nwork)
{
	const struct stf_peer *p = x->src;
	const struct stf_obj *o = &p->objs[i];
	struct sub_cursor subs;
	struct word_bounds wb = stf__word_bounds();
	uint64_t capacity = stf__capacity_start(x, o);
	stf__subs_begin(p, o, &subs);
	for (uint64_t off = (8 - (o->addr & 7)) & 7; off + 8 <= o->size; off += 8) {
		uint64_t v;
		memcpy(&v, o->bytes + off, 8);
		if (v - wb.floor >= wb.span || off < head_size || stf__in_sub(&subs, o->addr + off))
			continue;
		/* unused capacity pins no sub-object (untyped.h) */
		if (o->addr + off >= capacity && stf__capacity_sub(x, memo, v))
			continue;
		stf__plan_word_memo(x, memo, v, i, off, work, nwork);
	}
}

int stf__plan_untyped(struct stf_xfer *x)
{
	struct stf_peer *p = x->src;
	/* an entry per object, in each direction: kept pages (bulk.c), not
	 * fresh ones faulted one by one */
	uint8_t *reached = stf__bulk_alloc(p->nobjs + 1);
	size_t *work = stf__bulk_alloc((p->nobjs + 1) * sizeof(*work)), nwork = 0;
	struct plan_ahead *ahead = NULL;
	if (x->dir == STF_FORWARD)
		stf__forget_end_words();
	if (!reached || !work || stf__apr_walk(x) < 0 ||
	    stf__peer_infer_types(p, x->layouts, reached) < 0)
		goto oom;
	stf__profile_mark("untyped plan: infer types");
	if (stf__check_member_uses(x) < 0 || stf__check_sized_blocks(x) < 0 ||
	    stf__check_prefix_wrappers(x) < 0 ||
	    stf__check_glib_arrays(x) < 0 || stf__check_glib_slices(x) < 0 ||
	    stf__check_apr_arrays(x) < 0)
		goto failed;
	stf__profile_mark("untyped plan: check uses");
	ahead = stf__plan_ahead(x);
	/* roots: untyped blocks transferred anyway (untyped sites of the
	 * program) or reached by typed pointers (blocks of libraries), and
	 * the ambiguous unions of library types */
	for (size_t i = 0; i < p->nobjs; i++)
		x->pair[i].needed = reached[i];
	for (size_t i = 0; i < p->nobjs; i++) {
		struct stf_obj *o = &p->objs[i];
		stf__peer_prefetch_ahead(p, i, p->nobjs); /* the unions' words */
		if (x->unreached && x->unreached[i])
			continue; /* dropped: it keeps nothing in place */
		int handle = reached[i] ? stf__pair_dl_handle(x, i) : 0;
		if (handle < 0)
			goto failed;
		if (handle)
			continue; /* the destination's own link map (dl-handles.c) */
		if ((o->kind == STF_OBJ_HEAP || stf__library_mapping(o)) && !o->unit && o->bytes &&
		    !(o->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN | STF_OBJF_STREAM)) &&
		    (!(o->flags & STF_OBJF_EXTERNAL) || reached[i]) && !x->pair[i].placed &&
		    !stf__is_libc_stream(x, o)) {
			x->pair[i].placed = x->pair[i].needed = 1;
			work[nwork++] = i;
		} else if (stf__plan_typed_root(o)) {
			struct range_memo memo = { 0 };
			stf__plan_ahead_take(ahead, i, 1, &memo);
			if (stf__plan_typed(x, i, o->unit, o->type, o->size, &memo, work, &nwork) < 0)
				goto failed;
		} else if (stf__is_lib_data(o) && o->bytes && x->pair[i].dst >= 0) {
			/* a library's own statics (libev's default loop), carried to
			 * the same place of the same file */
			if (x->dst->objs[x->pair[i].dst].size != o->size) {
				stf__xfail(x, "%s: %" PRIu64 " bytes in the old version, %" PRIu64 " in "
				      "the new one: not the same build of the library, whose state "
				      "cannot be carried; run both versions with the same one", o->id,
				      o->size, x->dst->objs[x->pair[i].dst].size);
				goto failed;
			}
			x->pair[i].placed = x->pair[i].needed = 1;
			work[nwork++] = i;
		}
	}
	/* objects whose address is a key, blocks typed as bytes that hold
	 * addresses anyway (bytes.c), blocks carved into objects (flex-pages.c) */
	if (stf__plan_addr_keys(x, work, &nwork) < 0 || stf__plan_bytes(x, work, &nwork) < 0)
		goto failed;
	stf__plan_carved(x, work, &nwork);
	while (nwork) {
		size_t i = work[--nwork];
		const struct stf_obj *o = &p->objs[i];
		if (!o->bytes)
			continue;
		/* a typed head's words are typed: only its unions are planned */
		struct stf_head head;
		struct range_memo memo = { 0 };
		if (stf__xfer_head(x, i, &head) < 0)
			goto failed;
		if (head.size &&
		    stf__plan_typed(x, i, head.su, head.st, head.size, &memo, work, &nwork) < 0)
			goto failed;
		if (!o->unit && !head.size)
			stf__plan_ahead_take(ahead, i, 0, &memo);
		stf__plan_block(x, i, head.size, &memo, work, &nwork);
	}
	stf__plan_ahead_free(ahead);
	stf__bulk_free(reached);
	stf__bulk_free(work);
	return 0;
oom:
	stf__xfail(x, "out of memory");
failed:
	stf__plan_ahead_free(ahead);
	stf__bulk_free(reached);
	stf__bulk_free(work);
	return -1;
}
