/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * alloc.c - allocation tracking: the glibc malloc family and mmap replaced
 * by versions that describe every object in stf__root (root.h).
 *
 * Every heap block is a glibc block (__libc_malloc & co.) with a 32-byte
 * struct stf_block_hdr in front of the user pointer and an entry in the
 * slot table.  The fast path takes no lock: each thread keeps a cache of
 * free slot indices, a batch of dynamic IDs and the blocks it freed
 * recently (up to 64 KiB each), and refills from the global pools under a
 * lock.  Allocation sites come from the plugin's
 * thread-local marker, or else from the caller's return address, interned
 * as an "external" site (library + offset).
 *
 * Everything reachable from malloc uses raw system calls and glibc's own
 * allocator only: malloc may be called by the dynamic loader, before
 * constructors, and from inside libstf itself.
 *
 * This file owns the malloc family, the slot table, dynamic IDs, the
 * per-thread caches, early initialization and fork; sites.c the site
 * table and the executable's metadata units, mmap.c mmap'd and
 * registered regions, lookup.c stf_lookup.  heap.h is what they share.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "respawn.h"
#include "index.h"
#include "stf-format.h"
#include "stf.h"
#include "heap.h"
#include "subobjects.h"


_Static_assert(sizeof(struct stf_block_hdr) == 32, "stf_block_hdr must stay 32 bytes");
_Static_assert(sizeof(struct stf_slot) == 32, "stf_slot layout");

/* The executable's weak definition emitted by the plugin interposes this
 * one, so instrumented code and libstf share one cell per thread. */
EXPORT __thread uint32_t *stf__alloc_site __attribute__((tls_model("initial-exec")));

EXPORT struct stf_root stf__root = {
	.magic = STF_ROOT_MAGIC,
	.version = STF_ROOT_VERSION,
};

/* ------------------------------------------------------------------ */
/* Raw system calls.                                                    */

EXPORT void *stf__raw_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

EXPORT int stf__raw_munmap(void *addr, size_t len)
{
	return (int)syscall(SYS_munmap, addr, len);
}

