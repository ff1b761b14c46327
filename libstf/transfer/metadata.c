/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * metadata.c - snapshot of a peer process's state (see remote.h): opening a
 * peer (its root, metadata units, site and slot tables), cataloging its
 * objects (statics, tracked heap and mmap objects, update-point locals,
 * each thread's thread-locals with tls.c, sub-objects with subattach.c)
 * and fetching their bytes in bulk (fetch.c).  This is the metadata
 * transfer: F reads the past version P through it, R's state is read back
 * the same way for the differencing.  Neighbours: arena.c, peer-io.c (memory
 * access), libraries.c, args.c, layout.c; untyped.c infers types.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "alloc.h"
#include "remote.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/* An error message into err (shared by the peer's files). */
void stf__fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Catalog.                                                            */

size_t stf__peer_add(struct stf_peer *p, const struct stf_obj *o)
{
	if (p->nobjs == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 1024;
		/* what the mapping holds already first: no move, no fresh page */
		if (p->objs && stf__bulk_room(p->objs) / sizeof(*p->objs) > p->cap)
			ncap = stf__bulk_room(p->objs) / sizeof(*p->objs);
		struct stf_obj *n = stf__bulk_realloc(p->objs, ncap * sizeof(*n));
		if (!n)
			return (size_t)-1;
		p->objs = n;
		p->cap = ncap;
	}
	p->objs[p->nobjs] = *o;
	return p->nobjs++;
}

int stf__peer_reserve(struct stf_peer *p, size_t n)
{
	if (n <= p->cap)
		return 0;
	struct stf_obj *o = stf__bulk_realloc(p->objs, n * sizeof(*o));
	if (!o)
		return -1;
	p->objs = o;
	p->cap = n;
	return 0;
}

int stf__peer_set_subs(struct stf_peer *p, size_t c, size_t first, size_t n)
{
	if (p->nsubs == p->subs_cap) {
		size_t ncap = p->subs_cap ? p->subs_cap * 2 : 64;
		struct stf_peer_subs *t = stf__bulk_realloc(p->subs, ncap * sizeof(*t));
		if (!t)
			return -1;
		p->subs = t;
		p->subs_cap = ncap;
	}
	p->subs[p->nsubs++] = (struct stf_peer_subs){ (uint32_t)c, (uint32_t)first, (uint32_t)n };
	return 0;
}

const struct stf_obj *stf__peer_subs(const struct stf_peer *p, const struct stf_obj *o,
				     uint32_t *n)
{
	uint32_t c = (uint32_t)(o - p->objs);
	size_t lo = 0, hi = p->nsubs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->subs[mid].container < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == p->nsubs || p->subs[lo].container != c) {
		*n = 0;
		return NULL;
	}
	*n = p->subs[lo].n;
	return &p->objs[p->subs[lo].first];
}

void stf__peer_index(struct stf_peer *p)
{
	stf__index_reset(&p->index);
	/* all its pages are written below: in one go (see bulk.c) */
	stf__peer_index_reserve(&p->index, p->nobjs);
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (o->flags & STF_OBJF_CONTAINER) {
			/* the bytes between its sub-objects (the sub-objects
			 * are ranges of their own): offsets are taken from
			 * the object's address, not the range's */
			uint64_t at = o->addr;
			uint32_t nsubs;
			const struct stf_obj *subs = stf__peer_subs(p, o, &nsubs);
			for (uint32_t k = 0; k < nsubs; k++) {
				const struct stf_obj *s = &subs[k];
				if (stf__untyped_sub(s))
					continue; /* its container's bytes */
				if (s->addr > at)
					stf__index_add(&p->index, at, s->addr - at, i);
				at = s->addr + s->size;
			}
			if (o->addr + o->size > at)
				stf__index_add(&p->index, at, o->addr + o->size - at, i);
			continue;
		}
		if (stf__untyped_sub(o) || stf__is_lib_data(o))
			continue; /* lib data: see stf__add_lib_data */
		/* functions are looked up by their entry point only */
		stf__index_add(&p->index, o->addr,
			       o->kind == STF_OBJ_FUNC && !o->size ? 1 : o->size, i);
	}
	/* Overlaps happen legitimately (merged string literals, aliases);
	 * the lookup then returns one of them. */
	stf__index_sort(&p->index, NULL, NULL);
}

const struct stf_obj *stf__peer_find(const struct stf_peer *p, uint64_t addr)
{
	const struct stf_range *r = stf__index_find(&p->index, addr, STF_INDEX_END);
	return r ? &p->objs[r->value] : NULL;
}

const struct stf_obj *stf__peer_find_near(const struct stf_peer *p, uint64_t addr,
					  const struct stf_range **hint)
{
	const struct stf_range *r = stf__index_find_near(&p->index, addr, STF_INDEX_END, hint);
	return r ? &p->objs[r->value] : NULL;
}

