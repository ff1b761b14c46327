/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apr-pools.c - the words of APR's pool nodes (issue 8, t/idioms/aprd).
 *
 * APR's allocator maps its nodes itself: untyped memory kept at its
 * address, its words classified (untyped-plan.c), the objects the
 * program apr_palloc'd in it typed sub-objects.  A word of a node that
 * points to the start of such an object pins it, and one that grows in
 * the new version can then neither grow where it is nor leave.  Two
 * kinds of APR's words do point there without meaning the object:
 *   - its positions in the node: the node's free cursor (first_avail)
 *     and end (endp), and a pool's mark of the first byte after its own
 *     struct (self_first_avail, where apr_pool_clear starts again), which
 *     the first object the pool hands out starts at.  They stay what
 *     they are: the node keeps its address, and an object that leaves
 *     leaves dead bytes in the pool, reclaimed with it.  Likewise the
 *     stale values of dead entries (a pool's freed cleanups, a hash's
 *     freed entries), which APR overwrites before reading;
 *   - the user data the program gave it: a live cleanup's data
 *     (apr_pool_cleanup_register, apr_pool_pre_cleanup_register) and a
 *     hash entry's key and value (apr_hash_set), which APR hands back as
 *     they are (to the cleanup, to apr_hash_get): relocated like a typed
 *     pointer when they point to the start of a typed object, so that a
 *     grown record can move (subobjects.c: alone, to a heap block of its
 *     own, which the pool does not free; its old bytes stay in the pool).
 *   - the elements of an APR array (apr_array_make, apr_array_push, and
 *     a table's entries, apr_table_t being an array of apr_table_entry_t
 *     {key, val, key_checksum}), which APR only copies as bytes when the
 *     array grows and hands back as they are (APR_ARRAY_IDX): each word
 *     of a live element (below nelts) is user data as above.  An array
 *     does not say what its elements are: one whose element size is the
 *     size of a program struct that changes cannot be converted, and the
 *     update rolls back naming it (stf__check_apr_arrays; a table's
 *     entries, told by its index of their checksums, are APR's own
 *     struct).  The copies of its elements it left behind growing are
 *     dead, like the stale values above (mark_stale_copies).
 * Every other word of a node still pins what it points into.  A node's
 * free bytes (past its free cursor, or all of a node on its allocator's
 * free list) are dead: an object the program apr_palloc'd that reaches
 * into them died with its pool, which APR destroyed or cleared without
 * telling anyone, and is forgotten (the transfer's and the diff's
 * catalogs), so that it neither moves nor pins.
 *
 * The nodes are found in the library's mappings (adjacent ones are one
 * mapping), node after node, each told by its header (apr_allocator.h's
 * public apr_memnode_t: its end is (index + 1) pages after it, its free
 * cursor between its header and its end); a pool's struct is the one at
 * the start of its own node (its `self`); a hash is an apr_hash_t whose
 * pool is one of those and whose every entry lies in the bucket its hash
 * says; an array is an apr_array_header_t (apr_tables.h, public) whose
 * pool is one of those, at most nalloc elements live, its elements
 * readable.  The private structs (apr_pool_t, cleanup_t, apr_hash_t,
 * apr_hash_entry_t) are APR 1.7's without pool debugging, checked in F
 * on a scratch pool of the loaded library (stf__apr_measure): another
 * layout, or no APR initialized, finds nothing, and every word pins.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "apr-pools.h"
#include "engine.h"
#include "glib-arrays.h"
#include "remote.h"
#include "untyped.h"

enum {
	/* apr_memnode_t (apr_allocator.h) */
	NODE_FIRST_AVAIL = 24,
	NODE_ENDP = 32,
	NODE_INDEX = 16,
	NODE_HEADER = 40,
	PAGE_SHIFT = 12, /* a node spans index + 1 pages of 4 KiB */
	/* apr_pool_t, at NODE_HEADER of its own node */
	POOL_CLEANUPS = 32,
	POOL_FREE_CLEANUPS = 40,
	POOL_ACTIVE = 88,
	POOL_SELF = 96,
	POOL_SELF_FIRST_AVAIL = 104,
	POOL_PRE_CLEANUPS = 112,
	POOL_ALLOCATOR = 48,
	POOL_SIZE = 120,
	/* apr_allocator_t: its free lists of nodes by index */
	ALLOC_FREE = 40,
	ALLOC_LISTS = 20,
	ALLOC_SIZE = ALLOC_FREE + 8 * ALLOC_LISTS,
	/* cleanup_t */
	CLEANUP_NEXT = 0,
	CLEANUP_DATA = 8,
	/* apr_hash_t, apr_hash_entry_t */
	HASH_ARRAY = 8,
	HASH_COUNT = 48,
	HASH_MAX = 52,
	HASH_FREE = 72,
	HASH_SIZE = 80,
	ENTRY_NEXT = 0,
	ENTRY_HASH = 8,
	ENTRY_KEY = 16,
	ENTRY_VAL = 32,
	/* apr_array_header_t (apr_tables.h), apr_table_entry_t's checksum */
	ARRAY_SIZES = 8, /* int elt_size, int nelts */
	ARRAY_NALLOC = 16,
	ARRAY_ELTS = 24,
	ARRAY_SIZE = 32,
	TABLE_ENTRY_CHECKSUM = 16,
	TABLE_ENTRY_SIZE = 24,
	/* apr_table_t (apr_tables.c): its array, then its index */
	TABLE_INDEX_INITIALIZED = 32,
	TABLE_INDEX_FIRST = 36,
	TABLE_BUCKETS = 32,
	TABLE_INDEX_LAST = TABLE_INDEX_FIRST + 4 * TABLE_BUCKETS,
};

