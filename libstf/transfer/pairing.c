/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pairing.c - pairing and scheduling: each source object is paired with
 * its destination by state ID (statics and locals by ID, dynamic objects
 * by site ID and dynamic ID); dynamic objects are (re)allocated with the
 * destination's type of their site, in this process (forward) or in the
 * reversed version on request (backward); what gets transferred is
 * scheduled.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "fault.h"
#include "inplace.h"
#include "remote.h"
#include "scratch.h"
#include "slots.h"
#include "spans.h"
#include "tables.h"
#include "xfer.h"

static const char *first_plugin_site(const struct stf_peer *p)
{
	for (size_t u = 0; u < p->meta->nunits; u++)
		if (p->meta->units[u].nsites)
			return stf_meta_str(&p->meta->units[u], p->meta->units[u].sites[0].id);
	return NULL;
}

/*
 * The allocation requests of schedule_dynamic, kept compact (a request
 * per heap object: 64 bytes each were 64 MB of fresh pages at 10^6
 * objects): request k is the destination object base + k, written before
 * it is allocated with its size, type, dynamic ID and alignment, its
 * address (0, or where a placed block must be) and, until then, the
 * destination's site ID as its ID; its source object and a mapping's
 * protection are apart.  Request n, if leak_site is set, is the block
 * STF_FAULT=leak allocates for nothing.
 */
struct requests {
	struct stf_xfer *x;
	size_t base, n;
	uint32_t *src;      /* per request: the source object */
	int8_t *prot;       /* per request: a mapping's protection, -1: a heap block */
	const char *leak_site;
};

static struct alloc_req request(const struct requests *r, size_t k)
{
	if (k == r->n)
		return (struct alloc_req){ .src = (size_t)-1, .site = r->leak_site, .size = 64,
					   .type = STF_NONE, .prot = -1 };
	const struct stf_obj *d = &r->x->dst->objs[r->base + k];
	uint64_t own = 0;
	if (r->prot[k] >= 0)
		stf__mapping_home(r->x, &r->x->src->objs[r->src[k]], &own);
	return (struct alloc_req){ .src = r->src[k], .size = d->size, .id = d->dyn_id,
				   .site = d->id, .unit = d->unit, .type = d->type,
				   .prot = r->prot[k], .at = d->addr, .own = own,
				   .align_lg = d->align_lg };
}

/* Messages of remote_alloc on their way at once: R allocates for one
 * while F writes the next.  Two of MSG_MAX bytes fit in a socket's
 * default send buffer (net.core.wmem_default, 208 KiB), so F never waits
 * to send one: when R fails on the first (M_ERROR, and it reads no more),
 * F reads its answer instead of blocking. */
#define ALLOC_AHEAD 2

/* The address allocated for request k: its destination object's (the
 * block STF_FAULT=leak allocates for nothing has none). */
static void request_done(const struct requests *r, size_t k, uint64_t addr)
{
	if (k < r->n)
		r->x->dst->objs[r->base + k].addr = addr;
}

/* Read R's reply to the request message for objects [first, first + n):
 * their addresses into the destination objects. */
static int alloc_reply(struct stf_xfer *x, const struct requests *r, size_t first, size_t n)
{
	uint8_t *buf = stf__scratch(SCRATCH_ALLOC_REPLY);
	uint32_t type, len;
	if (!buf) {
		stf__xfail(x, "no memory for a transfer message buffer");
		return -1;
	}
	if (stf__msg_recv(x->conn, &type, buf, &len) < 0) {
		stf__xfail(x, "backward transfer: connection to the reversed version lost "
		      "while allocating objects: %s", strerror(errno));
		return -1;
	}
	if (type == M_ERROR) {
		stf__xfail(x, "reversed version: %.*s", (int)len, (const char *)buf);
		return -1;
	}
	if (type != M_ADDRS || len != n * 8) {
		stf__xfail(x, "backward transfer: malformed reply from the reversed version");
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		uint64_t a;
		memcpy(&a, buf + 8 * k, 8);
		request_done(r, first + k, a);
	}
	return 0;
}

/* Ask R for the n objects of r (heap blocks with M_ALLOC or M_PLACE,
 * mappings with M_MMAP_AT); fills in their addresses (a request's own address is read
 * before it is sent, its answer written after).  Up to ALLOC_AHEAD
 * messages are on their way. */