static const struct stf_meta_unit *unit_at(const struct stf_peer *p, uint64_t addr)
{
	for (size_t i = 0; i < p->meta->nunits; i++)
		if (p->meta->units[i].addr == addr)
			return &p->meta->units[i];
	return NULL;
}

/* IDs name a file by its base name: the statics and functions of two
 * files of one name in different directories (net/util.c, disk/util.c)
 * would be taken for one another.  String literals share IDs by content,
 * external objects by name, on purpose. */
static int id_collides(struct stf_peer *p, const struct stf_meta_unit *mu, uint32_t i,
		       char *err, size_t errlen)
{
	const struct stf_object_rec *r = &mu->objects[i];
	const struct stf_meta_unit *fu;
	uint32_t fi;

	if (r->kind == STF_O_STRING || (r->flags & STF_OF_EXTERN) ||
	    stf_meta_find_object(p->meta, stf_meta_str(mu, r->id), &fu, &fi) < 0 ||
	    (fu == mu && fi == i) || (fu->objects[fi].flags & STF_OF_EXTERN))
		return 0;
	const char *a = stf_meta_str(fu, fu->blob->path), *b = stf_meta_str(mu, mu->blob->path);
	if (!strcmp(a, b))
		return 0;
	stf__fail(err, errlen, "%s: files %s and %s have one name: their statics and functions "
	     "would be taken for one another; rename one of the files",
	     stf_meta_str(mu, r->id), a, b);
	return 1;
}

static int add_statics(struct stf_peer *p, char *err, size_t errlen)
{
	for (size_t u = 0; u < p->meta->nunits; u++) {
		const struct stf_meta_unit *mu = &p->meta->units[u];
		for (uint32_t i = 0; i < mu->nobjects; i++) {
			const struct stf_object_rec *r = &mu->objects[i];
			struct stf_obj o = { 0 };
			if (r->flags & STF_OF_TLS)
				continue; /* one per thread: stf__add_tls */
			o.addr = mu->addrs[i];
			o.size = r->size;
			o.id = stf_meta_str(mu, r->id);
			if (id_collides(p, mu, i, err, errlen))
				return -1;
			o.unit = r->type < mu->ntypes ? mu : NULL;
			o.type = r->type;
			switch (r->kind) {
			case STF_O_VAR:
				o.kind = (r->flags & STF_OF_READONLY) ? STF_OBJ_CONST
								      : STF_OBJ_STATIC;
				break;
			case STF_O_FUNC:
				o.kind = STF_OBJ_FUNC;
				break;
			case STF_O_STRING:
				o.kind = STF_OBJ_STRING;
				o.site = i; /* its record: its place (pairing.c) */
				break;
			default:
				continue;
			}
			if (r->flags & STF_OF_IXFER)
				o.flags |= STF_OBJF_IXFER;
			if (r->flags & STF_OF_PXFER)
				o.flags |= STF_OBJF_PXFER;
			if (!o.addr)
				continue;
			if (stf__peer_add(p, &o) == (size_t)-1) {
				stf__fail(err, errlen, "out of memory cataloging statics");
				return -1;
			}
		}
	}
	return 0;
}