/* The largest element size and element count an array is taken for. */
#define MAX_ELT_SIZE (1u << 20)
#define MAX_ELTS (1u << 24)

/* The longest list or bucket followed: past it, a list is no list. */
#define MAX_CHAIN (1u << 22)

/* APR's layout as measured (stf__apr_measure). */
static int layout_known;

/* One word found. */
struct apr_mark {
	uint64_t addr;
	enum stf_apr_word kind;
};

/* An APR array found: its header and the node holding it, its elements,
 * their size, count and capacity, and whether it is a table's (its
 * elements APR's apr_table_entry_t). */
struct apr_array {
	uint64_t addr, node, elts;
	uint32_t elt_size, nelts, nalloc;
	int table;
};

/* The free bytes of a node: from its free cursor to its end. */
struct apr_free {
	uint64_t start, end;
};

/* The words found in a transfer's source (x->apr). */
struct apr_words {
	struct apr_mark *marks;
	size_t n;
	struct apr_free *free; /* by address */
	size_t nfree;
	struct apr_array *arrays;
	size_t narrays;
};

/* Where the walk reads: the source's APR mappings (sorted by address)
 * and its other objects (an allocator is a heap block), or one scratch
 * node and allocator of F's own memory (maps NULL: [lo, hi), [alo, ahi)). */
struct reader {
	const struct stf_obj **maps;
	size_t nmaps;
	const struct stf_peer *p;
	uint64_t lo, hi, alo, ahi;
};

/* A set of addresses (sorted once complete). */
struct u64s {
	uint64_t *v;
	size_t n, cap;
};

/* What the walk found: the marks and the free bytes; the pools' structs
 * (hashes name one), their allocators and the nodes on those's free
 * lists. */
struct found {
	struct apr_mark *marks;
	size_t n, cap;
	struct apr_free *free;
	size_t nfree, fcap;
	struct apr_array *arrays;
	size_t narrays, acap;
	struct u64s pools, allocators, free_nodes;
	int oom;
};

/* The word at addr; -1 if the walk may not read it. */
static int read_word(const struct reader *r, uint64_t addr, uint64_t *v)
{
	if (addr & 7)
		return -1;
	if (!r->maps) {
		if ((addr < r->lo || addr + 8 > r->hi) && (addr < r->alo || addr + 8 > r->ahi))
			return -1;
		memcpy(v, (const void *)(uintptr_t)addr, 8);
		return 0;
	}
	size_t lo = 0, hi = r->nmaps;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->maps[mid]->addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct stf_obj *o = lo ? r->maps[lo - 1] : NULL;
	if (!o || addr + 8 > o->addr + o->size) {
		const struct stf_range *in = stf__index_find(&r->p->index, addr, 0);
		o = in ? &r->p->objs[in->value] : NULL;
	}
	if (!o || !o->bytes || addr < o->addr || addr + 8 > o->addr + o->size)
		return -1;
	memcpy(v, o->bytes + (addr - o->addr), 8);
	return 0;
}

static void *grow(void *a, size_t *cap, size_t size, int *oom)
{
	size_t ncap = *cap ? 2 * *cap : 256;
	void *na = stf__raw_realloc(a, ncap * size);
	if (!na) {
		*oom = 1;
		return a;
	}
	*cap = ncap;
	return na;
}

static void mark(struct found *f, uint64_t addr, enum stf_apr_word kind)
{
	if (f->n == f->cap)
		f->marks = grow(f->marks, &f->cap, sizeof(*f->marks), &f->oom);
	if (f->n < f->cap)
		f->marks[f->n++] = (struct apr_mark){ addr, kind };
}

/* The data words of the cleanups listed from the word at head: `kind`. */
static void mark_cleanups(const struct reader *r, struct found *f, uint64_t head,
			  enum stf_apr_word kind)
{
	uint64_t c;
	for (unsigned n = 0; n < MAX_CHAIN && read_word(r, head, &c) == 0 && c; n++) {
		uint64_t data;
		if (read_word(r, c + CLEANUP_DATA, &data) < 0)
			return;
		mark(f, c + CLEANUP_DATA, kind);
		head = c + CLEANUP_NEXT;
	}
}