static void *reserve(size_t bytes)
{
	void *p = stf__raw_mmap(NULL, bytes, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void die(const char *msg)
{
	static const char pfx[] = "libstf: ";
	ssize_t r = write(2, pfx, sizeof pfx - 1);
	r = write(2, msg, strlen(msg));
	r = write(2, "\n", 1);
	(void)r;
	abort();
}

void stf__warn(const char *msg)
{
	static const char pfx[] = "libstf: warning: ";
	ssize_t r = write(2, pfx, sizeof pfx - 1);
	r = write(2, msg, strlen(msg));
	r = write(2, "\n", 1);
	(void)r;
}

EXPORT void *stf__raw_malloc(size_t size) { return __libc_malloc(size); }
EXPORT void *stf__raw_realloc(void *p, size_t size) { return __libc_realloc(p, size); }
EXPORT void stf__raw_free(void *p) { __libc_free(p); }

/* ------------------------------------------------------------------ */
/* Global state.                                                         */

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t stf__slot_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t stf__site_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t stf__region_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t stf__lookup_lock = PTHREAD_MUTEX_INITIALIZER;

atomic_int stf__tables_ready;  /* slot/site tables exist */
static atomic_int units_ready;   /* plugin sites numbered */

uint64_t stf__slot_chunks[MAX_CHUNKS];
static uint32_t slot_free_head;  /* global free list, linked via slot.id */

struct stf_site_ref *stf__sites;
uint64_t *stf__site_hashes;    /* parallel to stf__sites: string hash */
uint32_t *stf__site_by_hash;   /* SITE_HASH_CAP entries, 0 = empty */
static struct pc_entry { uint64_t pc; uint64_t site; } *site_by_pc;
static uint32_t npcs;

static char exe_path[4096];
static const char *exe_base = "";

/* Units of the executable, for site descriptions and stf_lookup. */
const struct stf_unit **stf__exe_units;
size_t stf__exe_nunits;

/* Set by every change of the heap; stf_lookup rebuilds its index then. */
atomic_int stf__heap_changed = 1;

__thread struct tcache stf__tc __attribute__((tls_model("initial-exec")));
static pthread_key_t tc_key;
static bool tc_key_ok;

/* ------------------------------------------------------------------ */
/* Early initialization: tables, exe path, ID base.  Runs at the first
 * slow-path allocation (possibly inside the dynamic loader), so only raw
 * system calls.                                                        */

/* The value of `key` ("NAME=") in the initial environment, read from
 * /proc/self/environ (getenv may not work yet), streamed: the environment
 * has no size limit.  Copies up to cap - 1 bytes and a NUL into val;
 * returns the value's full length (>= cap: truncated), 0 if absent. */
size_t stf__initial_env(const char *key, char *val, size_t cap)
{
	int fd = (int)syscall(SYS_open, "/proc/self/environ", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t klen = strlen(key);
	char buf[4096];
	size_t pos = 0;     /* characters of the current entry seen */
	size_t nval = 0;
	bool found = false, done = false;
	ssize_t n;
	while (!done && (n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n && !done; i++) {
			char c = buf[i];
			if (c == 0) {
				done = found;
				pos = 0;
				continue;
			}
			if (pos < klen) {
				pos = c == key[pos] ? pos + 1 : SIZE_MAX / 2;
			} else if (pos == klen || found) {
				found = true;
				if (nval < cap - 1)
					val[nval] = c;
				nval++;
				pos = klen + 1;
			}
		}
	close(fd);
	val[nval < cap - 1 ? nval : cap - 1] = 0;
	return found ? nval : 0;
}

/* STF_ID_BASE: the first dynamic ID (F and R start above P's). */
static uint64_t env_id_base(void)
{
	char val[32];
	size_t nval = stf__initial_env("STF_ID_BASE=", val, sizeof val);
	if (!nval)
		return 0;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(val, &end, 0);
	if (errno || *end || nval >= sizeof val) {
		stf__warn("STF_ID_BASE is not a number; ignored");
		return 0;
	}
	return v;
}

void stf__init_tables(void)
{
	pthread_mutex_lock(&init_lock);
	if (atomic_load(&stf__tables_ready)) {
		pthread_mutex_unlock(&init_lock);
		return;
	}
	stf__sites = reserve(MAX_SITES * sizeof *stf__sites);
	stf__site_hashes = reserve(MAX_SITES * sizeof *stf__site_hashes);
	stf__site_by_hash = reserve(SITE_HASH_CAP * sizeof *stf__site_by_hash);
	site_by_pc = reserve(PC_HASH_CAP * sizeof *site_by_pc);
	if (!stf__sites || !stf__site_hashes || !stf__site_by_hash || !site_by_pc)
		die("cannot reserve the site tables (out of address space)");

	ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
	exe_path[n > 0 ? n : 0] = 0;
	const char *slash = strrchr(exe_path, '/');
	exe_base = slash ? slash + 1 : exe_path;

	stf__avoid_init();  /* before glibc's allocator takes memory */
	uint64_t base = env_id_base();
	stf__root.next_id = base ? base : 1;
	stf__root.exe_path = (uintptr_t)exe_path;
	stf__root.sites = (uintptr_t)stf__sites;
	stf__root.nsites = 1;  /* entry 0: unknown */
	stf__root.slot_chunks = (uintptr_t)stf__slot_chunks;
	stf__root.nchunks = 0;
	stf__root.slot_high = 1;  /* slot 0 is never used */
	atomic_store(&stf__tables_ready, 1);
	pthread_mutex_unlock(&init_lock);
}

/* ------------------------------------------------------------------ */
/* Dynamic IDs.                                                         */

uint64_t stf__refill_id(void)
{
	ensure_tables();
	uint64_t first = atomic_fetch_add((_Atomic uint64_t *)&stf__root.next_id, ID_BATCH);
	stf__tc.next_id = first + 1;
	stf__tc.end_id = first + ID_BATCH;
	return first;
}

EXPORT void stf__alloc_bump_id(uint64_t min_next)
{
	ensure_tables();
	_Atomic uint64_t *cnt = (_Atomic uint64_t *)&stf__root.next_id;
	uint64_t cur = atomic_load(cnt);
	while (cur < min_next && !atomic_compare_exchange_weak(cnt, &cur, min_next))
		;
	/* The calling thread's batch may lie below min_next. */
	if (stf__tc.next_id < min_next)
		stf__tc.next_id = stf__tc.end_id = 0;
}

/* ------------------------------------------------------------------ */
/* Slots.                                                                */

/* Under stf__slot_lock: one free slot index, 0 if the table is full. */
uint32_t stf__slot_take_locked(void)
{
	uint32_t i = slot_free_head;
	if (i) {
		slot_free_head = (uint32_t)slot_at(i)->id;
		return i;
	}
	uint64_t hi = stf__root.slot_high;
	uint32_t chunk = (uint32_t)(hi / STF_SLOTS_PER_CHUNK);
	if (chunk >= MAX_CHUNKS)
		return 0;
	if (!stf__slot_chunks[chunk]) {
		void *c = reserve(STF_SLOTS_PER_CHUNK * sizeof(struct stf_slot));
		if (!c)
			return 0;
		stf__slot_chunks[chunk] = (uintptr_t)c;
		stf__root.nchunks = chunk + 1;
	}
	stf__root.slot_high = hi + 1;
	return (uint32_t)hi;
}

void stf__slot_put_locked(uint32_t i)
{
	slot_at(i)->id = slot_free_head;
	slot_free_head = i;
}

/* Have tc_release run when this thread exits. */
static void __attribute__((noinline)) tc_register(void)
{
	if (tc_key_ok) {
		stf__tc.registered = true;
		pthread_setspecific(tc_key, &stf__tc);
	}
}

static uint32_t refill_slot(void)
{
	ensure_tables();
	if (!stf__tc.registered)
		tc_register();
	pthread_mutex_lock(&stf__slot_lock);
	while (stf__tc.nslots < SLOT_BATCH) {
		uint32_t i = stf__slot_take_locked();
		if (!i)
			break;
		stf__tc.slots[stf__tc.nslots++] = i;
	}
	pthread_mutex_unlock(&stf__slot_lock);
	return stf__tc.nslots ? stf__tc.slots[--stf__tc.nslots] : 0;
}

static inline uint32_t take_slot(void)
{
	if (__builtin_expect(stf__tc.nslots != 0, 1))
		return stf__tc.slots[--stf__tc.nslots];
	return refill_slot();
}

static void drain_slots(uint32_t keep)
{
	pthread_mutex_lock(&stf__slot_lock);
	while (stf__tc.nslots > keep)
		stf__slot_put_locked(stf__tc.slots[--stf__tc.nslots]);
	pthread_mutex_unlock(&stf__slot_lock);
}

static inline void give_slot(uint32_t i)
{
	if (__builtin_expect(stf__tc.nslots == TCACHE_SLOTS, 0))
		drain_slots(TCACHE_SLOTS / 2);
	stf__tc.slots[stf__tc.nslots++] = i;
}

/* Thread exit: cached blocks go back to glibc, cached slots to the
 * global pool. */
static void tc_release(void *arg)
{
	(void)arg;
	for (uint32_t c = 0; c < SMALL_CLASSES; c++)
		while (stf__tc.cached[c]) {
			struct stf_block_hdr *h = stf__tc.cached[c];
			stf__tc.cached[c] = (struct stf_block_hdr *)(uintptr_t)h->id;
			give_slot(h->slot);
			__libc_free(h);
		}
	memset(stf__tc.ncached, 0, sizeof stf__tc.ncached);
	stf__tc.cached_bytes = 0;
	drain_slots(0);
	stf__tc.registered = false;
}

/* The external site of a return address; cached per thread and globally. */
uint32_t __attribute__((noinline)) stf__external_site_slow(uintptr_t pc)
{
	if (!atomic_load_explicit(&units_ready, memory_order_acquire))
		return 0;  /* before our constructor: loader and libc startup */
	uint32_t site = 0;
	pthread_mutex_lock(&stf__site_lock);
	uint32_t i = (uint32_t)((pc >> 4) * 0x9E3779B1u) & (PC_HASH_CAP - 1);
	for (;; i = (i + 1) & (PC_HASH_CAP - 1)) {
		if (site_by_pc[i].pc == pc) {
			site = (uint32_t)site_by_pc[i].site;
			break;
		}
		if (!site_by_pc[i].pc)
			break;
	}
	if (!site) {
		struct dl_find_object fo;
		if (_dl_find_object((void *)pc, &fo) == 0 && fo.dlfo_link_map) {
			const struct link_map *lm = fo.dlfo_link_map;
			const char *name = lm->l_name && lm->l_name[0] ? lm->l_name : exe_base;
			const char *slash = strrchr(name, '/');
			site = stf__external_site_locked(slash ? slash + 1 : name, pc - lm->l_addr);
			if (site && npcs < PC_HASH_CAP / 2) {
				site_by_pc[i].pc = pc;
				site_by_pc[i].site = site;
				npcs++;
			}
		}
	}
	pthread_mutex_unlock(&stf__site_lock);
	if (site) {
		uint32_t c = (uint32_t)(pc >> 2) % PC_CACHE;
		stf__tc.pcs[c].pc = pc;
		stf__tc.pcs[c].site = site;
	}
	return site;
}

/* The site of the allocation being made: the plugin's marker if set
 * (consumed), else the caller's external site.  A cell still 0 belongs to
 * a unit libstf did not number (an instrumented shared library): the
 * caller's address is better than nothing. */
static inline uint32_t take_site(const void *ra)
{
	uint32_t *cell = stf__alloc_site;
	if (cell) {
		stf__alloc_site = NULL;
		if (__builtin_expect(*cell != 0, 1))
			return *cell;
	}
	return external_site((uintptr_t)ra);
}

/* Only the marker: realloc keeps the block's site without one. */
static inline uint32_t take_marker(uint32_t keep)
{
	uint32_t *cell = stf__alloc_site;
	if (cell) {
		stf__alloc_site = NULL;
		return *cell;
	}
	return keep;
}

/* ------------------------------------------------------------------ */
/* The malloc family.                                                     */

/* Cache class of a block of size <= SMALL_MAX (1 .. SMALL_CLASSES - 1). */
static inline uint32_t small_class(size_t size)
{
	if (__builtin_expect(size <= FINE_MAX, 1)) {
		uint32_t c = (uint32_t)((size + 15) >> 4);
		return c + !c;
	}
	return FINE_CLASSES + (uint32_t)((size - FINE_MAX + 511) >> 9);
}

static inline uint32_t class_bytes(uint32_t c)
{
	return c <= FINE_CLASSES ? c << 4 : FINE_MAX + ((c - FINE_CLASSES) << 9);
}

/* Usable bytes glibc is asked for, for a block of `size` bytes. */
static inline size_t capacity(size_t size)
{
	return size <= SMALL_MAX ? class_bytes(small_class(size)) : size;
}

/* Describe a block in its header and slot.  slot 0: take one. */
static inline __attribute__((always_inline)) void *track(char *chunk, size_t align_off, size_t size,
							 uint32_t site, uint64_t id, uint32_t slot,
							 uint32_t align_lg)
{
	struct stf_block_hdr *h = (struct stf_block_hdr *)(chunk + align_off);
	char *user = (char *)(h + 1);
	if (!slot)
		slot = take_slot();
	if (__builtin_expect(!slot, 0)) {
		__libc_free(chunk);
		errno = ENOMEM;
		return NULL;
	}
	h->id = id ? id : next_id();
	h->site = site;
	h->slot = slot;
	h->size = size;
	h->align_off = (uint32_t)align_off;
	h->magic = STF_BLOCK_MAGIC;
	struct stf_slot *s = slot_at(slot);
	s->addr = (uintptr_t)user;
	s->size = size;
	s->id = h->id;
	s->site = site;
	s->kind = STF_SLOT_HEAP | align_lg << STF_SLOT_ALIGN_SHIFT;
	mark_heap_changed();
	return user;
}

/* Can the 32 bytes before p be read?  Always for our blocks (the header
 * lies in the same glibc chunk).  For a foreign glibc pointer the chunk
 * header (p - 16 .. p - 1) is readable - glibc's free reads it - so only a
 * pointer 16 bytes into a page (a glibc mmap'd chunk) may have an
 * unmapped page before its would-be header: there, the magic word at
 * p - 4 (same page) tells ours from glibc's without reading further. */
static inline bool header_readable(uintptr_t p)
{
	uintptr_t in_page = p & (PAGE - 1);
	if (__builtin_expect(in_page >= HDR_SIZE || in_page < sizeof(uint32_t), 1))
		return true;
	uint32_t magic = *(const uint32_t *)(p - sizeof(uint32_t));
	return magic == STF_BLOCK_MAGIC || magic == STF_BLOCK_FREED;
}

/* The header of a block of ours; NULL for memory glibc handed out without
 * us (e.g. before libstf was loaded).  A second free aborts like glibc. */
static inline struct stf_block_hdr *own_block(void *p, const char *op)
{
	uintptr_t u = (uintptr_t)p;
	if (__builtin_expect(!header_readable(u), 0))
		return NULL;
	struct stf_block_hdr *h = (struct stf_block_hdr *)p - 1;
	if (__builtin_expect(h->magic == STF_BLOCK_MAGIC, 1)) {
		/* stf__slot_chunks is read-mostly; slot_high shares its cache line
		 * with the ID counter other threads write. */
		if (__builtin_expect(h->slot / STF_SLOTS_PER_CHUNK < MAX_CHUNKS &&
				     stf__slot_chunks[h->slot / STF_SLOTS_PER_CHUNK] &&
				     slot_at(h->slot)->addr == u, 1))
			return h;
		return NULL;
	}
	if (h->magic == STF_BLOCK_FREED) {
		char msg[96];
		snprintf(msg, sizeof msg, "%s(%p): block already freed (double free)", op, p);
		die(msg);
	}
	return NULL;
}

/* End of the granules a placed block occupies (stf__alloc_at). */
static inline uint64_t placed_end(uint64_t user, size_t size)
{
	return user + ((size ? size : 1) + 15) / 16 * 16;
}

/* Give the memory of a block (header included) back to where it came
 * from: glibc, or the adopted pages of a placed block. */
static void chunk_free(struct stf_block_hdr *h)
{
	if (__builtin_expect(h->align_off == ALIGN_OFF_PLACED, 0))
		stf__unplace((uintptr_t)h, placed_end((uintptr_t)(h + 1), h->size));
	else
		__libc_free((char *)h - h->align_off);
}

static inline __attribute__((always_inline)) void release(struct stf_block_hdr *h)
{
	/* the typed sub-objects inside the block die with it */
	if (__builtin_expect(atomic_load_explicit(&stf__nsubs, memory_order_relaxed) != 0, 0))
		stf__sub_forget((uintptr_t)(h + 1), h->size);
	h->magic = STF_BLOCK_FREED;
	struct stf_slot *s = slot_at(h->slot);
	s->addr = 0;
	s->kind = STF_SLOT_FREE;
	mark_heap_changed();
	if (h->align_off == 0 && h->size <= SMALL_MAX) {
		uint32_t c = small_class(h->size);
		if (stf__tc.ncached[c] < CACHE_PER_CLASS && stf__tc.cached_bytes + h->size <= CACHE_BYTES) {
			if (__builtin_expect(!stf__tc.registered, 0))
				tc_register();
			h->id = (uintptr_t)stf__tc.cached[c];
			stf__tc.cached[c] = h;
			stf__tc.ncached[c]++;
			stf__tc.cached_bytes += (uint32_t)h->size;
			return;
		}
	}
	give_slot(h->slot);
	chunk_free(h);
}

/* A cached block of the class of `size`, NULL if none. */
static inline struct stf_block_hdr *take_cached(size_t size)
{
	uint32_t c = small_class(size);
	struct stf_block_hdr *h = stf__tc.cached[c];
	if (h) {
		stf__tc.cached[c] = (struct stf_block_hdr *)(uintptr_t)h->id;
		stf__tc.ncached[c]--;
		stf__tc.cached_bytes -= (uint32_t)h->size;  /* as added by release() */
	}
	return h;
}

static inline __attribute__((always_inline)) void *alloc_plain(size_t size, uint32_t site, uint64_t id)
{
	if (__builtin_expect(size <= SMALL_MAX, 1)) {
		struct stf_block_hdr *h = take_cached(size);
		if (h)
			return track((char *)h, 0, size, site, id, h->slot, 0);
	} else if (__builtin_expect(size > PTRDIFF_MAX - HDR_SIZE, 0)) {
		errno = ENOMEM;
		return NULL;
	}
	ensure_tables();  /* the avoided ranges reserved before glibc maps memory */
	char *chunk = __libc_malloc(capacity(size) + HDR_SIZE);
	if (__builtin_expect(!chunk, 0))
		return NULL;
	return track(chunk, 0, size, site, id, 0, 0);
}

/* align: a power of two > 16 (glibc's malloc already gives 16). */
static void *alloc_aligned(size_t align, size_t size, uint32_t site, uint64_t id)
{
	size_t lead = align < HDR_SIZE ? HDR_SIZE : align;
	if (size > PTRDIFF_MAX - lead) {
		errno = ENOMEM;
		return NULL;
	}
	/* capacity(): with align 32 the block is a plain one (align_off 0)
	 * and may be cached like one. */
	ensure_tables();
	char *chunk = __libc_memalign(align, capacity(size) + lead);
	if (!chunk)
		return NULL;
	return track(chunk, lead - HDR_SIZE, size, site, id, 0,
		     (uint32_t)__builtin_ctzl(align));
}

/* libstf's own code (the metadata reader, the engine) allocating: its
 * buffers are no part of the program's state, so they stay untracked
 * (and free() recognises them as glibc's). */
static uintptr_t self_start, self_size;

static inline bool from_self(const void *ra)
{
	return (uintptr_t)ra - self_start < self_size;
}

static void find_self(void)
{
	struct dl_find_object fo;
	if (_dl_find_object((void *)(uintptr_t)find_self, &fo) == 0) {
		self_start = (uintptr_t)fo.dlfo_map_start;
		self_size = (uintptr_t)fo.dlfo_map_end - self_start;
	}
}

EXPORT void *malloc(size_t size)
{
	const void *ra = __builtin_return_address(0);
	if (__builtin_expect(from_self(ra), 0))
		return __libc_malloc(size);
	return alloc_plain(size, take_site(ra), 0);
}

EXPORT void free(void *p)
{
	if (!p || __builtin_expect(p == stf__respawn_arg, 0))
		return;
	struct stf_block_hdr *h = own_block(p, "free");
	if (__builtin_expect(h != NULL, 1))
		release(h);
	else
		__libc_free(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
	const void *ra = __builtin_return_address(0);
	if (__builtin_expect(from_self(ra), 0))
		return __libc_calloc(n, size);
	uint32_t site = take_site(ra);
	size_t total;
	if (__builtin_mul_overflow(n, size, &total) || total > PTRDIFF_MAX - HDR_SIZE) {
		errno = ENOMEM;
		return NULL;
	}
	if (total <= SMALL_MAX) {
		struct stf_block_hdr *h = take_cached(total);
		if (h) {
			memset(h + 1, 0, total);
			return track((char *)h, 0, total, site, 0, h->slot, 0);
		}
	}
	ensure_tables();
	char *chunk = __libc_calloc(1, capacity(total) + HDR_SIZE);
	if (!chunk)
		return NULL;
	return track(chunk, 0, total, site, 0, 0, 0);
}

static void *realloc_at(void *p, size_t size, const void *ra)
{
	if (!p)
		return from_self(ra) ? __libc_malloc(size) : alloc_plain(size, take_site(ra), 0);
	if (size == 0) {
		stf__alloc_site = NULL;
		free(p);
		return NULL;
	}
	struct stf_block_hdr *h = own_block(p, "realloc");
	if (!h && from_self(ra))
		return __libc_realloc(p, size);
	if (!h) {
		/* Not ours: move it into a tracked block (its size is unknown
		 * to us, glibc's realloc tells how much to keep). */
		void *moved = __libc_realloc(p, size);
		if (!moved)
			return NULL;
		void *np = alloc_plain(size, take_site(ra), 0);
		if (!np)
			return moved;  /* still valid, untracked */
		memcpy(np, moved, size);
		__libc_free(moved);
		return np;
	}
	if (size > PTRDIFF_MAX - HDR_SIZE) {
		errno = ENOMEM;
		return NULL;
	}
	if (__builtin_expect(atomic_load_explicit(&stf__nsubs, memory_order_relaxed) != 0, 0))
		stf__sub_forget((uintptr_t)p, h->size); /* they do not move with it */
	uint32_t site = take_marker(h->site);
	uint64_t id = h->id;
	uint32_t slot = h->slot;
	char *nchunk;
	struct stf_block_hdr *nh;
	if (h->align_off == 0) {
		nchunk = __libc_realloc(h, capacity(size) + HDR_SIZE);
		if (!nchunk)
			return NULL;
		nh = (struct stf_block_hdr *)nchunk;
	} else {
		/* Aligned and placed blocks: glibc's realloc would lose the
		 * alignment offset or does not own them; move the bytes into a
		 * plain block. */
		nchunk = __libc_malloc(capacity(size) + HDR_SIZE);
		if (!nchunk)
			return NULL;
		nh = (struct stf_block_hdr *)nchunk;
		memcpy(nh + 1, p, h->size < size ? h->size : size);
		chunk_free(h);
		nh->id = id;
		nh->slot = slot;
		nh->align_off = 0;
		nh->magic = STF_BLOCK_MAGIC;
	}
	nh->site = site;
	nh->size = size;
	struct stf_slot *s = slot_at(slot);
	s->addr = (uintptr_t)(nh + 1);
	s->size = size;
	s->site = site;
	s->kind = STF_SLOT_HEAP; /* realloc keeps malloc's alignment only */
	mark_heap_changed();
	return nh + 1;
}

EXPORT void *realloc(void *p, size_t size)
{
	return realloc_at(p, size, __builtin_return_address(0));
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		stf__alloc_site = NULL;
		errno = ENOMEM;
		return NULL;
	}
	return realloc_at(p, total, __builtin_return_address(0));
}

static void *memalign_at(size_t align, size_t size, const void *ra)
{
	if (from_self(ra))
		return __libc_memalign(align, size);
	uint32_t site = take_site(ra);
	if (align <= 16)
		return alloc_plain(size, site, 0);
	if (align & (align - 1)) {  /* glibc rounds up to a power of two */
		if (align > SIZE_MAX / 2 + 1) {
			errno = EINVAL;
			return NULL;
		}
		size_t a = 32;
		while (a < align)
			a <<= 1;
		align = a;
	}
	return alloc_aligned(align, size, site, 0);
}

EXPORT void *memalign(size_t align, size_t size)
{
	return memalign_at(align, size, __builtin_return_address(0));
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	return memalign_at(align, size, __builtin_return_address(0));
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1))) {
		stf__alloc_site = NULL;
		return EINVAL;
	}
	int saved = errno;
	void *p = memalign_at(align, size, __builtin_return_address(0));
	if (!p) {
		int e = errno;
		errno = saved;
		return e ? e : ENOMEM;
	}
	*out = p;
	return 0;
}

EXPORT void *valloc(size_t size)
{
	return memalign_at(PAGE, size, __builtin_return_address(0));
}

EXPORT void *pvalloc(size_t size)
{
	size_t rounded;
	if (__builtin_add_overflow(size, PAGE - 1, &rounded)) {
		stf__alloc_site = NULL;
		errno = ENOMEM;
		return NULL;
	}
	rounded &= ~(PAGE - 1);
	return memalign_at(PAGE, rounded ? rounded : PAGE, __builtin_return_address(0));
}

EXPORT size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	struct stf_block_hdr *h = own_block(p, "malloc_usable_size");
	return h ? h->size : 0;
}