static int load_sites(struct stf_peer *p, char *err, size_t errlen)
{
	size_t n = p->root.nsites;
	struct stf_site_ref *refs;

	if (n > (1u << 24)) {
		stf__fail(err, errlen, "process %d: implausible site count %zu", (int)p->pid, n);
		return -1;
	}
	refs = stf__raw_malloc((n ? n : 1) * sizeof(*refs));
	p->site_ids = stf__arena_alloc(p->arena, (n + 1) * sizeof(char *));
	p->site_unit = stf__arena_alloc(p->arena, (n + 1) * sizeof(void *));
	p->site_type = stf__arena_alloc(p->arena, (n + 1) * sizeof(uint32_t));
	if (!refs || !p->site_ids || !p->site_unit || !p->site_type) {
		stf__raw_free(refs);
		stf__fail(err, errlen, "out of memory reading the site table");
		return -1;
	}
	if (stf__peer_read(p, p->root.sites, refs, n * sizeof(*refs)) < 0) {
		stf__raw_free(refs);
		stf__fail(err, errlen, "process %d: cannot read its site table (%zu sites at 0x%"
		     PRIx64 "): %s", (int)p->pid, n, p->root.sites, strerror(errno));
		return -1;
	}
	p->nsites = n;
	for (size_t i = 0; i < n; i++) {
		const struct stf_site_ref *s = &refs[i];
		const struct stf_meta_unit *u;
		char buf[192];
		p->site_ids[i] = "";
		p->site_type[i] = STF_NONE;
		switch (s->kind) {
		case STF_SITE_PLUGIN:
			u = unit_at(p, s->unit);
			if (!u || s->index >= u->nsites)
				break;
			p->site_ids[i] = stf_meta_str(u, u->sites[s->index].id);
			p->site_unit[i] = u;
			p->site_type[i] = u->sites[s->index].type;
			break;
		case STF_SITE_EXTERNAL:
			snprintf(buf, sizeof(buf), "%.*s+0x%" PRIx64,
				 (int)sizeof(s->name), s->name, s->offset);
			p->site_ids[i] = stf__arena_strdup(p->arena, buf);
			break;
		case STF_SITE_USER:
			snprintf(buf, sizeof(buf), "%.*s", (int)sizeof(s->name), s->name);
			p->site_ids[i] = stf__arena_strdup(p->arena, buf);
			snprintf(buf, sizeof(buf), "%.*s", (int)sizeof(s->type_name),
				 s->type_name);
			if (buf[0]) {
				const struct stf_meta_unit *tu;
				uint32_t t;
				if (!stf_meta_find_type(p->meta, buf, &tu, &t)) {
					p->site_unit[i] = tu;
					p->site_type[i] = t;
				}
			}
			break;
		}
		if (s->kind == STF_SITE_EXTERNAL &&
		    !strncmp(s->name, "libstf.so", 9))
			p->site_type[i] = STF_NONE - 1; /* marks libstf-internal */
	}
	stf__raw_free(refs);
	return 0;
}

/* The catalog entry of a tracked object of kind `kind` (enum
 * stf_slot_kind) described by its site. */
static void tracked_obj(const struct stf_peer *p, uint32_t kind, uint64_t addr, uint64_t size,
			uint64_t id, uint32_t site, uint32_t align_lg, struct stf_obj *o)
{
	*o = (struct stf_obj){ 0 };
	o->addr = addr;
	o->size = size;
	o->dyn_id = id;
	o->site = site;
	o->kind = kind == STF_SLOT_HEAP ? STF_OBJ_HEAP :
		  kind == STF_SLOT_MMAP ? STF_OBJ_MMAP : STF_OBJ_USER;
	o->align_lg = (uint8_t)align_lg;
	if (site < p->nsites) {
		o->id = p->site_ids[site];
		if (p->site_type[site] == STF_NONE - 1) {
			o->flags |= STF_OBJF_INTERNAL;
			o->type = STF_NONE;
		} else {
			o->unit = p->site_unit[site];
			o->type = p->site_type[site];
		}
	} else {
		o->id = "";
		o->type = STF_NONE;
	}
	if (!o->unit || o->type >= o->unit->ntypes) { /* untyped */
		o->unit = NULL;
		o->type = STF_NONE;
	}
	if (!*o->id || (site < p->nsites && !p->site_unit[site] && strchr(o->id, '+')))
		o->flags |= STF_OBJF_EXTERNAL;
}

/* A tracked object added to the catalog: 0, or -1 when out of memory. */
static int add_tracked(struct stf_peer *p, uint32_t kind, uint64_t addr, uint64_t size,
		       uint64_t id, uint32_t site, uint32_t align_lg)
{
	struct stf_obj o;
	tracked_obj(p, kind, addr, size, id, site, align_lg, &o);
	return stf__peer_add(p, &o) == (size_t)-1 ? -1 : 0;
}

/* The blocks of the heap region (root.h): the span table in one read,
 * then the metadata of many spans per process_vm_readv into a buffer
 * from bulk.c (its pages populated at once and kept for the next
 * catalog: 1,000 faults each time from raw malloc).  At 10^6 objects
 * the catalog is cut across the cores (parallel.c): the spans in parts of
 * about as many objects, each part reading its metadata into its share
 * of the buffer twice, to count its objects, then (each part knowing
 * where its first goes) to write them; the catalog is the one of a
 * single pass, in address order. */
#define META_BUF (4u << 20)
#define HEAP_PARTS_MAX 8       /* a span's metadata (< 64 KiB) fits a share */
#define HEAP_PART_MIN 32768    /* objects: below, a thread costs more than it saves */

/* Object n of a part, at most room of them written from out on (none if
 * out is NULL): n + 1. */
static size_t heap_obj(const struct stf_peer *p, struct stf_obj *out, size_t n, size_t room,
		       uint64_t addr, uint64_t size, const struct stf_obj_meta *m)
{
	if (out && n < room)
		tracked_obj(p, STF_SLOT_HEAP, addr, size, m->id, STF_META_SITE(m->site),
			    STF_META_ALIGN(m->site), &out[n]);
	return n + 1;
}