/* The end of the node at node, 0 if no node's header is there (its end
 * (index + 1) pages after it, readable, its free cursor in between). */
static uint64_t node_end(const struct reader *r, uint64_t node)
{
	uint64_t index, first, endp, last;
	if (read_word(r, node + NODE_INDEX, &index) < 0 || read_word(r, node + NODE_ENDP, &endp) < 0 ||
	    read_word(r, node + NODE_FIRST_AVAIL, &first) < 0)
		return 0;
	index &= 0xffffffffu;
	if (index >= (1u << 20) || endp != node + ((index + 1) << PAGE_SHIFT) ||
	    first < node + NODE_HEADER || first > endp || read_word(r, endp - 8, &last) < 0)
		return 0;
	return endp;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}


static void add_u64(struct u64s *a, uint64_t v, int *oom)
{
	if (a->n == a->cap)
		a->v = grow(a->v, &a->cap, sizeof(*a->v), oom);
	if (a->n < a->cap)
		a->v[a->n++] = v;
}

static int has_u64(const struct u64s *a, uint64_t v)
{
	return bsearch(&v, a->v, a->n, sizeof(*a->v), cmp_u64) != NULL;
}

static void sort_u64s(struct u64s *a)
{
	qsort(a->v, a->n, sizeof(*a->v), cmp_u64);
	size_t k = 0;
	for (size_t i = 0; i < a->n; i++)
		if (!k || a->v[k - 1] != a->v[i])
			a->v[k++] = a->v[i];
	a->n = k;
}

/* Whether an apr_hash_t is at h: its array's buckets hold count entries
 * in all, each in the bucket its hash says.  If so, marks its entries'
 * keys and values (its freed entries' as dead). */
static int walk_hash(const struct reader *r, struct found *f, uint64_t h)
{
	uint64_t array, counts, e, hash, val, total = 0;
	if (read_word(r, h + HASH_ARRAY, &array) < 0 || read_word(r, h + HASH_COUNT, &counts) < 0)
		return 0;
	uint64_t count = counts & 0xffffffffu, max = counts >> 32;
	if (max < 15 || max >= (1u << 24) || (max & (max + 1)))
		return 0;
	for (int pass = 0; pass < 2; pass++) /* check, then mark */
		for (uint64_t b = 0; b <= max; b++) {
			if (read_word(r, array + 8 * b, &e) < 0)
				return 0;
			for (unsigned n = 0; e; n++) {
				if (n == MAX_CHAIN || read_word(r, e + ENTRY_HASH, &hash) < 0 ||
				    (hash & max) != b || read_word(r, e + ENTRY_VAL, &val) < 0 ||
				    (!pass && ++total > count))
					return 0;
				if (pass) {
					mark(f, e + ENTRY_KEY, STF_APR_USER);
					mark(f, e + ENTRY_VAL, STF_APR_USER);
				}
				if (read_word(r, e + ENTRY_NEXT, &e) < 0)
					return 0;
			}
			if (!pass && b == max && total != count)
				return 0;
		}
	uint64_t head = h + HASH_FREE;
	for (unsigned n = 0; n < MAX_CHAIN && read_word(r, head, &e) == 0 && e &&
			     read_word(r, e + ENTRY_VAL, &val) == 0; n++) {
		mark(f, e + ENTRY_KEY, STF_APR_OWN);
		mark(f, e + ENTRY_VAL, STF_APR_OWN);
		head = e + ENTRY_NEXT;
	}
	return 1;
}

/* The 32-bit word at addr; -1 if the walk may not read it. */
static int read_u32(const struct reader *r, uint64_t addr, uint32_t *v)
{
	uint64_t w;
	if ((addr & 3) || read_word(r, addr & ~(uint64_t)7, &w) < 0)
		return -1;
	*v = (uint32_t)(w >> (8 * (addr & 4)));
	return 0;
}

/* Whether the array at a, of nelts elements at elts, is an apr_table_t's:
 * each live entry lies within the index of the bucket its key_checksum
 * names (the checksum's first byte is the key's first byte with its case
 * bit cleared, and the bucket the first byte's low five bits: apr_tables.c
 * keeps index_first[b] <= k <= index_last[b] for every entry k of a
 * bucket b marked in index_initialized).  An empty one has no bucket. */