int stf__heap_type_block(void *p, uint64_t size, uint32_t site)
{
	/* p is what an STF_ALLOCATOR function returned, maybe a pointer into
	 * a block of its own: the bytes before it are then the allocator's
	 * (a size header, leftovers of a freed block's header), not a double
	 * free to die of */
	if (!header_readable((uintptr_t)p) ||
	    ((struct stf_block_hdr *)p - 1)->magic != STF_BLOCK_MAGIC)
		return 0;
	struct stf_block_hdr *h = own_block(p, "stf__heap_type_block");
	if (!h || (size && size != h->size))
		return 0;
	h->site = site;
	slot_at(h->slot)->site = site;
	mark_heap_changed();
	return 1;
}

EXPORT void *stf__alloc_with(size_t size, uint32_t site, uint64_t id)
{
	return stf__alloc_aligned_with(size, 0, site, id);
}

EXPORT void *stf__alloc_aligned_with(size_t size, size_t align, uint32_t site, uint64_t id)
{
	if (id) {
		/* Keep the IDs this process hands out from now on above it. */
		uint64_t cur = atomic_load((_Atomic uint64_t *)&stf__root.next_id);
		if (id >= cur)
			stf__alloc_bump_id(id + 1);
	}
	if (align > 16 && !(align & (align - 1)))
		return alloc_aligned(align, size, site, id);
	return alloc_plain(size, site, id);
}