/* The bytes of metadata of span u (0: none): from its first entry to the
 * end of its last carved object's. */
static size_t span_meta_bytes(const struct stf_span *sp)
{
	if (sp->kind == STF_SPAN_LARGE)
		return 2 * sizeof(struct stf_obj_meta);
	if (sp->kind != STF_SPAN_SMALL || !sp->nobj)
		return 0;
	return (sp->nobj - 1) * (size_t)stf_small_meta_stride(sp->obj_size) +
	       stf_small_meta_size(sp->obj_size);
}

/* The objects of the spans whose metadata buf holds (units[0..k)), from
 * out on (see heap_obj): their number. */
static size_t heap_batch(const struct stf_peer *p, const struct stf_span *spans,
			 const uint32_t *units, const char *buf, size_t k, struct stf_obj *out,
			 size_t room)
{
	const struct stf_obj_meta *meta = (const struct stf_obj_meta *)buf;
	size_t n = 0;
	for (size_t i = 0; i < k; i++) {
		const struct stf_span *sp = &spans[units[i]];
		uint64_t base = p->root.heap_base + (uint64_t)units[i] * STF_SPAN_UNIT;
		if (sp->kind == STF_SPAN_LARGE) {
			if (meta[0].id)
				n = heap_obj(p, out, n, room, base, meta[1].id, &meta[0]);
			meta += 2;
			continue;
		}
		if (stf_small_meta_size(sp->obj_size) == sizeof(struct stf_obj_meta8)) {
			/* an array, or entries after their objects (root.h) */
			const char *e = (const char *)meta;
			uint32_t step = stf_small_meta_stride(sp->obj_size);
			uint32_t stride = stf_small_stride(sp->obj_size);
			for (uint32_t j = 0; j < sp->nobj; j++) {
				struct stf_obj_meta8 e8, next = { 0, 0 };
				memcpy(&e8, e + (size_t)j * step, sizeof e8);
				if (j + 1 < sp->nobj)
					memcpy(&next, e + (size_t)(j + 1) * step, sizeof next);
				struct stf_obj_meta m = stf_meta8_expand(e8, next.word, sp->id_hi);
				if (m.id)
					n = heap_obj(p, out, n, room, base + (uint64_t)j * stride,
						     m.size, &m);
			}
			meta = (const struct stf_obj_meta *)(e + span_meta_bytes(sp));
			continue;
		}
		for (uint32_t j = 0; j < sp->nobj; j++, meta++)
			if (meta->id)
				n = heap_obj(p, out, n, room, base + (uint64_t)j * sp->obj_size,
					     meta->size, meta);
	}
	return n;
}


/* One part of the heap's catalog: spans [lo, hi). */
struct heap_part {
	uint64_t lo, hi;
	size_t first;   /* where its objects go in the catalog */
	size_t n;       /* its objects: counted, then written */
	int err;        /* errno of a read that failed, -1: a short read */
};

struct heap_scan {
	const struct stf_peer *p;
	const struct stf_span *spans;
	char *meta;          /* META_BUF bytes, a share per part */
	size_t share;
	struct stf_obj *out; /* NULL: count */
	struct heap_part part[HEAP_PARTS_MAX];
};

/* Count (hs->out NULL) or write the objects of each part in [lo, hi). */
static void heap_scan_parts(void *ctx, unsigned unused, size_t lo, size_t hi)
{
	struct heap_scan *hs = ctx;
	struct iovec riov[IOV_MAX], liov;
	uint32_t units[IOV_MAX];
	(void)unused;
	for (size_t q = lo; q < hi; q++) {
		struct heap_part *hp = &hs->part[q];
		char *buf = hs->meta + q * hs->share;
		size_t n = 0, room = hs->out ? hp->n : 0;
		struct stf_obj *out = hs->out ? hs->out + hp->first : NULL;
		for (uint64_t u = hp->lo; u < hp->hi && !hp->err;) {
			size_t k = 0, bytes = 0;
			for (; u < hp->hi && k < IOV_MAX; u++) {
				const struct stf_span *sp = &hs->spans[u];
				size_t need = span_meta_bytes(sp);
				if (!need)
					continue;
				if (bytes + need > hs->share)
					break;
				uint64_t at = sp->kind == STF_SPAN_SMALL ?
					stf_small_meta(hs->p->root.heap_base + u * STF_SPAN_UNIT,
						       sp->obj_size) :
					hs->p->root.heap_meta + u * STF_SPAN_UNIT;
				riov[k].iov_base = (void *)(uintptr_t)at;
				riov[k].iov_len = need;
				units[k++] = (uint32_t)u;
				bytes += need;
			}
			if (!k)
				continue;
			liov.iov_base = buf;
			liov.iov_len = bytes;
			ssize_t r = process_vm_readv(hs->p->pid, &liov, 1, riov, k, 0);
			if (r < 0 || (size_t)r != bytes) {
				hp->err = r < 0 ? errno : -1;
				break;
			}
			n += heap_batch(hs->p, hs->spans, units, buf, k, out ? out + n : NULL,
					n < room ? room - n : 0);
		}
		/* written: as many as counted, or the heap changed */
		if (hs->out && !hp->err && n != hp->n)
			hp->err = -2;
		hp->n = n;
	}
}