static int table_at(const struct reader *r, uint64_t a, uint64_t elts, uint32_t nelts)
{
	uint32_t init, sum, first, last;
	if (read_u32(r, a + TABLE_INDEX_INITIALIZED, &init) < 0 ||
	    read_u32(r, a + TABLE_INDEX_LAST + 4 * (TABLE_BUCKETS - 1), &last) < 0)
		return 0;
	if (!nelts)
		return !init;
	for (uint32_t k = 0; k < nelts; k++) {
		if (read_u32(r, elts + (uint64_t)k * TABLE_ENTRY_SIZE + TABLE_ENTRY_CHECKSUM, &sum) < 0)
			return 0;
		uint32_t b = (sum >> 24) & (TABLE_BUCKETS - 1);
		if (!(init & (1u << b)) || read_u32(r, a + TABLE_INDEX_FIRST + 4 * b, &first) < 0 ||
		    read_u32(r, a + TABLE_INDEX_LAST + 4 * b, &last) < 0 || first > k || last < k)
			return 0;
	}
	return 1;
}

/* Whether an apr_array_header_t is at a (its pool's word read): its
 * sizes sane, its nalloc elements readable.  If so, marks the words of
 * its live elements as user data, and notes it. */
static int walk_array(const struct reader *r, struct found *f, uint64_t node, uint64_t a)
{
	uint64_t sizes, nalloc, elts, last;
	if (read_word(r, a + ARRAY_SIZES, &sizes) < 0 || read_word(r, a + ARRAY_NALLOC, &nalloc) < 0 ||
	    read_word(r, a + ARRAY_ELTS, &elts) < 0)
		return 0;
	int32_t elt_size = (int32_t)sizes, nelts = (int32_t)(sizes >> 32), cap = (int32_t)nalloc;
	if (elt_size <= 0 || (uint32_t)elt_size > MAX_ELT_SIZE || nelts < 0 || cap < 1 ||
	    nelts > cap || (uint32_t)cap > MAX_ELTS || !elts || (elts & 7))
		return 0;
	uint64_t live = (uint64_t)nelts * (uint32_t)elt_size,
		 bytes = (uint64_t)cap * (uint32_t)elt_size;
	if (read_word(r, elts, &last) < 0 || read_word(r, (elts + bytes - 8) & ~(uint64_t)7, &last) < 0)
		return 0;
	int table = elt_size == TABLE_ENTRY_SIZE && table_at(r, a, elts, (uint32_t)nelts);
	for (uint64_t w = elts; w + 8 <= elts + live; w += 8)
		mark(f, w, STF_APR_USER);
	if (f->narrays == f->acap)
		f->arrays = grow(f->arrays, &f->acap, sizeof(*f->arrays), &f->oom);
	if (f->narrays < f->acap)
		f->arrays[f->narrays++] = (struct apr_array){
			a, node, elts, (uint32_t)elt_size, (uint32_t)nelts, (uint32_t)cap, table
		};
	return 1;
}

/* The hashes and arrays in the used bytes of the node at node (from its
 * header to its free cursor): structs whose first word names a pool. */
static void find_pool_structs(const struct reader *r, struct found *f, uint64_t node)
{
	uint64_t first, v;
	if (read_word(r, node + NODE_FIRST_AVAIL, &first) < 0)
		return;
	for (uint64_t a = node + NODE_HEADER; a + ARRAY_SIZE <= first; a += 8) {
		if (has_u64(&f->pools, a)) {
			a += POOL_SIZE - 8; /* a pool's struct: its parent's word */
			continue;
		}
		if (read_word(r, a, &v) < 0 || !has_u64(&f->pools, v))
			continue;
		if (a + HASH_SIZE <= first && walk_hash(r, f, a))
			a += HASH_SIZE - 8;
		else if (walk_array(r, f, node, a))
			a += ARRAY_SIZE - 8;
	}
}

/* Whether [lo, hi) overlaps a live array's elements. */
static int in_live_elements(const struct found *f, uint64_t lo, uint64_t hi)
{
	for (size_t k = 0; k < f->narrays; k++) {
		const struct apr_array *a = &f->arrays[k];
		if (lo < a->elts + (uint64_t)a->nalloc * a->elt_size && a->elts < hi)
			return 1;
	}
	return 0;
}

/* Whether the n words at x and y are equal. */
static int same_words(const struct reader *r, uint64_t x, uint64_t y, uint64_t n)
{
	uint64_t a, b;
	for (uint64_t k = 0; k < n; k++)
		if (read_word(r, x + 8 * k, &a) < 0 || read_word(r, y + 8 * k, &b) < 0 || a != b)
			return 0;
	return 1;
}

/* An array grown by apr_array_push leaves its old elements where they
 * were: APR copies them to a block of twice their capacity in the pool
 * and never reads the old one again.  Their words still point where the
 * live elements do, and would pin what they point to.  In the used bytes
 * of the node of the array's header, a block of capacity nalloc / 2^k
 * holding the same bytes as the first elements, and no live array's, is
 * such a copy: dead, its words kept as they are. */