static int remote_alloc(struct stf_xfer *x, const struct requests *r, size_t n)
{
	uint8_t *buf = stf__scratch(SCRATCH_ALLOC_REQUEST);
	size_t sent_first[ALLOC_AHEAD], sent_n[ALLOC_AHEAD], head = 0, nsent = 0;
	size_t i = 0;
	if (!buf) {
		stf__xfail(x, "no memory for a transfer message buffer");
		return -1;
	}
	while (i < n || nsent) {
		if (nsent == ALLOC_AHEAD || (i == n && nsent)) {
			size_t k = head % ALLOC_AHEAD;
			if (alloc_reply(x, r, sent_first[k], sent_n[k]) < 0)
				return -1;
			head++;
			nsent--;
			continue;
		}
		size_t pos = 0, first = i;
		struct alloc_req q = request(r, first);
		int mapping = q.prot >= 0, placed = !mapping && q.at != 0;
		size_t hs = mapping ? 44 : placed ? 28 : 20;
		for (; i < n; i++) {
			q = request(r, i);
			if ((q.prot >= 0) != mapping || (q.prot < 0 && (q.at != 0) != placed))
				break;
			uint32_t sl = (uint32_t)strlen(q.site);
			size_t o = pos;
			if (pos + hs + sl > MSG_MAX)
				break;
			if (placed || mapping) {
				memcpy(buf + o, &q.at, 8);
				o += 8;
			}
			memcpy(buf + o, &q.size, 8);
			if (mapping) {
				memcpy(buf + o + 8, &q.own, 8);
				o += 8;
			}
			memcpy(buf + o + 8, &q.id, 8);
			if (mapping) {
				uint32_t prot = (uint32_t)q.prot, must = x->pair[q.src].pinned;
				memcpy(buf + o + 16, &prot, 4);
				memcpy(buf + o + 20, &must, 4);
			}
			memcpy(buf + pos + hs - 4, &sl, 4);
			memcpy(buf + pos + hs, q.site, sl);
			pos += hs + sl;
		}
		if (i == first) {
			stf__xfail(x, "site ID too long: %s", request(r, i).site);
			return -1;
		}
		if (stf__msg_send(x->conn, mapping ? M_MMAP_AT : placed ? M_PLACE : M_ALLOC, buf,
				  (uint32_t)pos) < 0) {
			stf__xfail(x, "backward transfer: connection to the reversed version lost "
			      "while allocating objects: %s", strerror(errno));
			return -1;
		}
		size_t k = (head + nsent) % ALLOC_AHEAD;
		sent_first[k] = first;
		sent_n[k] = i - first;
		nsent++;
	}
	return 0;
}

/* The destination's ID of an allocation site, "file.c:func/dest#n": the
 * site's own rename (stf_rename(STF_RENAME_OBJECT, old site, new site)),
 * else the renames of the type and member ("struct T.member") or of the
 * variable (file.c:name) that dest names, so the objects of a site
 * storing into a renamed type still pair. */
static const char *renamed_site_id(struct stf_xfer *x, const char *id)
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

/* The name of site record r's type ("struct entry"), "" if untyped. */
static const char *site_type_name(const struct stf_meta_unit *u, const struct stf_site_rec *r,
				  char *buf, size_t len)
{
	if (r->type == STF_NONE)
		return "";
	return stf__type_str(u, strip(u, r->type), buf, len);
}

/* Site record r's place among the sites of its unit with its caller,
 * destination and type name: the k-th of them by ordinal. */
static size_t rank_by_type(const struct stf_meta_unit *u, const struct stf_site_rec *r,
			   const char *type)
{
	char tn[256];
	size_t k = 0;
	for (uint32_t i = 0; i < u->nsites; i++) {
		const struct stf_site_rec *s = &u->sites[i];
		if (s->func == r->func && s->dest == r->dest && s->ordinal < r->ordinal &&
		    !strcmp(site_type_name(u, s, tn, sizeof(tn)), type))
			k++;
	}
	return k;
}

/* Sites are numbered per caller and destination, so a site the new
 * version adds in front of others of the same caller and destination (a
 * constructor returning objects of several types) shifts their ordinals:
 * "f.c:new_value/return#0" makes a struct A in one version and a struct
 * B in the other.  When the destination has no site dst_id, or one of
 * another type than the source's site id, the destination's site is the
 * one of the same caller, destination and type, the k-th of them when
 * the source's is the k-th (sites of one type keep their order); dst_id
 * if there is none. */
