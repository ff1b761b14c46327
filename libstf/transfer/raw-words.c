/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * raw-words.c - objects copied as raw bytes: a word holding an address of
 * the source would reach the destination unrelocated; such a transfer is
 * refused, naming the word and what it points to.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "fault.h"
#include "heads.h"
#include "remote.h"
#include "xfer.h"
#include "untyped.h"

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
			 kinds[t->kind] : "object", stf__obj_name(t, on, sizeof(on)));
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
int stf__find_raw_pointer(struct stf_xfer *x, const struct stf_obj *o, uint64_t from,
			  uint64_t to, uint64_t *at, uint64_t *val, char *what, size_t len)
{
	if (!o->bytes)
		return 0;
	from += (8 - ((o->addr + from) & 7)) & 7;
	struct sub_cursor subs;
	stf__subs_begin(x->src, o, &subs);
	for (uint64_t off = from; off + 8 <= to; off += 8) {
		uint64_t v;
		if (stf__in_sub(&subs, o->addr + off))
			continue;
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
int stf__find_referrer(struct stf_xfer *x, const struct stf_obj *o, char *buf, size_t len)
{
	const struct stf_peer *p = x->src;
	struct stf_ptr_walk w = { 0 };
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_leaf *f;
		uint64_t v;
		if (stf__ptr_walk_start(&w, x->layouts, &p->objs[i],
					(1u << STF_LEAF_PTR) | (1u << STF_LEAF_PXFER)) <= 0)
			continue;
		while (stf__ptr_walk_next(&w, &f, &v)) {
			if (v - o->addr >= o->size)
				continue;
			uint32_t lt;
			size_t n;
			stf__obj_name(w.o, buf, len);
			n = strlen(buf);
			if (w.count > 1 && n < len)
				n += snprintf(buf + n, len - n, "[%" PRIu64 "]", w.e);
			stf__type_path(w.o->unit, w.o->type, f->off, buf, len, &lt);
			return 0;
		}
	}
	return -1;
}

/* " xalloc (on its declaration)" for a block of a site inside an
 * allocator wrapper ("file.c:func/return#n"), else "". */
void stf__wrapper_of(const struct stf_obj *o, char *buf, size_t len)
{
	const char *colon = strchr(o->id, ':');
	const char *slash = colon ? strchr(colon, '/') : NULL;
	*buf = 0;
	if (slash && slash > colon + 1 && !strncmp(slash, "/return#", 8))
		snprintf(buf, len, " %.*s (on its declaration)",
			 (int)(slash - colon - 1 > 100 ? 100 : slash - colon - 1), colon + 1);
}

/*
 * An object copied as raw bytes (no type says where its pointers are):
 * a word holding an address of the source's image or of one of its
 * objects would reach the destination unrelocated, and the new version
 * would follow it into the old one's memory.  Such a transfer is refused.
 */
int stf__check_raw(struct stf_xfer *x, const struct stf_obj *o)
{
	char on[256], what[512], wrapper[160] = "";
	uint64_t off, v;

	if (!stf__find_raw_pointer(x, o, 0, o->size, &off, &v, what, sizeof(what)))
		return 0;
	if (o->dyn_id && (o->flags & STF_OBJF_EXTERNAL)) {
		/* a block of uninstrumented code ("libc.so.6+0x761fb"): the
		 * user has no allocator wrapper to annotate there */
		char lib[128], from[400] = "";
		const char *plus = strchr(o->id, '+');
		snprintf(lib, sizeof(lib), "%.*s", plus ? (int)(plus - o->id) : (int)strlen(o->id),
			 o->id);
		if (stf__find_referrer(x, o, from + 6, sizeof(from) - 6) == 0)
			memcpy(from, " from ", 6);
		stf__xfail(x, "%s: untyped block allocated inside %s (%" PRIu64 " bytes) is "
		      "pointed to%s, but its offset %" PRIu64 " holds 0x%" PRIx64 ", a "
		      "pointer into %s (stale in the new version): pointers to memory a "
		      "library allocated for itself cannot be transferred; keep that pointer "
		      "out of the state (STF_IXFER) or register a callback (stf_on_object) "
		      "for the object holding it", stf__obj_name(o, on, sizeof(on)), lib, o->size,
		      *from ? from : " from typed state", off, v, what);
		return -1;
	}
	if (o->flags & STF_OBJF_CONTAINER) {
		/* STF_ALLOCATOR is there already: its objects are typed */
		uint32_t nsubs;
		stf__peer_subs(x->src, o, &nsubs);
		stf__xfail(x, "%s: block of an allocator (%" PRIu64 " bytes, %" PRIu32 " typed "
		      "objects handed out from it) is copied as raw bytes outside those "
		      "objects, but its offset %" PRIu64 " holds 0x%" PRIx64 ", a pointer into "
		      "%s of the old version that would be stale in the new one: raw pointers "
		      "in an allocator's own bookkeeping cannot be transferred yet; register a "
		      "callback (stf_on_object) for the block", stf__obj_name(o, on, sizeof(on)),
		      o->size, nsubs, off, v, what);
		return -1;
	}
	stf__wrapper_of(o, wrapper, sizeof(wrapper));
	if (o->dyn_id)
		stf__xfail(x, "%s: untyped block (site %s, dynamic ID %" PRIu64 ", %" PRIu64
		      " bytes) is copied as raw bytes, but offset %" PRIu64 " holds "
		      "0x%" PRIx64 ", a pointer into %s of the old version that would "
		      "be stale in the new one; annotate the allocator wrapper%s with "
		      "STF_ALLOCATOR (so the block gets the type of its allocation), "
		      "or the type holding these bytes with STF_IXFER if they are not "
		      "pointers", stf__obj_name(o, on, sizeof(on)), *o->id ? o->id : "unknown",
		      o->dyn_id, o->size, off, v, what, wrapper);
	else
		stf__xfail(x, "%s: untyped object (%" PRIu64 " bytes) is copied as raw bytes, "
		      "but offset %" PRIu64 " holds 0x%" PRIx64 ", a pointer into %s of "
		      "the old version that would be stale in the new one; annotate it "
		      "with STF_IXFER if these bytes are not pointers", o->id, o->size,
		      off, v, what);
	return -1;
}

/* The same for the bytes of a typed block past its last whole element
 * (malloc(sizeof(T) + extra)), which no type describes either. */
int stf__check_raw_tail(struct stf_xfer *x, const struct stf_obj *o, uint64_t from)
{
	char tn[256], what[512];
	uint64_t off, v;

	if (from >= o->size ||
	    !stf__find_raw_pointer(x, o, from, o->size, &off, &v, what, sizeof(what)))
		return 0;
	stf__xfail(x, "%s: the %" PRIu64 " bytes after its last whole %s are copied as raw "
	      "bytes, but offset %" PRIu64 " holds 0x%" PRIx64 ", a pointer into %s of "
	      "the old version that would be stale in the new one; declare them as a "
	      "flexible array member of the type, or register a callback (stf_on_object)",
	      stf__cur_path(x), o->size - from, stf__type_str(o->unit, o->type, tn, sizeof(tn)), off,
	      v, what);
	return -1;
}