/* Objects cataloged after the heap's: update-point locals, thread-local
 * copies, libraries' data (more grow the array as usual). */
#define CATALOG_SLACK 4096

/* Room for n objects at once when a mapping kept for reuse holds them:
 * growing by doubling overshoots the size of the array the process's
 * last catalog left (bulk.c) and takes fresh pages instead. */
static void reserve_kept(struct stf_peer *p, size_t n)
{
	if (n <= p->cap)
		return;
	struct stf_obj *o = stf__bulk_realloc_kept(p->objs, n * sizeof(*o));
	if (o) {
		p->objs = o;
		p->cap = stf__bulk_room(o) / sizeof(*o);
	}
}

static int add_heap(struct stf_peer *p, char *err, size_t errlen)
{
	uint64_t nunits = p->root.heap_units;
	struct stf_span *spans = NULL;
	struct heap_scan hs = { 0 };
	int rc = -1;

	if (!nunits)
		return 0;
	if (nunits > (1u << 26)) {
		stf__fail(err, errlen, "process %d: inconsistent heap (%" PRIu64 " spans)",
			  (int)p->pid, nunits);
		return -1;
	}
	spans = stf__raw_malloc(nunits * sizeof(*spans));
	hs.meta = stf__bulk_alloc(META_BUF);
	if (!spans || !hs.meta) {
		stf__fail(err, errlen, "out of memory reading the heap's span table");
		goto out;
	}
	if (stf__peer_read(p, p->root.spans, spans, nunits * sizeof(*spans)) < 0) {
		stf__fail(err, errlen, "process %d: cannot read its span table: %s",
			  (int)p->pid, strerror(errno));
		goto out;
	}
	/* the objects the spans may hold, to cut them in parts */
	uint64_t carved = 0;
	for (uint64_t u = 0; u < nunits; u++) {
		const struct stf_span *sp = &spans[u];
		if (sp->kind == STF_SPAN_SMALL &&
		    (sp->obj_size < 16 || sp->nobj > stf_small_cap(sp->obj_size))) {
			stf__fail(err, errlen, "process %d: inconsistent span %" PRIu64
				  " (%u objects of %u bytes)", (int)p->pid, u, sp->nobj,
				  sp->obj_size);
			goto out;
		}
		carved += sp->kind == STF_SPAN_SMALL ? sp->nobj : sp->kind == STF_SPAN_LARGE;
	}
	unsigned parts = stf__parallel_parts(carved, HEAP_PART_MIN);
	if (parts > HEAP_PARTS_MAX)
		parts = HEAP_PARTS_MAX;
	hs.p = p;
	hs.spans = spans;
	hs.share = META_BUF / parts;
	uint64_t u = 0, seen = 0;
	for (unsigned q = 0; q < parts; q++) {
		hs.part[q].lo = u;
		for (; u < nunits && (q == parts - 1 || seen < carved / parts * (q + 1)); u++)
			seen += spans[u].kind == STF_SPAN_SMALL ? spans[u].nobj :
				spans[u].kind == STF_SPAN_LARGE;
		hs.part[q].hi = u;
	}
	p->heap_parts = parts;
	stf__parallel(parts, parts, heap_scan_parts, &hs);
	size_t total = 0;
	for (unsigned q = 0; q < parts; q++) {
		if (hs.part[q].err)
			goto read_failed;
		hs.part[q].first = p->nobjs + total;
		total += hs.part[q].n;
	}
	/* every object the heap and the slot table may hold, and the few
	 * cataloged after them: room kept from an earlier catalog, else
	 * fresh (growing by doubling would take twice the pages; a small
	 * catalog stays on raw malloc, see bulk.c) */
	uint64_t bound = p->nobjs + total +
			 (total / 16 + 64 < CATALOG_SLACK ? total / 16 + 64 : CATALOG_SLACK);
	if (p->root.nchunks <= (1u << 20) &&
	    p->root.slot_high <= p->root.nchunks * (uint64_t)STF_SLOTS_PER_CHUNK)
		bound += p->root.slot_high; /* else refused by add_dynamic */
	reserve_kept(p, (size_t)bound);
	if (stf__peer_reserve(p, (size_t)bound) < 0) {
		stf__fail(err, errlen, "out of memory cataloging objects");
		goto out;
	}
	hs.out = p->objs;
	stf__parallel(parts, parts, heap_scan_parts, &hs);
	for (unsigned q = 0; q < parts; q++)
		if (hs.part[q].err)
			goto read_failed;
	p->nobjs += total;
	rc = 0;
	goto out;
read_failed:
	for (unsigned q = 0; q < parts; q++)
		if (hs.part[q].err) {
			stf__fail(err, errlen, "process %d: cannot read its heap metadata: %s",
				  (int)p->pid, hs.part[q].err == -2 ? "the heap changed while "
				  "it was cataloged" : hs.part[q].err < 0 ? "short read" :
				  strerror(hs.part[q].err));
			break;
		}
out:
	stf__raw_free(spans);
	stf__bulk_free(hs.meta);
	return rc;
}