static const char *site_of_same_type(struct stf_xfer *x, const char *id, const char *dst_id)
{
	const struct stf_meta_unit *su, *du = NULL;
	uint32_t si, di;
	char sn[256], dn[256];
	const char *hash = strrchr(dst_id, '#');

	if (!hash || stf_meta_find_site(x->src->meta, id, &su, &si) < 0)
		return dst_id;
	const struct stf_site_rec *sr = &su->sites[si], *dr = NULL;
	if (sr->type == STF_NONE)
		return dst_id;
	if (!stf_meta_find_site(x->dst->meta, dst_id, &du, &di)) {
		dr = &du->sites[di];
		if (dr->type == STF_NONE ||
		    T(su, strip(su, sr->type))->hash == T(du, strip(du, dr->type))->hash)
			return dst_id;
	}
	const char *sname = site_type_name(su, sr, sn, sizeof(sn));
	const char *want = x->renames ? stf__rename(STF_RENAME_TYPE, sname, x->dir) : sname;
	if (dr && !strcmp(site_type_name(du, dr, dn, sizeof(dn)), want))
		return dst_id;
	size_t k = rank_by_type(su, sr, sname), plen = (size_t)(hash + 1 - dst_id);
	for (uint32_t u = 0; u < x->dst->meta->nunits; u++) {
		const struct stf_meta_unit *cu = &x->dst->meta->units[u];
		for (uint32_t i = 0; i < cu->nsites; i++) {
			const struct stf_site_rec *c = &cu->sites[i];
			if (!strncmp(stf_meta_str(cu, c->id), dst_id, plen) &&
			    !strcmp(site_type_name(cu, c, dn, sizeof(dn)), want) &&
			    rank_by_type(cu, c, want) == k)
				return stf_meta_str(cu, c->id);
		}
	}
	return dst_id;
}

const char *stf__site_dst_id(struct stf_xfer *x, const char *id)
{
	return site_of_same_type(x, id, renamed_site_id(x, id));
}