EXPORT void *stf__alloc_at(uint64_t addr, size_t size, uint32_t site, uint64_t id)
{
	if ((addr & 15) || addr < PAGE + HDR_SIZE || size > PTRDIFF_MAX - PAGE ||
	    addr > PLACE_LIMIT || size > PLACE_LIMIT - addr) {
		errno = EINVAL;
		return NULL;
	}
	ensure_tables();
	uint32_t slot = take_slot();
	if (!slot) {
		errno = ENOMEM;
		return NULL;
	}
	int err = stf__place(addr - HDR_SIZE, placed_end(addr, size));
	if (err) {
		give_slot(slot);
		errno = err;
		return NULL;
	}
	if (id && id >= atomic_load((_Atomic uint64_t *)&stf__root.next_id))
		stf__alloc_bump_id(id + 1);
	void *user = track((char *)(uintptr_t)addr - HDR_SIZE, 0, size, site, id, slot, 0);
	((struct stf_block_hdr *)user - 1)->align_off = ALIGN_OFF_PLACED;
	return user;
}

/* ------------------------------------------------------------------ */
/* Startup and fork.                                                      */

static void fork_prepare(void)
{
	pthread_mutex_lock(&stf__lookup_lock);
	pthread_mutex_lock(&stf__region_lock);
	pthread_mutex_lock(&stf__site_lock);
	pthread_mutex_lock(&stf__slot_lock);
	pthread_mutex_lock(&stf__placed_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&stf__placed_lock);
	pthread_mutex_unlock(&stf__slot_lock);
	pthread_mutex_unlock(&stf__site_lock);
	pthread_mutex_unlock(&stf__region_lock);
	pthread_mutex_unlock(&stf__lookup_lock);
}

EXPORT void stf__alloc_init(void)
{
	ensure_tables();
	pthread_mutex_lock(&init_lock);
	if (!atomic_load(&units_ready)) {
		tc_key_ok = pthread_key_create(&tc_key, tc_release) == 0;
		pthread_atfork(fork_prepare, fork_parent, fork_parent);
		find_self();
		stf__number_plugin_sites();
		atomic_store_explicit(&units_ready, 1, memory_order_release);
	}
	pthread_mutex_unlock(&init_lock);
}

/* Before the program's own constructors (libstf is their dependency) and
 * before the other constructors of libstf. */
__attribute__((constructor(101))) static void alloc_constructor(void)
{
	stf__alloc_init();
}