static void mark_stale_copies(const struct reader *r, struct found *f, const struct apr_array *arr)
{
	uint64_t first;
	if (read_word(r, arr->node + NODE_FIRST_AVAIL, &first) < 0)
		return;
	for (uint32_t c = arr->nalloc / 2; c; c /= 2) {
		uint64_t words = (uint64_t)c * arr->elt_size / 8;
		for (uint64_t a = arr->node + NODE_HEADER; words && a + 8 * words <= first; a += 8) {
			if (!same_words(r, a, arr->elts, words) || in_live_elements(f, a, a + 8 * words))
				continue;
			for (uint64_t k = 0; k < words; k++)
				mark(f, a + 8 * k, STF_APR_OWN);
			a += 8 * words - 8;
		}
	}
}

static int cmp_mark(const void *a, const void *b)
{
	const struct apr_mark *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Whether a pool's struct follows the header of the node at node (end
 * endp): the node is its own (self), its active node is a node, its mark
 * of its first free byte lies past its struct in the node. */
static int pool_at(const struct reader *r, uint64_t node, uint64_t endp)
{
	uint64_t pool = node + NODE_HEADER, self, active, self_first;
	return read_word(r, pool + POOL_SELF, &self) == 0 && self == node &&
	       read_word(r, pool + POOL_ACTIVE, &active) == 0 && node_end(r, active) &&
	       read_word(r, pool + POOL_SELF_FIRST_AVAIL, &self_first) == 0 &&
	       self_first >= pool + POOL_SIZE && self_first <= endp;
}

/* The node at node (end endp): its positions marked, its free bytes
 * noted (all after its header when it is on its allocator's free list:
 * what it held is dead), and in a live pool's own node the pool's mark
 * and its cleanups'. */
static void walk_node(const struct reader *r, struct found *f, uint64_t node, uint64_t endp)
{
	uint64_t first = endp, pool = node + NODE_HEADER;
	int dead = has_u64(&f->free_nodes, node);
	read_word(r, node + NODE_FIRST_AVAIL, &first);
	if (f->nfree == f->fcap)
		f->free = grow(f->free, &f->fcap, sizeof(*f->free), &f->oom);
	if (f->nfree < f->fcap)
		f->free[f->nfree++] = (struct apr_free){ dead ? pool : first, endp };
	mark(f, node + NODE_FIRST_AVAIL, STF_APR_OWN);
	mark(f, node + NODE_ENDP, STF_APR_OWN);
	if (dead || !pool_at(r, node, endp))
		return;
	mark(f, pool + POOL_SELF_FIRST_AVAIL, STF_APR_OWN);
	mark_cleanups(r, f, pool + POOL_CLEANUPS, STF_APR_USER);
	mark_cleanups(r, f, pool + POOL_PRE_CLEANUPS, STF_APR_USER);
	mark_cleanups(r, f, pool + POOL_FREE_CLEANUPS, STF_APR_OWN);
	add_u64(&f->pools, pool, &f->oom);
}

/* The allocators of the pools (their `allocator` word). */
static void note_allocator(const struct reader *r, struct found *f, uint64_t node, uint64_t endp)
{
	uint64_t alloc;
	if (pool_at(r, node, endp) && read_word(r, node + NODE_HEADER + POOL_ALLOCATOR, &alloc) == 0 &&
	    alloc)
		add_u64(&f->allocators, alloc, &f->oom);
}

/* The nodes on the allocators' free lists. */
static void find_free_nodes(const struct reader *r, struct found *f)
{
	for (size_t a = 0; a < f->allocators.n; a++)
		for (unsigned i = 0; i < ALLOC_LISTS; i++) {
			uint64_t head = f->allocators.v[a] + ALLOC_FREE + 8 * i, n;
			for (unsigned k = 0; k < MAX_CHAIN && read_word(r, head, &n) == 0 && n &&
					     node_end(r, n); k++) {
				add_u64(&f->free_nodes, n, &f->oom);
				head = n; /* its `next` */
			}
		}
	sort_u64s(&f->free_nodes);
}

/* Every node of the mappings (or of the scratch range), three times:
 * the allocators, then the nodes and pools, then the hashes and arrays
 * of the live nodes; the marks sorted. */
static void walk_all(const struct reader *r, struct found *f)
{
	size_t nmaps = r->maps ? r->nmaps : 1;
	for (int pass = 0; pass < 3; pass++) {
		for (size_t k = 0; k < nmaps; k++) {
			uint64_t node = r->maps ? r->maps[k]->addr : r->lo;
			uint64_t end = r->maps ? node + r->maps[k]->size : r->hi, endp;
			for (; node + NODE_HEADER <= end && (endp = node_end(r, node)); node = endp) {
				if (pass == 0)
					note_allocator(r, f, node, endp);
				else if (pass == 1)
					walk_node(r, f, node, endp);
				else if (!has_u64(&f->free_nodes, node))
					find_pool_structs(r, f, node);
			}
		}
		if (pass == 0) {
			sort_u64s(&f->allocators);
			find_free_nodes(r, f);
		}
		if (pass == 1)
			sort_u64s(&f->pools);
	}
	for (size_t k = 0, n = f->narrays; k < n; k++)
		mark_stale_copies(r, f, &f->arrays[k]);
	qsort(f->marks, f->n, sizeof(*f->marks), cmp_mark);
	qsort(f->free, f->nfree, sizeof(*f->free), cmp_u64); /* by start */
}