static int add_dynamic(struct stf_peer *p, char *err, size_t errlen)
{
	size_t nchunks = p->root.nchunks, high = p->root.slot_high;
	uint64_t *chunks;
	struct stf_slot *slots, *subs = NULL;
	size_t nsubs = 0, subcap = 0;

	if (add_heap(p, err, errlen) < 0)
		return -1;
	if (high <= 1)  /* slot 0 is never used */
		return 0;
	if (nchunks > (1u << 20) || high > nchunks * (uint64_t)STF_SLOTS_PER_CHUNK) {
		stf__fail(err, errlen, "process %d: inconsistent slot table (%zu chunks, "
		     "high %zu)", (int)p->pid, nchunks, high);
		return -1;
	}
	chunks = stf__raw_malloc(nchunks * sizeof(*chunks));
	slots = stf__raw_malloc(STF_SLOTS_PER_CHUNK * sizeof(*slots));
	if (!chunks || !slots) {
		stf__fail(err, errlen, "out of memory reading the slot table");
		goto fail;
	}
	if (stf__peer_read(p, p->root.slot_chunks, chunks, nchunks * sizeof(*chunks)) < 0) {
		stf__fail(err, errlen, "process %d: cannot read its slot chunk table: %s",
		     (int)p->pid, strerror(errno));
		goto fail;
	}
	for (size_t c = 0; c * STF_SLOTS_PER_CHUNK < high; c++) {
		size_t n = high - c * STF_SLOTS_PER_CHUNK;
		if (n > STF_SLOTS_PER_CHUNK)
			n = STF_SLOTS_PER_CHUNK;
		if (!chunks[c])
			continue;
		if (stf__peer_read(p, chunks[c], slots, n * sizeof(*slots)) < 0) {
			stf__fail(err, errlen, "process %d: cannot read slot chunk %zu: %s",
			     (int)p->pid, c, strerror(errno));
			goto fail;
		}
		for (size_t i = 0; i < n; i++) {
			const struct stf_slot *s = &slots[i];
			uint32_t kind = STF_SLOT_KIND(s->kind);
			if (kind == STF_SLOT_FREE || !s->addr)
				continue;
			if (kind == STF_SLOT_USER) {
				/* sub-objects: attached to their containers below */
				if (nsubs == subcap) {
					size_t ncap = subcap ? 2 * subcap : 256;
					struct stf_slot *n2 = stf__raw_realloc(subs, ncap * sizeof(*n2));
					if (!n2) {
						stf__fail(err, errlen, "out of memory cataloging objects");
						goto fail;
					}
					subs = n2;
					subcap = ncap;
				}
				subs[nsubs++] = *s;
				continue;
			}
			if (add_tracked(p, kind, s->addr, s->size, s->id, s->site,
					kind == STF_SLOT_HEAP ? STF_SLOT_ALIGN(s->kind) : 0) < 0) {
				stf__fail(err, errlen, "out of memory cataloging objects");
				goto fail;
			}
		}
	}
	stf__raw_free(chunks);
	stf__raw_free(slots);
	chunks = NULL;
	slots = NULL;
	if (nsubs && stf__peer_attach_subs(p, subs, nsubs, err, errlen) < 0)
		goto fail;
	stf__raw_free(subs);
	return 0;
fail:
	stf__raw_free(chunks);
	stf__raw_free(slots);
	stf__raw_free(subs);
	return -1;
}

/* A parked thread, for its thread-local variables (p->tls has room). */
static int add_thread_tls(struct stf_peer *p, const char *label, uint64_t tp,
			  char *err, size_t errlen)
{
	struct stf_peer_tls *t = &p->tls[p->ntls];
	t->label = stf__arena_strdup(p->arena, label);
	t->tp = tp;
	if (!t->label) {
		stf__fail(err, errlen, "out of memory cataloging threads");
		return -1;
	}
	p->ntls++;
	return 0;
}

