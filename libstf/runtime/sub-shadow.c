/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sub-shadow.c - sub-objects noted in a shadow map of the heap region
 * (sub-shadow.h).
 *
 * A pool's pool_alloc + pool_free pair noted in the thread's log
 * (sub-pending.c) cost ~300 instructions against ~50 for the plain pool
 * (9-25 times its time, pool-bench).  Here an object an STF_ALLOCATOR
 * call of a known size hands out from the heap region is noted with two
 * byte stores: the code of its (site, size) in the byte of its 8-byte
 * granule (the map, a byte per 8 bytes of the region, reserved untouched:
 * pages exist only where objects were noted), and a flag of its 64 KiB
 * unit (a block's free clears the granules of flagged units only).  The
 * partner free clears the byte.  Quiescence folds the map into the
 * registry (stf__shadow_fold), so the transfer reads the same objects,
 * sites and sizes as an immediate registration would have shown; an
 * object's ID is drawn there.  254 (site, size) pairs get codes, the
 * first ones seen; others, objects outside the region or not 8-byte
 * aligned, and objects at an address the log or the registry holds (its
 * byte SHADOW_SLOW) take the slow path (stf__sub_object), which marks the
 * address SHADOW_SLOW so that a later note there cannot hide the older
 * record: one record at most of each address, as before.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/single_threaded.h>
#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#endif

#include "alloc.h"
#include "heap.h"
#include "stf-format.h"
#include "sub-shadow.h"
#include "subobjects.h"

EXPORT struct stf_shadow stf__shadow;
/* the offsets the plugin's inline code reads (gcc-plugin/inline-notes.cc) */
_Static_assert(offsetof(struct stf_shadow, lo) == 0 && offsetof(struct stf_shadow, bytes) == 8 &&
	       offsetof(struct stf_shadow, map) == 16 && offsetof(struct stf_shadow, units) == 24 &&
	       offsetof(struct stf_shadow, codes) == 32 &&
	       offsetof(struct stf_shadow, granules) == 40,
	       "struct stf_shadow: the layout gcc-plugin/inline-notes.cc reads");
static pthread_mutex_t codes_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t ncodes;

/* Where the objects of a code of SHADOW_HEADER_SIZE keep their size: a
 * field of size_width bytes at size_at (negative) from the object holding
 * the size plus size_add (struct stf_site_rec's fields). */
struct size_header {
	int32_t at;
	uint32_t width;
	int64_t add;
	uint32_t prefix;
};
static struct size_header headers[256];

/* Under valgrind the map covers the region's first 256 MiB only:
 * memcheck gives a read-write mapping shadow memory as large as itself
 * (the 8 GiB map of a 64 GiB region made a process and its fork take 4 GB
 * each, and the new version of t/update/update-memcheck-evloop took
 * minutes to start).  Objects past it take the slow way. */
#define VALGRIND_MAPPED_HEAP (256ull << 20)

static uintptr_t mapped_heap(uintptr_t bytes)
{
#ifdef HAVE_VALGRIND_MEMCHECK_H
	if (RUNNING_ON_VALGRIND && bytes > VALGRIND_MAPPED_HEAP)
		return VALGRIND_MAPPED_HEAP;
#endif
	return bytes;
}

/* Reserve the map over the heap region (under codes_lock): false when
 * there is no region or no address space. */
static bool map_reserve_locked(void)
{
	if (stf__shadow.units)
		return true;
	uintptr_t lo = (uintptr_t)stf__root.heap_base, region = stf__root.heap_meta - lo;
	uintptr_t bytes = mapped_heap(region);
	if (!lo || !bytes)
		return false;
	uint8_t *map = stf__reserve(bytes >> SHADOW_SHIFT);
	uint8_t *codes = stf__reserve(MAX_SITES);
	/* over the whole region: free's fast path reads a unit's flag
	 * wherever the block is */
	uint8_t *units = stf__reserve(region >> STF_SPAN_SHIFT);
	if (!map || !codes || !units)
		return false; /* (left reserved: address space only) */
	/* bytes and units last: a reader that sees either sees the rest */
	stf__shadow.lo = lo;
	stf__shadow.map = map;
	stf__shadow.codes = codes;
	__atomic_store_n(&stf__shadow.bytes, bytes, __ATOMIC_RELEASE);
	__atomic_store_n(&stf__shadow.granules, bytes >> SHADOW_SHIFT, __ATOMIC_RELEASE);
	__atomic_store_n(&stf__shadow.units, units, __ATOMIC_RELEASE);
	return true;
}

/* The code of site, given to it now if it has none: of objects of size
 * bytes (one size a site: objects of one site and two sizes are rare),
 * or with h, of objects sized by their header h; SHADOW_SLOW once every
 * code is taken (or for no h and a size under a granule), 0 without a
 * map. */
static uint8_t code_of(uint32_t site, size_t size, const struct size_header *h)
{
	pthread_mutex_lock(&codes_lock);
	uint8_t c = 0;
	if (map_reserve_locked()) {
		c = stf__shadow.codes[site];
		if (!c) {
			c = SHADOW_SLOW;
			if (ncodes < SHADOW_CODES &&
			    (h || (size >= (1u << SHADOW_SHIFT) && size <= UINT32_MAX))) {
				c = (uint8_t)++ncodes;
				if (h)
					headers[c] = *h;
				stf__shadow.sizes[c] = h ? SHADOW_HEADER_SIZE : (uint32_t)size;
				stf__shadow.sites[c] = site;
				/* how far back clear_overlapping looks for notes */
				uint32_t reach = h ? SHADOW_HEADER_MAX : (uint32_t)size;
				if (reach > stf__shadow.max_size)
					__atomic_store_n(&stf__shadow.max_size, reach,
							 __ATOMIC_RELAXED);
			}
			__atomic_store_n(&stf__shadow.codes[site], c, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&codes_lock);
	return c;
}

/* The size the header h in front of the object at addr says. */
static uint64_t header_size(uint64_t addr, const struct size_header *h)
{
	const char *field = (const char *)(uintptr_t)addr + h->at;
	if (h->width == 4) {
		uint32_t v;
		memcpy(&v, field, sizeof v);
		return (uint32_t)(v - (uint32_t)h->add);
	}
	uint64_t v;
	memcpy(&v, field, sizeof v);
	return v - (uint64_t)h->add;
}

/* The size header of the heap block holding the object at addr, as the
 * plugin found it in the body of the wrapper that allocated the block
 * (STF_SF_SIZE_HEADER on the block's site): true and *h when the object
 * lies right past it. */
static bool block_header(uint64_t addr, struct size_header *h)
{
	struct stf_block_info b;
	if (!stf__heap_block((const void *)(uintptr_t)addr, &b) || b.start >= addr || !b.site ||
	    !atomic_load(&stf__tables_ready) ||
	    b.site >= __atomic_load_n(&stf__root.nsites, __ATOMIC_ACQUIRE))
		return false;
	const struct stf_site_ref *r = &stf__sites[b.site];
	const char *strtab;
	uint32_t strsize;
	const struct stf_site_rec *rec = r->kind == STF_SITE_PLUGIN ?
		stf__plugin_site(r, &strtab, &strsize, NULL) : NULL;
	if (!rec || !(rec->flags & STF_SF_SIZE_HEADER) || rec->prefix != addr - b.start ||
	    (rec->size_width != 4 && rec->size_width != 8))
		return false;
	*h = (struct size_header){ rec->size_at, rec->size_width, rec->size_add, rec->prefix };
	return true;
}

/* The code of site for objects sized by their header, given to it now
 * if it has none and the object of size bytes at ptr lies past a header
 * saying that size (a size-prefixing wrapper's); SHADOW_SLOW if it does
 * not or every code is taken, 0 without a map. */
static uint8_t header_code_of(uint32_t site, uint64_t ptr, size_t size)
{
	struct size_header h;
	bool sized = block_header(ptr, &h) && header_size(ptr, &h) == size;
	return code_of(site, 0, sized ? &h : NULL);
}

/* The size of the object noted with code c at addr; 0 for one sized by
 * a header that its block no longer has where the site's first object
 * had it (a pool carving a wrapper's block: not sized by a header). */
static uint64_t noted_size(uint64_t addr, uint8_t c)
{
	if (stf__shadow.sizes[c] != SHADOW_HEADER_SIZE)
		return stf__shadow.sizes[c];
	struct size_header h;
	if (!block_header(addr, &h) || h.prefix != headers[c].prefix)
		return 0;
	return header_size(addr, &h);
}

static inline void set_granule(uint64_t addr, uint8_t *g, uint8_t v)
{
	/* stored once: the flags of several threads' units share a cache
	 * line (the inline note reads it, and calls here while it is 0) */
	uint8_t *unit = &stf__shadow.units[(addr - stf__shadow.lo) >> STF_SPAN_SHIFT];
	if (!*unit)
		*unit = 1;
	*g = v;
}

/* The granules after g that an object of size bytes at g's covers:
 * cleared.  A note left there was of an older object (given back without
 * the partner free), which the new one replaces; so, of two overlapping
 * notes, the one at the higher address is the newer, and the fold, going
 * up the addresses, draws it the higher ID (the transfer keeps the newer
 * of two overlapping sub-objects: transfer/subattach.c). */
static inline void clear_rest(uint8_t *g, uint64_t size)
{
	uint64_t n = (size + (1u << SHADOW_SHIFT) - 1) >> SHADOW_SHIFT;
	if (n > 1)
		memset(g + 1, 0, n - 1);
}

/* The code c of objects of size bytes (SHADOW_HEADER_SIZE: sized by
 * their header), kept in the calling code's cache byte (NULL: none) when
 * it is for that size: the inline note reads it instead of the site's
 * code and size (a cache byte belongs to one call of one size; a site's
 * code never changes in a process, and exists only with the map). */
static inline void cache_code(uint8_t *cache, uint8_t c, uint32_t size)
{
	if (cache && c && c != SHADOW_SLOW && stf__shadow.sizes[c] == size)
		__atomic_store_n(cache, c, __ATOMIC_RELAXED);
}

/* Called instead of stf__sub_object by the code the plugin emits after
 * a call to an STF_ALLOCATOR function when the size it hands out is a
 * constant of 8 bytes or more (inline first while *cache holds its code:
 * gcc-plugin/inline-notes.cc). */
EXPORT void stf__sub_note(void *ptr, size_t size, const uint32_t *cell, uint8_t *cache)
{
	uint32_t site = cell ? *cell : 0;
	if (__builtin_expect(!site || site >= MAX_SITES, 0))
		goto slow;
	const uint8_t *codes = __atomic_load_n(&stf__shadow.units, __ATOMIC_ACQUIRE)
		? stf__shadow.codes : NULL;
	uint8_t c = codes ? codes[site] : 0;
	if (__builtin_expect(!c, 0))
		c = code_of(site, size, NULL);
	if (size <= UINT32_MAX)
		cache_code(cache, c, (uint32_t)size);
	uint8_t *g = c && stf__shadow.sizes[c] == size ? stf__shadow_granule((uintptr_t)ptr) : NULL;
	if (__builtin_expect(g && *g != SHADOW_SLOW, 1)) {
		set_granule((uintptr_t)ptr, g, c);
		clear_rest(g, size);
		return;
	}
slow:
	stf__sub_object(ptr, size, cell);
}

/* Called instead of stf__sub_object by the code the plugin emits after
 * a call to an STF_ALLOCATOR function when the size it hands out varies:
 * noted with the site's code when the site's objects lie past a size
 * header (a size-prefixing wrapper's), the size read back from it at the
 * fold.  No clearing of the granules it covers (the size is not known
 * there): a wrapper's block is fresh, its granules cleared when the block
 * last at its place was freed. */
EXPORT void stf__sub_note_sized(void *ptr, size_t size, const uint32_t *cell, uint8_t *cache)
{
	uint32_t site = cell ? *cell : 0;
	if (__builtin_expect(!site || site >= MAX_SITES || size - 1 >= SHADOW_HEADER_MAX, 0))
		goto slow;
	const uint8_t *codes = __atomic_load_n(&stf__shadow.units, __ATOMIC_ACQUIRE)
		? stf__shadow.codes : NULL;
	uint8_t c = codes ? codes[site] : 0;
	if (__builtin_expect(!c, 0))
		c = header_code_of(site, (uintptr_t)ptr, size);
	cache_code(cache, c, SHADOW_HEADER_SIZE);
	uint8_t *g = c && stf__shadow.sizes[c] == SHADOW_HEADER_SIZE ?
		stf__shadow_granule((uintptr_t)ptr) : NULL;
	if (__builtin_expect(g && *g != SHADOW_SLOW, 1)) {
		set_granule((uintptr_t)ptr, g, c);
		return;
	}
slow:
	stf__sub_object(ptr, size, cell);
}

bool stf__shadow_noted(uint64_t addr)
{
	const uint8_t *g = stf__shadow_granule(addr);
	return g && *g && *g != SHADOW_SLOW;
}

/* The note of code c in granule g, about to be cleared for an object
 * noted or registered over it: if it is of a whole heap block (a pool's
 * own block, its header at its start, out of which the pool then carves
 * the object), that block is typed by its site now, as the fold would
 * have typed it, and as stf__sub_object types it at once: an object
 * inside a block is a sub-object of it, never its replacement.  (A code
 * in a granule means no record at its address: stf__shadow_slow marks
 * those, so there is nothing there to forget.) */
static void keep_block_type(uint8_t *g, uint8_t c)
{
	uint64_t addr = stf__shadow.lo + ((uint64_t)(g - stf__shadow.map) << SHADOW_SHIFT);
	struct stf_block_info b;
	if (stf__heap_block((void *)(uintptr_t)addr, &b) && b.start == addr &&
	    b.size == stf__shadow.sizes[c])
		stf__heap_type_block((void *)(uintptr_t)addr, b.size, stf__shadow.sites[c], &b);
}

/* The notes in granules [from, to) of objects reaching past byte `past`
 * of the region (0: every one): cleared.  A word at a time: most are 0. */
static void clear_codes(uint64_t from, uint64_t to, uint64_t past)
{
	uint8_t *map = stf__shadow.map;
	for (uint64_t h = from; h < to;) {
		uint64_t word;
		if (h + 8 <= to && (memcpy(&word, &map[h], 8), !word)) {
			h += 8;
			continue;
		}
		uint8_t c = map[h];
		if (c && c != SHADOW_SLOW &&
		    (h << SHADOW_SHIFT) + noted_size(stf__shadow.lo + (h << SHADOW_SHIFT), c) > past) {
			keep_block_type(&map[h], c);
			map[h] = 0;
		}
		h++;
	}
}

/* The notes of objects overlapping [addr, addr + size) but for one at
 * addr itself: cleared. */
static void clear_overlapping(uint64_t addr, uint64_t size)
{
	uint64_t off = addr - stf__shadow.lo;
	if (off >= stf__shadow.bytes)
		return;
	uint64_t end = off + size < stf__shadow.bytes ? off + size : stf__shadow.bytes;
	uint64_t at = off >> SHADOW_SHIFT, aligned = !(off & ((1u << SHADOW_SHIFT) - 1));
	/* starting inside it */
	clear_codes(at + 1, (end + (1u << SHADOW_SHIFT) - 1) >> SHADOW_SHIFT, 0);
	/* starting before it, reaching into it */
	uint64_t reach = __atomic_load_n(&stf__shadow.max_size, __ATOMIC_RELAXED);
	uint64_t first = off > reach ? (off - reach) >> SHADOW_SHIFT : 0;
	clear_codes(first, aligned ? at : at + 1, off);
}

void stf__shadow_slow(uint64_t addr, uint64_t size)
{
	if (!__atomic_load_n(&stf__shadow.units, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&codes_lock);
		bool mapped = map_reserve_locked();
		pthread_mutex_unlock(&codes_lock);
		if (!mapped)
			return;
	}
	clear_overlapping(addr, size);
	uint8_t *g = stf__shadow_granule(addr);
	if (!g)
		return;
	if (*g && *g != SHADOW_SLOW)
		keep_block_type(g, *g); /* a sub-object at its block's start */
	set_granule(addr, g, SHADOW_SLOW);
}

void stf__shadow_unslow(uint64_t addr)
{
	uint8_t *g = stf__shadow_granule(addr);
	if (g && *g == SHADOW_SLOW)
		*g = 0;
}

void stf__shadow_clear(uintptr_t p, uint64_t size)
{
	uint64_t off = p - stf__shadow.lo;
	if (off >= stf__shadow.bytes || !size)
		return;
	uint64_t end = off + size > stf__shadow.bytes ? stf__shadow.bytes : off + size;
	/* the units it meets: most blocks meet one */
	for (uint64_t u = off >> STF_SPAN_SHIFT; u <= (end - 1) >> STF_SPAN_SHIFT; u++) {
		if (!stf__shadow.units[u])
			continue;
		uint64_t from = u << STF_SPAN_SHIFT > off ? u << STF_SPAN_SHIFT : off;
		uint64_t to = (u + 1) << STF_SPAN_SHIFT < end ? (u + 1) << STF_SPAN_SHIFT : end;
		uint64_t g0 = (from + (1u << SHADOW_SHIFT) - 1) >> SHADOW_SHIFT;
		uint64_t g1 = (to + (1u << SHADOW_SHIFT) - 1) >> SHADOW_SHIFT;
		if (g1 > g0)
			memset(&stf__shadow.map[g0], 0, g1 - g0);
	}
}

void stf__shadow_clear_granules(uint64_t heap_off, uint64_t size)
{
	uint64_t n = size >> SHADOW_SHIFT;
	const uint64_t zero = 0;
	/* a block straddling the map's end, or of less than 8 granules */
	if (heap_off + size > stf__shadow.bytes || n < sizeof zero) {
		stf__shadow_clear(stf__shadow.lo + heap_off, size);
		return;
	}
	uint8_t *g = &stf__shadow.map[heap_off >> SHADOW_SHIFT];
	/* the last word written ends at the block's last granule */
	for (uint64_t i = 0; i + sizeof zero < n; i += sizeof zero)
		memcpy(g + i, &zero, sizeof zero);
	memcpy(g + n - sizeof zero, &zero, sizeof zero);
}

/* The object noted with code c at addr: registered (a sub-object), or
 * its block typed (a wrapper's whole block), as stf__sub_object does. */
static void fold_one(uint64_t addr, uint8_t *g, uint8_t c)
{
	uint32_t site = stf__shadow.sites[c];
	uint64_t size = noted_size(addr, c);
	struct stf_block_info b;
	*g = 0;
	if (!size) {
		stf__warn("an object an STF_ALLOCATOR function handed out is no longer past "
			  "the size header its site's first object was: it will be "
			  "transferred as untyped memory");
		return;
	}
	if (stf__heap_type_block((void *)(uintptr_t)addr, size, site, &b)) {
		stf__sub_forget(addr, 1); /* the block is the object */
		return;
	}
	/* replaces a registration at addr (given back without the partner
	 * free) */
	if (stf__sub_register_noted(addr, size, site, 0))
		set_granule(addr, g, SHADOW_SLOW);
}

void stf__shadow_fold(bool others_stopped)
{
	uint8_t *units = __atomic_load_n(&stf__shadow.units, __ATOMIC_ACQUIRE);
	/* one thread: the C library's flag, not /proc/self/status (three
	 * system calls at every stf_lookup, which the transfer calls for
	 * the words of untyped blocks: the new version's start took minutes
	 * under valgrind, t/update/update-memcheck-evloop); it stays false
	 * once a thread was created, so a process whose threads ended folds
	 * at quiescence only */
	if (!units || (!others_stopped && !__libc_single_threaded))
		return;
	uint64_t nunits = stf__shadow.bytes >> STF_SPAN_SHIFT;
	const uint64_t per_unit = STF_SPAN_UNIT >> SHADOW_SHIFT;
	for (uint64_t u = 0; u < nunits && u < stf__root.heap_units; u++) {
		if (!units[u])
			continue;
		uint8_t *map = &stf__shadow.map[u * per_unit];
		for (uint64_t w = 0; w < per_unit; w += 8) {
			uint64_t word;
			memcpy(&word, &map[w], 8);
			if (!word)
				continue;
			for (unsigned k = 0; k < 8; k++) {
				uint8_t c = map[w + k];
				if (c && c != SHADOW_SLOW)
					fold_one(stf__shadow.lo + ((u * per_unit + w + k) << SHADOW_SHIFT),
						 &map[w + k], c);
			}
		}
	}
}