static void found_free(struct found *f)
{
	stf__raw_free(f->marks);
	stf__raw_free(f->free);
	stf__raw_free(f->arrays);
	stf__raw_free(f->pools.v);
	stf__raw_free(f->allocators.v);
	stf__raw_free(f->free_nodes.v);
}

/* Whether addr lies in a node's free bytes. */
static int in_free_bytes(const struct apr_words *w, uint64_t addr)
{
	size_t lo = 0, hi = w->nfree;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (w->free[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < w->nfree && w->free[lo].start <= addr;
}

enum stf_apr_word stf__apr_word(const struct stf_xfer *x, const struct stf_obj *holder,
				uint64_t off)
{
	const struct apr_words *w = x->apr;
	/* a node's word, or one of a dead object's in it (stf__apr_walk) */
	if (!w || (holder->kind != STF_OBJ_MMAP && !holder->container))
		return STF_APR_NONE;
	uint64_t addr = holder->addr + off;
	size_t lo = 0, hi = w->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (w->marks[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < w->n && w->marks[lo].addr == addr)
		return w->marks[lo].kind;
	/* the node's free bytes: what they held is dead, APR writes them
	 * before it reads them */
	return in_free_bytes(w, addr) ? STF_APR_OWN : STF_APR_NONE;
}

/* The arrays' headers and elements, APR's own, by start, with the
 * largest end up to each (maxend): raw memory, NULL if out of memory. */
struct array_spans {
	struct apr_free *span;
	uint64_t *maxend;
	size_t n;
};

static int array_spans(const struct apr_words *w, struct array_spans *a)
{
	a->n = 0;
	a->span = stf__raw_malloc((2 * w->narrays + 1) * sizeof(*a->span));
	a->maxend = stf__raw_malloc((2 * w->narrays + 1) * sizeof(*a->maxend));
	if (!a->span || !a->maxend)
		return -1;
	for (size_t k = 0; k < w->narrays; k++) {
		const struct apr_array *r = &w->arrays[k];
		a->span[a->n++] = (struct apr_free){ r->addr, r->addr + ARRAY_SIZE };
		a->span[a->n++] = (struct apr_free){ r->elts,
						     r->elts + (uint64_t)r->nalloc * r->elt_size };
	}
	qsort(a->span, a->n, sizeof(*a->span), cmp_u64); /* by start */
	for (size_t k = 0; k < a->n; k++)
		a->maxend[k] = k && a->maxend[k - 1] > a->span[k].end ? a->maxend[k - 1] :
									a->span[k].end;
	return 0;
}

/* Whether [lo, hi) overlaps one of the spans. */
static int in_spans(const struct array_spans *a, uint64_t lo, uint64_t hi)
{
	size_t l = 0, h = a->n; /* the spans starting before hi: [0, l) */
	while (l < h) {
		size_t mid = (l + h) / 2;
		if (a->span[mid].start < hi)
			l = mid + 1;
		else
			h = mid;
	}
	return l && a->maxend[l - 1] > lo;
}

/* The objects the program apr_palloc'd that reach into a node's free
 * bytes died with their pool (destroyed or cleared: APR tells nobody; a
 * live one lies before its node's free cursor), and so did those under
 * an array APR made since, which reused their bytes (httpd clears its
 * configuration pool and reads the configuration again: its hooks'
 * arrays lie over the first reading's records): untyped, they are their
 * node's bytes (not indexed, not transferred, not compared, pinned by
 * nothing), where a new pool's objects may have been handed out since.
 * A typed pointer to the array now at such an object's start types it
 * again (infer-types.c), and the update rolls back naming it
 * (t/xfer/apr20-cleared): marking it libstf's own to prevent that
 * broke t/idioms/aprd. */
static int forget_dead_objects(struct stf_peer *p, const struct apr_words *w)
{
	struct array_spans arrays;
	size_t dead = 0;
	if (array_spans(w, &arrays) < 0) {
		stf__raw_free(arrays.span);
		stf__raw_free(arrays.maxend);
		return -1;
	}
	for (size_t i = 0; i < p->nobjs; i++) {
		struct stf_obj *o = &p->objs[i];
		if (o->container && o->unit &&
		    stf__library_mapping(&p->objs[o->container - 1]) &&
		    (in_free_bytes(w, o->addr) || in_free_bytes(w, o->addr + o->size - 1) ||
		     in_spans(&arrays, o->addr, o->addr + o->size))) {
			o->unit = NULL;
			dead++;
		}
	}
	stf__raw_free(arrays.span);
	stf__raw_free(arrays.maxend);
	if (dead)
		stf__peer_index(p); /* untyped sub-objects are not indexed */
	return 0;
}

static int cmp_obj_addr(const void *a, const void *b)
{
	const struct stf_obj *x = *(const struct stf_obj *const *)a,
			     *y = *(const struct stf_obj *const *)b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The walk of p's APR mappings into f; -1 if out of memory. */
static int walk_peer(const struct stf_peer *p, struct found *f)
{
	struct reader r = { 0 };
	r.p = p;
	r.maps = stf__raw_malloc((p->nobjs + 1) * sizeof(*r.maps));
	if (!r.maps)
		return -1;
	for (size_t i = 0; i < p->nobjs; i++)
		if (stf__library_mapping(&p->objs[i]) && p->objs[i].bytes)
			r.maps[r.nmaps++] = &p->objs[i];
	qsort(r.maps, r.nmaps, sizeof(*r.maps), cmp_obj_addr);
	walk_all(&r, f);
	stf__raw_free(r.maps);
	return f->oom ? -1 : 0;
}

int stf__apr_walk(struct stf_xfer *x)
{
	struct found f = { 0 };
	x->apr = NULL;
	if (!layout_known)
		return 0;
	struct apr_words *w = walk_peer(x->src, &f) < 0 ? NULL :
			      stf__arena_alloc(x->arena, sizeof(*w));
	if (!w || (f.n && !(w->marks = stf__arena_alloc(x->arena, f.n * sizeof(*f.marks)))) ||
	    (f.nfree && !(w->free = stf__arena_alloc(x->arena, f.nfree * sizeof(*f.free)))) ||
	    (f.narrays &&
	     !(w->arrays = stf__arena_alloc(x->arena, f.narrays * sizeof(*f.arrays))))) {
		found_free(&f);
		return -1;
	}
	if (f.n)
		memcpy(w->marks, f.marks, f.n * sizeof(*f.marks));
	if (f.nfree)
		memcpy(w->free, f.free, f.nfree * sizeof(*f.free));
	if (f.narrays)
		memcpy(w->arrays, f.arrays, f.narrays * sizeof(*f.arrays));
	w->n = f.n;
	w->nfree = f.nfree;
	w->narrays = f.narrays;
	x->apr = w;
	found_free(&f);
	return forget_dead_objects(x->src, w);
}

int stf__apr_forget_dead(struct stf_peer *p)
{
	struct found f = { 0 };
	if (!layout_known)
		return 0;
	int rc = walk_peer(p, &f);
	if (!rc)
		rc = forget_dead_objects(p, &(struct apr_words){ f.marks, f.n, f.free, f.nfree,
								 f.arrays, f.narrays });
	found_free(&f);
	return rc;
}

int stf__check_apr_arrays(struct stf_xfer *x)
{
	const struct apr_words *w = x->apr;
	char tn[256];
	int failed = 0;
	if (!w || x->dir != STF_FORWARD)
		return 0; /* backward the forward transfer has said it all */
	for (size_t k = 0; k < w->narrays; k++) {
		const struct apr_array *a = &w->arrays[k];
		if (a->table || !stf__changed_struct_of_size(x, a->elt_size, tn, sizeof(tn)))
			continue;
		x->failed = 0; /* each array is a problem of its own */
		stf__xfail(x, "an APR array (apr_array_header_t at 0x%" PRIx64 ") holds %" PRIu32
			   " elements of %" PRIu32 " bytes, the size of %s, whose layout changes "
			   "in the new version: APR does not say what its elements are, so they "
			   "cannot be converted and would be read with the new layout; keep "
			   "pointers in the array (apr_array_make (p, n, sizeof (%s *))) or the "
			   "struct's layout (ttst does not yet type an APR array's elements by the "
			   "program's APR_ARRAY_IDX, as it does GLib's g_array_index)",
			   a->addr, a->nelts, a->elt_size, tn, tn);
		failed = 1;
	}
	return failed ? -1 : 0;
}

/*
 * The measurement: a scratch pool of its own allocator (unmanaged: it
 * touches none of the program's pools), two cleanups and a pre-cleanup
 * registered, the first killed, a hash given two entries and the first
 * removed; the walk must find each marker in one word of the kind it
 * is, and the pool's mark of its first byte; the pool destroyed, its
 * node must head its allocator's free list of 8 KiB nodes.
 */
typedef int (*apr_cleanup_fn)(void *);
static char marker[5]; /* addresses nothing else holds */

static int ignore_cleanup(void *data)
{
	(void)data;
	return 0;
}

/* The marks of kind `kind` holding v. */
static int count_marks(const struct found *f, uint64_t v, enum stf_apr_word kind)
{
	int n = 0;
	for (size_t k = 0; k < f->n; k++)
		if (f->marks[k].kind == kind && !memcmp(&v, (const void *)(uintptr_t)f->marks[k].addr, 8))
			n++;
	return n;
}

static int scratch_walk(void *pool, void *hash, uint64_t keys[2])
{
	uint64_t node = (uint64_t)(uintptr_t)pool - NODE_HEADER, endp;
	memcpy(&endp, (const void *)(uintptr_t)(node + NODE_ENDP), 8);
	uint64_t alloc;
	memcpy(&alloc, (const void *)(uintptr_t)((uint64_t)(uintptr_t)pool + POOL_ALLOCATOR), 8);
	struct reader r = { NULL, 0, NULL, node, endp, alloc, alloc + ALLOC_SIZE };
	struct found f = { 0 };
	int ok = endp > node && endp - node < (1u << 20);
	if (ok)
		walk_all(&r, &f);
	uint64_t self_first = (uint64_t)(uintptr_t)pool + POOL_SIZE;
	ok = ok && !f.oom && f.pools.n == 1 && count_marks(&f, self_first, STF_APR_OWN) == 1;
	for (int k = 0; k < 5 && ok; k++) {
		/* 0: killed cleanup, 1, 2: live ones, 3: removed entry, 4: live */
		enum stf_apr_word kind = k == 0 || k == 3 ? STF_APR_OWN : STF_APR_USER;
		ok = count_marks(&f, (uint64_t)(uintptr_t)&marker[k], kind) == 1;
	}
	ok = ok && count_marks(&f, keys[0], STF_APR_OWN) == 1 &&
	     count_marks(&f, keys[1], STF_APR_USER) == 1 && hash;
	found_free(&f);
	return ok;
}

#define SYM(type, name) ((type)dlsym(RTLD_DEFAULT, name))

void stf__apr_measure(void)
{
	int (*alloc_create)(void **) = SYM(int (*)(void **), "apr_allocator_create");
	void (*alloc_destroy)(void *) = SYM(void (*)(void *), "apr_allocator_destroy");
	int (*pool_create)(void **, void *, void *) =
		SYM(int (*)(void **, void *, void *), "apr_pool_create_unmanaged_ex");
	void (*pool_destroy)(void *) = SYM(void (*)(void *), "apr_pool_destroy");
	void (*cleanup_register)(void *, const void *, apr_cleanup_fn, apr_cleanup_fn) =
		SYM(void (*)(void *, const void *, apr_cleanup_fn, apr_cleanup_fn),
		    "apr_pool_cleanup_register");
	void (*pre_cleanup_register)(void *, const void *, apr_cleanup_fn) =
		SYM(void (*)(void *, const void *, apr_cleanup_fn), "apr_pool_pre_cleanup_register");
	void (*cleanup_kill)(void *, const void *, apr_cleanup_fn) =
		SYM(void (*)(void *, const void *, apr_cleanup_fn), "apr_pool_cleanup_kill");
	void *(*hash_make)(void *) = SYM(void *(*)(void *), "apr_hash_make");
	void (*hash_set)(void *, const void *, long, const void *) =
		SYM(void (*)(void *, const void *, long, const void *), "apr_hash_set");
	void *allocator, *pool;
	static const char keys[2][2] = { "a", "b" };

	layout_known = 0;
	if (!alloc_create || !alloc_destroy || !pool_create || !pool_destroy || !cleanup_register ||
	    !pre_cleanup_register || !cleanup_kill || !hash_make || !hash_set)
		return; /* no APR here */
	if (alloc_create(&allocator))
		return;
	/* no APR initialized: no pool, and nothing known */
	if (pool_create(&pool, NULL, allocator) == 0) {
		cleanup_register(pool, &marker[0], ignore_cleanup, ignore_cleanup);
		cleanup_register(pool, &marker[1], ignore_cleanup, ignore_cleanup);
		pre_cleanup_register(pool, &marker[2], ignore_cleanup);
		cleanup_kill(pool, &marker[0], ignore_cleanup);
		void *hash = hash_make(pool);
		uint64_t key_addrs[2] = { (uint64_t)(uintptr_t)keys[0], (uint64_t)(uintptr_t)keys[1] };
		if (hash) {
			hash_set(hash, keys[0], 1, &marker[3]);
			hash_set(hash, keys[1], 1, &marker[4]);
			hash_set(hash, keys[0], 1, NULL);
		}
		layout_known = scratch_walk(pool, hash, key_addrs);
		pool_destroy(pool);
		/* a destroyed pool's node goes on its allocator's free list of
		 * its index (1: 8 KiB) */
		uint64_t node = (uint64_t)(uintptr_t)pool - NODE_HEADER, head;
		memcpy(&head, (const char *)allocator + ALLOC_FREE + 8, 8);
		layout_known = layout_known && head == node;
	}
	alloc_destroy(allocator);
}