static int add_frame(struct stf_peer *p, const struct stf_parked_frame *f,
		     struct stf_strmap *seen, char *err, size_t errlen)
{
	const struct stf_meta_unit *u = unit_at(p, f->unit);
	const struct stf_frame_rec *fr;
	uint64_t addrs[256], occurrence = 0;
	char key[256];

	if (!f->unit) {
		/* update point not rewritten by the plugin: no locals, but
		 * thread-local variables all the same */
		if (!stf__strmap_get(seen, "", &occurrence))
			occurrence++;
		stf__strmap_put(seen, "", occurrence);
		snprintf(key, sizeof(key), "(thread)#%" PRIu64, occurrence);
		return add_thread_tls(p, key, f->tp, err, errlen);
	}
	if (!u || f->frame >= u->nframes) {
		stf__fail(err, errlen, "process %d: parked frame refers to unknown unit 0x%"
		     PRIx64 " frame %u", (int)p->pid, f->unit, f->frame);
		return -1;
	}
	fr = &u->frames[f->frame];
	if (f->nlocals != fr->nlocals || f->nlocals > 256) {
		stf__fail(err, errlen, "process %d: frame of %s has %u locals, metadata says %u",
		     (int)p->pid, stf_meta_str(u, fr->func), f->nlocals, fr->nlocals);
		return -1;
	}
	if (stf__peer_read(p, f->locals, addrs, f->nlocals * sizeof(uint64_t)) < 0) {
		stf__fail(err, errlen, "process %d: cannot read the locals of %s: %s",
		     (int)p->pid, stf_meta_str(u, fr->func), strerror(errno));
		return -1;
	}
	/* Threads parked in the same function are paired in order.  A thread
	 * waiting on a condition variable (wait.h) pairs only with one that
	 * waits too: resuming a wait where the old version stood at an update
	 * point (or the reverse) would run the wrong code with the locals. */
	const char *func = stf_meta_str(u, fr->func);
	if (fr->nlocals >= 2 &&
	    strcmp(stf_meta_str(u, u->locals[fr->locals].name), STF_WAIT_COND_LOCAL) == 0) {
		snprintf(key, sizeof(key), "%s [wait]", func);
		func = stf__arena_strdup(p->arena, key);  /* kept by `seen` */
		if (!func) {
			stf__fail(err, errlen, "out of memory cataloging locals");
			return -1;
		}
	}
	if (!stf__strmap_get(seen, func, &occurrence))
		occurrence++;
	stf__strmap_put(seen, func, occurrence);
	if (occurrence)
		snprintf(key, sizeof(key), "%s#%" PRIu64, func, occurrence);
	else
		snprintf(key, sizeof(key), "%s", func);
	if (add_thread_tls(p, key, f->tp, err, errlen) < 0)
		return -1;
	if (p->threads) {
		struct stf_peer_thread *t = &p->threads[p->nthreads++];
		t->func = func;
		t->occurrence = occurrence;
		t->start = f->start;
		t->tid = f->tid;
		t->tp = f->tp;
		t->label = p->tls[p->ntls - 1].label;
	}
	for (uint32_t i = 0; i < f->nlocals; i++) {
		const struct stf_local_rec *l = &u->locals[fr->locals + i];
		struct stf_obj o = { 0 };
		uint32_t t = stf_meta_strip_typedefs(u, l->type);
		if (occurrence)
			snprintf(key, sizeof(key), "%s/%s#%" PRIu64, func,
				 stf_meta_str(u, l->name), occurrence);
		else
			snprintf(key, sizeof(key), "%s/%s", func, stf_meta_str(u, l->name));
		o.addr = addrs[i];
		o.size = t < u->ntypes ? u->types[t].size : 0;
		o.id = stf__arena_strdup(p->arena, key);
		o.unit = l->type < u->ntypes ? u : NULL;
		o.type = l->type;
		o.kind = STF_OBJ_LOCAL;
		if (!o.addr || !o.id)
			continue;
		if (stf__peer_add(p, &o) == (size_t)-1) {
			stf__fail(err, errlen, "out of memory cataloging locals");
			return -1;
		}
	}
	return 0;
}