static struct pin_origin *pin_slot(struct pin_origin *slots, size_t cap, size_t obj)
{
	size_t k = (size_t)(((uint64_t)obj * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
	while (slots[k].obj1 && slots[k].obj1 != obj + 1)
		k = (k + 1) & (cap - 1);
	return &slots[k];
}

void stf__pin_note(struct stf_xfer *x, size_t obj, size_t from, uint64_t at)
{
	struct pin_table *t = &x->pins;
	if (t->cap && pin_slot(t->slots, t->cap, obj)->obj1)
		return; /* the first word names it */
	if (2 * (t->n + 1) > t->cap) { /* at most half full */
		size_t cap = t->cap ? 2 * t->cap : 64;
		/* kept pages (bulk.c): a Redis-shaped heap pins a robj per dict
		 * entry, a table of 24 MB whose growth on raw malloc's fresh
		 * pages faulted 7,000 times in each direction */
		struct pin_origin *slots = stf__bulk_alloc(cap * sizeof(*slots));
		if (!slots) {
			t->oom = 1;
			stf__xfail(x, "out of memory");
			return;
		}
		memset(slots, 0, cap * sizeof(*slots));
		for (size_t k = 0; k < t->cap; k++)
			if (t->slots[k].obj1)
				*pin_slot(slots, cap, t->slots[k].obj1 - 1) = t->slots[k];
		stf__bulk_free(t->slots);
		t->slots = slots;
		t->cap = cap;
	}
	*pin_slot(t->slots, t->cap, obj) = (struct pin_origin){ obj + 1, from, at };
	t->n++;
}

int stf__pin_origin(const struct stf_xfer *x, size_t obj, size_t *from, uint64_t *at)
{
	const struct pin_table *t = &x->pins;
	const struct pin_origin *o = t->cap ? pin_slot(t->slots, t->cap, obj) : NULL;
	if (!o || !o->obj1)
		return 0;
	if (from)
		*from = o->from;
	if (at)
		*at = o->at;
	return 1;
}

/* stf__alloc_at refused a block at its old address (errno). */
static void placement_failed(struct stf_xfer *x, const struct alloc_req *req)
{
	const struct stf_obj *o = &x->src->objs[req->src];
	char on[256], from[256];
	int err = errno;
	stf__obj_name(o, on, sizeof(on));
	if (x->pair[req->src].pinned == STF_PIN_KEY) {
		char why[128];
		snprintf(why, sizeof(why), "a block of that size cannot be created there (%s)",
			 strerror(err));
		stf__addr_key_moves(x, req->src, req->size, why);
		return;
	}
	if (!x->pair[req->src].pinned) {
		stf__xfail(x, "%s: untyped block of %" PRIu64 " bytes cannot be created at its "
		      "address 0x%" PRIx64 " in the %s version: %s", on, req->size, req->at,
		      x->dir == STF_FORWARD ? "new" : "reversed", strerror(err));
		return;
	}
	size_t f = 0;
	uint64_t at = 0;
	stf__pin_origin(x, req->src, &f, &at);
	stf__obj_name(&x->src->objs[f], from, sizeof(from));
	stf__xfail(x, "%s: offset %" PRIu64 " of untyped block %s points into it, so it "
	      "keeps its address (0x%" PRIx64 ", pinned), but with its new type it takes "
	      "%" PRIu64 " bytes instead of %" PRIu64 " and %s; keep the size of its type, or "
	      "give the block holding the pointer a type (STF_ALLOCATOR on its allocator)",
	      on, at, from, req->at, req->size, o->size,
	      err == EEXIST ? "overlaps another object kept at its address" : strerror(err));
}

/* The per-site lookups of the objects, remembered by the address of the
 * site ID (the catalog shares one string per site): the objects of a few
 * sites come interleaved (a list, a tree and a table built together). */
#define SITE_MEMO 64

struct site_memo {
	const char *id;       /* the source's site ID, NULL: empty */
	int external;         /* allocated by uninstrumented code */
	int found;            /* the site exists in the destination */
	const char *dst_site; /* its ID there */
	const struct stf_meta_unit *unit;
	uint32_t type;        /* its element type there */
	uint32_t site;        /* its number in this process (stf__site_by_id) */
	/* the last destination size computed for an object of the site
	 * (stf__dst_size of the source's type and size, du, dt): a site's
	 * objects mostly have one size */
	const struct stf_meta_unit *size_unit;
	uint32_t size_type;
	uint64_t src_size, dst_size;
};

static struct site_memo *site_memo(struct site_memo *memo, const char *id)
{
	uint64_t h = (uint64_t)(uintptr_t)id * 0x9e3779b97f4a7c15ull;
	return &memo[h >> 58]; /* 64 slots */
}

/* The memo of object o's site, allocated by uninstrumented code or not
 * (external): an entry per site number and flag in by_site (2 per site
 * of p) for the objects of p's sites, whose IDs are p->site_ids; the
 * 64 hashed slots of `hashed` for the others (a library's, a thread's).
 * Two sites sharing a hashed slot whose objects alternate (a connection
 * and its buffers) each missed it per object: ~1,500 instructions of
 * name lookups each time, 2 in 3 of the bench's libevent-shaped objects
 * at 30,000 objects under callgrind. */
static struct site_memo *object_site_memo(struct site_memo *by_site, struct site_memo *hashed,
					  const struct stf_peer *p, const struct stf_obj *o,
					  int external)
{
	if (o->site < p->nsites && o->id == p->site_ids[o->site])
		return &by_site[2 * (size_t)o->site + (external != 0)];
	return site_memo(hashed, o->id);
}

/* The pages of the blocks of requests [0, n) placed at their old
 * address, populated at once (placement.c). */
static void place_batch_begin(const struct requests *rq, size_t n)
{
	size_t nplaced = 0;
	for (size_t k = 0; k < n; k++)
		nplaced += request(rq, k).at != 0 && request(rq, k).prot < 0;
	struct stf_place_block *blocks = nplaced ? stf__bulk_alloc(nplaced * sizeof(*blocks)) :
				       NULL;
	if (!blocks)
		return;  /* (the pages then fault in one by one) */
	nplaced = 0;
	for (size_t k = 0; k < n; k++) {
		struct alloc_req q = request(rq, k);
		if (q.at && q.prot < 0)
			blocks[nplaced++] = (struct stf_place_block){ q.at, q.size };
	}
	stf__place_batch_begin(blocks, nplaced);
	stf__bulk_free(blocks);
}

/* Forward: allocate here the requests [0, nreq) of rq that are mappings
 * (`mappings` set) or heap blocks, by_site the memo of object_site_memo
 * (2 * nsites + 1 entries of the source).  0, or -1 (failed). */
static int alloc_here(struct stf_xfer *x, const struct requests *rq, size_t nreq, int mappings,
		      struct site_memo *by_site)
{
	struct site_memo memo[SITE_MEMO];
	memset(memo, 0, sizeof(memo));
	/* schedule_dynamic's entries hold other answers for the same IDs */
	memset(by_site, 0, (2 * x->src->nsites + 1) * sizeof(*by_site));
	for (size_t k = 0; k < nreq; k++) {
		struct alloc_req q = request(rq, k);
		if ((q.prot >= 0) != mappings)
			continue;
		/* by the source object's site: the destination's site ID
		 * (q.site) is that site's (schedule_dynamic) */
		const struct stf_obj *o = q.src == (size_t)-1 ? NULL : &x->src->objs[q.src];
		struct site_memo *m = !o ? site_memo(memo, q.site) :
			object_site_memo(by_site, memo, x->src, o, (o->flags & STF_OBJF_EXTERNAL) != 0);
		if (m->id != q.site) {
			m->id = q.site;
			m->site = stf__site_by_id(q.site);
		}
		uint32_t site = m->site;
		uint64_t a;
		if (!site) {
			char on[512];
			stf__xfail(x, "%s: allocation site \"%s\" unknown in this process",
				   q.src == (size_t)-1 ? "the leaked block" :
				   stf__obj_name(&x->src->objs[q.src], on, sizeof(on)), q.site);
			return -1;
		}
		if (mappings) {
			if (!(a = stf__map_at(x, &q, site)))
				return -1;
		} else if (q.at) {
			a = (uint64_t)(uintptr_t)stf__alloc_at(q.at, q.size, site, q.id);
			if (!a) {
				placement_failed(x, &q);
				return -1;
			}
		} else {
			/* malloc(0) made a block of size 0: so does this */
			a = (uint64_t)(uintptr_t)stf__alloc_aligned_with(
				q.size, q.align_lg ? (size_t)1 << q.align_lg : 0, site, q.id);
		}
		if (!a) {
			stf__xfail(x, "out of memory allocating %" PRIu64 " bytes for %.200s",
				   q.size, q.site);
			return -1;
		}
		request_done(rq, k, a);
	}
	return 0;
}

/* Below this, the allocations' own page faults cost little. */
#define PREFAULT_MIN ((uint64_t)4 << 20)

static int schedule_dynamic(struct stf_xfer *x)
{
	struct stf_peer *src = x->src, *dst = x->dst;
	struct requests rq = { x, dst->nobjs, 0, NULL, NULL, NULL };
	struct site_memo *by_site = NULL; /* object_site_memo */
	size_t n = 0;
	uint64_t heap_bytes = 0; /* of the blocks allocated anywhere on the heap */
	int rc = -1;
	char on[256];

	/* room for a destination object per source object */
	rq.src = stf__bulk_alloc((src->nobjs + 1) * sizeof(*rq.src));
	rq.prot = stf__bulk_alloc(src->nobjs + 1);
	by_site = stf__raw_malloc((2 * src->nsites + 1) * sizeof(*by_site));
	if (!rq.src || !rq.prot || !by_site || stf__dst_reserve(x, rq.base + src->nobjs) < 0) {
		stf__xfail(x, "out of memory");
		goto out;
	}
	memset(by_site, 0, (2 * src->nsites + 1) * sizeof(*by_site));
	struct site_memo memo[SITE_MEMO];
	memset(memo, 0, sizeof(memo));

	for (size_t i = 0; i < src->nobjs; i++) {
		struct stf_obj *o = &src->objs[i];
		if (!stf__is_dynamic(o) || (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_OWN)))
			continue;
		if (o->container && x->pair[i].moved != SUB_ALONE)
			continue; /* placed in its container's destination (stf__place_subs) */
		if (x->pair[i].dst != PAIR_UNRESOLVED)
			continue; /* a slab and its chunks (stf__plan_slots) */
		if (x->unreached && x->unreached[i]) {
			x->pair[i].dst = PAIR_NONE;
			x->rep->unreached++;
			continue;
		}
		if (!o->unit && (o->flags & STF_OBJF_EXTERNAL) && !x->pair[i].needed &&
		    !(o->flags & STF_OBJF_CONTAINER))
			continue;
		if (o->flags & STF_OBJF_STREAM)
			continue; /* re-created when a pointer to it is relocated */
		int prot = -1;
		if (o->kind == STF_OBJ_MMAP) {
			prot = stf__mapping_prot(src->pid, o->addr, o->size);
			if (prot == -2) {
				stf__xfail(x, "%s: the pages of the mapping at 0x%" PRIx64 " (%" PRIu64
				      " bytes) have different protections; transferring such a "
				      "mapping is not implemented", stf__obj_name(o, on, sizeof(on)),
				      o->addr, o->size);
				goto out;
			}
			if (prot == -3) {
				stf__xfail(x, "%s: the mapping at 0x%" PRIx64 " (%" PRIu64 " bytes) is "
				      "shared (MAP_SHARED); transferring shared mappings is not "
				      "implemented", stf__obj_name(o, on, sizeof(on)), o->addr, o->size);
				goto out;
			}
			if (prot < 0) {
				stf__xfail(x, "%s: cannot read the protection of the mapping at "
				      "0x%" PRIx64 " (%" PRIu64 " bytes) from /proc/%d/maps",
				      stf__obj_name(o, on, sizeof(on)), o->addr, o->size, (int)src->pid);
				goto out;
			}
		}
		const struct stf_meta_unit *du = NULL;
		uint32_t dt = STF_NONE;
		int external = (o->flags & STF_OBJF_EXTERNAL) != 0;
		struct site_memo *m = object_site_memo(by_site, memo, src, o, external);
		if (m->id != o->id || m->external != external) {
			m->id = o->id;
			m->external = external;
			m->dst_site = stf__site_dst_id(x, o->id);
			m->unit = NULL;
			m->type = STF_NONE;
			m->found = external ||
				   !stf__peer_site_type(dst, m->dst_site, &m->unit, &m->type);
			m->size_unit = NULL;
		}
		if (!m->found) {
			x->rep->dropped++;
			x->pair[i].dst = PAIR_NONE;
			if (x->rep->dropped <= 20)
				fprintf(stderr, "libstf: %s transfer: %s: allocation site gone "
					"in the destination: object dropped\n",
					x->dir == STF_FORWARD ? "forward" : "backward",
					stf__obj_name(o, on, sizeof(on)));
			continue;
		}
		du = m->unit;
		dt = m->type;
		if ((!du || dt == STF_NONE) && o->unit) {
			/* the destination's site is untyped: the type of the same
			 * name there, else ours */
			if (stf__dst_type_named(x, o->unit, o->type, &du, &dt) < 0) {
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
		struct stf_obj *d = &dst->objs[rq.base + n];
		*d = *o;
		d->id = m->dst_site; /* until allocated */
		d->unit = du;
		d->type = dt;
		d->bytes = NULL;
		if (!du) {
			d->size = o->size;
		} else if (m->size_unit == o->unit && m->size_type == o->type &&
			   m->src_size == o->size && m->unit == du && m->type == dt) {
			d->size = m->dst_size;
		} else {
			d->size = stf__dst_size(o, du, dt);
			if (m->unit == du && m->type == dt) {
				m->size_unit = o->unit;
				m->size_type = o->type;
				m->src_size = o->size;
				m->dst_size = d->size;
			}
		}
		/* untyped blocks and what they point into keep their address,
		 * mappings too where they can (stf__map_at) */
		uint64_t own;
		d->addr = prot >= 0 ? stf__mapping_home(x, o, &own) :
			  x->pair[i].placed || x->pair[i].pinned ? o->addr : 0;
		int resized = x->resize && x->resize[i];
		int in_place = resized && x->pair[i].resized_here;
		if (resized) /* a wrapper's block, its sub-object resized */
			d->size = x->resize[i];
		/* pinned and grown past its block's granules: over the blocks
		 * after it, which move (pinned-growth.c) */
		int grown = prot < 0 && d->addr && ((x->pair[i].pinned && !resized) || in_place) ?
			    stf__pinned_growth(x, i, d->size) : 0;
		if (grown < 0)
			d->addr = 0;
		if (prot < 0 && stf__carved_changes(x, i, d) < 0)
			d->addr = 0;
		if (prot < 0 && d->addr && o->unit && x->pair[i].pinned) {
			x->rep->pinned++;
			x->rep->pinned_keys += x->pair[i].pinned == STF_PIN_KEY;
			x->rep->pinned_grown += grown > 0;
		}
		if (resized && !in_place) /* moved whole */
			d->addr = 0;
		if (prot >= 0) { /* whole pages */
			d->size = (d->size + 4095) & ~(uint64_t)4095;
			if (x->dir == STF_BACKWARD)
				d->size = stf__old_mapping_size(o, du, dt, d->size);
		}
		if (prot < 0 && !d->addr)
			heap_bytes += d->size;
		rq.src[n] = (uint32_t)i;
		rq.prot[n] = (int8_t)prot;
		n++;
	}
	rq.n = n;
	dst->nobjs = rq.base + n;
	size_t nreq = n;
	if (x->fault == STF_FAULT_LEAK) {
		rq.leak_site = n ? dst->objs[rq.base].id : first_plugin_site(dst);
		nreq += rq.leak_site != NULL;
	}
	stf__profile_mark("pair: requests");
	if (dst->self) {
		/* the heap the blocks fill, on huge pages and populated at
		 * once (spans.c): not more than their sizes, which their size
		 * classes round up, so the new version keeps no page it does
		 * not fill */
		if (heap_bytes >= PREFAULT_MIN)
			stf__spans_prefault(heap_bytes);
		/* the mappings first: their pages leave the ranges reserved for
		 * the old version, which the batch of placed blocks makes
		 * accessible and gives back (placement.c) */
		if (alloc_here(x, &rq, nreq, 1, by_site) < 0)
			goto out;
		place_batch_begin(&rq, nreq);
		if (alloc_here(x, &rq, nreq, 0, by_site) < 0)
			goto out;
	} else if (remote_alloc(x, &rq, nreq) < 0) {
		goto out;
	}
	stf__profile_mark("pair: allocations");
	if (nreq > n)
		fprintf(stderr, "libstf: STF_FAULT: leaked an object of site %s\n", rq.leak_site);
	for (size_t k = 0; k < n; k++) {
		const struct stf_obj *o = &src->objs[rq.src[k]];
		int64_t j = (int64_t)(rq.base + k);
		struct stf_obj *d = &dst->objs[j];
		d->id = o->id; /* the source's site ID, as every destination object */
		x->img[j] = dst->self ? (uint8_t *)(uintptr_t)d->addr :
			    stf__arena_alloc(x->arena, d->size ? d->size : 1);
		if (!x->img[j]) {
			stf__xfail(x, "out of memory staging %s", o->id);
			goto out;
		}
		struct pairing *p = &x->pair[rq.src[k]];
		p->dst = j;
		p->dst_addr = d->addr;
		p->scheduled = 1;
		p->same = !o->unit || !d->unit ||
			  (T(o->unit, strip(o->unit, o->type))->hash ==
			   T(d->unit, strip(d->unit, d->type))->hash &&
			   T(o->unit, strip(o->unit, o->type))->size ==
			   T(d->unit, strip(d->unit, d->type))->size);
		x->rep->dynamic_objects++;
	}
	rc = 0;
	stf__profile_mark("pair: destinations");
out:
	stf__place_batch_end();
	stf__raw_free(by_site);
	stf__bulk_free(rq.src);
	stf__bulk_free(rq.prot);
	return rc;
}

/* The place of a string literal object ("init:cmdtab.c:version",
 * "code:cmdtab.c:main#2"), NULL if it has none. */
static const char *literal_place(const struct stf_obj *o, char *buf, size_t len)
{
	size_t n;
	if (o->kind != STF_OBJ_STRING || !o->unit)
		return NULL;
	n = stf_meta_literal_place(o->unit, o->site, buf, len);
	return n && n < len ? buf : NULL;
}

/*
 * String literals pair by their place in the code before their content:
 * a pointer to a literal whose text changed (`version = "kvd/1.0.3"`
 * becoming "kvd/2.0.0") leads to the new version's literal at the same
 * place, and back.  A place in a static initializer names one literal
 * for good.  A place in a function's code is the literal's rank there,
 * which an added or removed literal shifts: it wins when the text is the
 * same there, or when the text is nowhere else in the destination and the
 * function has as many literals in both versions.  The others pair by
 * content when a pointer reaches them (relocate.c).
 */

/* "code:f.c:func#3": its function's count of literals in `counts` is at
 * least 4 (the ranks of one function's literals run from 0). */
static int count_code_place(struct stf_arena *a, struct stf_strmap *counts, const char *place)
{
	const char *hash = strrchr(place, '#');
	uint64_t n = 0, rank;
	char *fn;
	if (strncmp(place, "code:", 5) || !hash)
		return 0;
	rank = strtoull(hash + 1, NULL, 10);
	fn = stf__arena_alloc(a, (size_t)(hash - place) + 1);
	if (!fn)
		return -1;
	memcpy(fn, place, (size_t)(hash - place));
	fn[hash - place] = 0;
	if (!stf__strmap_get(counts, fn, &n) && n > rank)
		return 0;
	return stf__strmap_put(counts, fn, rank + 1);
}

static uint64_t code_count(const struct stf_strmap *counts, const char *place)
{
	const char *hash = strrchr(place, '#');
	char fn[512];
	uint64_t n = 0;
	if (!hash || (size_t)(hash - place) >= sizeof(fn))
		return 0;
	memcpy(fn, place, (size_t)(hash - place));
	fn[hash - place] = 0;
	stf__strmap_get(counts, fn, &n);
	return n;
}
static int pair_literals(struct stf_xfer *x)
{
	struct stf_peer *src = x->src, *dst = x->dst;
	struct stf_strmap places = { 0 }, src_counts = { 0 }, dst_counts = { 0 };
	char buf[512];
	uint64_t j;
	int rc = 0;

	for (size_t k = 0; k < dst->nobjs && !rc; k++) {
		const char *place = literal_place(&dst->objs[k], buf, sizeof(buf));
		if (!place)
			continue;
		rc = count_code_place(x->arena, &dst_counts, place);
		if (rc || !stf__strmap_get(&places, place, &j))
			continue;
		place = stf__arena_strdup(x->arena, place);
		rc = place ? stf__strmap_put(&places, place, k) : -1;
	}
	for (size_t i = 0; i < src->nobjs && !rc; i++) {
		const char *place = literal_place(&src->objs[i], buf, sizeof(buf));
		if (place)
			rc = count_code_place(x->arena, &src_counts, place);
	}
	for (size_t i = 0; i < src->nobjs && !rc; i++) {
		const struct stf_obj *o = &src->objs[i];
		const char *place = literal_place(o, buf, sizeof(buf));
		if (!place || stf__strmap_get(&places, place, &j) < 0)
			continue;
		const struct stf_obj *d = &dst->objs[j];
		uint64_t elsewhere;
		if (!strncmp(place, "code:", 5) && strcmp(o->id, d->id) &&
		    (!stf__strmap_get(&x->dst_ids, o->id, &elsewhere) ||
		     code_count(&src_counts, place) != code_count(&dst_counts, place)))
			continue;
		x->pair[i].dst = (int64_t)j;
		x->pair[i].dst_addr = d->addr;
		x->pair[i].same = o->size == d->size;
	}
	if (!rc)
		rc = stf__table_literals(x, &places);
	stf__strmap_free(&places);
	stf__strmap_free(&src_counts);
	stf__strmap_free(&dst_counts);
	if (rc)
		stf__xfail(x, "out of memory pairing string literals");
	return rc;
}

int stf__schedule(struct stf_xfer *x)
{
	struct stf_peer *src = x->src, *dst = x->dst;
	char on[256];
	uint64_t j;

	x->pair = stf__bulk_alloc((src->nobjs + 1) * sizeof(*x->pair));
	if (!x->pair) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < src->nobjs; i++) /* every field: reused memory */
		x->pair[i] = (struct pairing){ .dst = PAIR_UNRESOLVED };
	if (x->dir == STF_FORWARD) {
		stf__profile_mark("pair: the schedule");
		x->unreached = stf__raw_malloc(src->nobjs + 1);
		if (!x->unreached || stf__peer_unreached(src, 1, x->unreached) < 0) {
			stf__xfail(x, "out of memory");
			return -1;
		}
	}
	x->resize = NULL;
	x->img_cap = 0;
	x->img = NULL;
	size_t ndst = dst->nobjs;
	if (ndst) {
		x->img = stf__bulk_alloc(ndst * 2 * sizeof(*x->img));
		if (!x->img) {
			stf__xfail(x, "out of memory");
			return -1;
		}
		memset(x->img, 0, ndst * 2 * sizeof(*x->img));
		x->img_cap = ndst * 2;
	}
	for (size_t k = 0; k < ndst; k++) {
		const struct stf_obj *d = &dst->objs[k];
		if (stf__is_dynamic(d) || stf__strmap_get(&x->dst_ids, d->id, &j) == 0)
			continue;
		stf__strmap_put(&x->dst_ids, d->id, k);
	}
	if (pair_literals(x) < 0)
		return -1;
	for (size_t i = 0; i < src->nobjs; i++) {
		const struct stf_obj *o = &src->objs[i];
		if (o->kind != STF_OBJ_STATIC && o->kind != STF_OBJ_LOCAL)
			continue;
		const char *id = x->renames ? stf__rename(STF_RENAME_OBJECT, o->id, x->dir) : o->id;
		if (x->dir == STF_BACKWARD && src->self && stf__unreceived(o->id)) {
			x->pair[i].dst = PAIR_NONE;
			fprintf(stderr, "libstf: backward transfer: %s %s received nothing from the "
				"old version (its thread parked elsewhere there): the reversed "
				"version keeps its own\n",
				o->kind == STF_OBJ_LOCAL ? "local" : "static", o->id);
			continue;
		}
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
			stf__xfail(x, "out of memory staging %s", stf__obj_name(o, on, sizeof(on)));
			return -1;
		}
		if (o->kind == STF_OBJ_LOCAL)
			x->rep->locals++;
		else
			x->rep->static_objects++;
	}
	if (x->dir == STF_FORWARD && dst->self && stf__unreceived_note(x) < 0) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	stf__profile_mark("pair: statics");
	if (stf__plan_slots(x) < 0 || stf__plan_untyped(x) < 0 || x->pins.oom ||
	    stf__plan_subs(x) < 0)
		return -1;
	stf__profile_mark("pair: untyped plan");
	if (stf__plan_inplace(x) < 0 || schedule_dynamic(x) < 0 || stf__place_subs(x) < 0)
		return -1;
	return stf__place_slots(x);
}