static int add_frames(struct stf_peer *p, const struct stf_parked_frame *own,
		      char *err, size_t errlen)
{
	struct stf_strmap seen = { 0 };
	struct stf_parked_frame *frames;
	size_t n = p->root.nframes;
	int rc = 0;

	if (own) {
		p->tls = stf__arena_alloc(p->arena, sizeof(*p->tls));
		if (!p->tls) {
			stf__fail(err, errlen, "out of memory cataloging threads");
			return -1;
		}
		rc = add_frame(p, own, &seen, err, errlen);
		stf__strmap_free(&seen);
		return rc;
	}
	if (!n || !p->root.frames)
		return 0;
	if (n > 4096) {
		stf__fail(err, errlen, "process %d: implausible frame count %zu", (int)p->pid, n);
		return -1;
	}
	frames = stf__arena_alloc(p->arena, n * sizeof(*frames));
	p->threads = stf__arena_alloc(p->arena, n * sizeof(*p->threads));
	p->tls = stf__arena_alloc(p->arena, n * sizeof(*p->tls));
	if (!frames || !p->threads || !p->tls ||
	    stf__peer_read(p, p->root.frames, frames, n * sizeof(*frames)) < 0) {
		stf__fail(err, errlen, "process %d: cannot read its parked frames", (int)p->pid);
		return -1;
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_frame(p, &frames[i], &seen, err, errlen);
	stf__strmap_free(&seen);
	return rc;
}

/* ------------------------------------------------------------------ */

int stf__peer_site_type(const struct stf_peer *p, const char *site_id,
			const struct stf_meta_unit **unit, uint32_t *type)
{
	uint32_t idx;
	if (stf_meta_find_site(p->meta, site_id, unit, &idx) < 0)
		return -1;
	*type = (*unit)->sites[idx].type;
	return 0;
}

int stf__peer_open(struct stf_peer *p, pid_t pid, uint64_t root_addr,
		   unsigned what, const struct stf_parked_frame *frame,
		   char *err, size_t errlen)
{
	char merr[256];

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->self = pid == getpid();
	p->arena = stf__arena_new();
	if (!p->arena) {
		stf__fail(err, errlen, "out of memory");
		return -1;
	}
	if (p->self) {
		stf__alloc_init();
		p->root = stf__root;
	} else if (stf__peer_read(p, root_addr, &p->root, sizeof(p->root)) < 0) {
		stf__fail(err, errlen, "cannot read the libstf root of process %d at 0x%" PRIx64
		     ": %s (is it running libstf, and may this process read it?)",
		     (int)pid, root_addr, strerror(errno));
		return -1;
	}
	if (p->root.magic != STF_ROOT_MAGIC || p->root.version != STF_ROOT_VERSION) {
		stf__fail(err, errlen, "process %d: no libstf root at 0x%" PRIx64
		     " (magic %#" PRIx64 ", version %" PRIu64 ", want %u)", (int)pid,
		     root_addr, p->root.magic, p->root.version, STF_ROOT_VERSION);
		return -1;
	}
	if (p->root.exe_path &&
	    stf__peer_read(p, p->root.exe_path, p->exe, sizeof(p->exe) - 1) < 0) {
		/* the path may sit near the end of a mapping: read it bytewise */
		size_t i;
		for (i = 0; i < sizeof(p->exe) - 1; i++)
			if (stf__peer_read(p, p->root.exe_path + i, &p->exe[i], 1) < 0 ||
			    !p->exe[i])
				break;
		p->exe[i] = 0;
	}
	p->exe[sizeof(p->exe) - 1] = 0;
	p->meta = stf_meta_load(p->self ? stf_meta_read_self : stf_meta_read_pid,
				&p->pid, p->root.units_start, p->root.units_end,
				merr, sizeof(merr));
	if (!p->meta) {
		stf__fail(err, errlen, "process %d (%s): cannot load its metadata: %s",
		     (int)pid, p->exe, merr);
		return -1;
	}
	if (load_sites(p, err, errlen) < 0)
		return -1;
	if ((what & STF_PEER_STATICS) && add_statics(p, err, errlen) < 0)
		return -1;
	if ((what & STF_PEER_DYNAMIC) && add_dynamic(p, err, errlen) < 0)
		return -1;
	if ((what & STF_PEER_FRAMES) && add_frames(p, frame, err, errlen) < 0)
		return -1;
	if ((what & (STF_PEER_STATICS | STF_PEER_FRAMES)) ==
	    (STF_PEER_STATICS | STF_PEER_FRAMES) && stf__add_tls(p, err, errlen) < 0)
		return -1;
	stf__load_maps(p);
	if (!p->self)
		stf__peer_args_load(p);  /* knows now whether its title is set */
	stf__peer_index(p);
	if ((what & STF_PEER_STATICS) && stf__add_lib_data(p, err, errlen) < 0)
		return -1;
	return 0;
}

void stf__peer_close(struct stf_peer *p)
{
	if (p->meta)
		stf_meta_free(p->meta);
	stf__bulk_free(p->objs);
	stf__bulk_free(p->subs);
	stf__bulk_free(p->bytes);
	stf__index_free(&p->index);
	stf__arena_free(p->arena);
	memset(p, 0, sizeof(*p));
}
