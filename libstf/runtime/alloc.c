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

/* glibc's own allocator, below the replaced public names; called through
 * the GOT directly (no PLT stub on the hot path). */
extern void *__libc_malloc(size_t) __attribute__((noplt));
extern void __libc_free(void *) __attribute__((noplt));
extern void *__libc_calloc(size_t, size_t) __attribute__((noplt));
extern void *__libc_realloc(void *, size_t) __attribute__((noplt));
extern void *__libc_memalign(size_t, size_t) __attribute__((noplt));

#define EXPORT __attribute__((visibility("default")))
#define HDR_SIZE sizeof(struct stf_block_hdr)
#define PAGE 4096UL

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
/* Limits.  Tables are reserved as untouched anonymous memory up front so
 * their addresses never change (other threads and other processes read
 * them without locks); pages cost nothing until used.                 */

#define MAX_CHUNKS     4096u           /* x 65536 slots */
#define MAX_SITES      (1u << 18)
#define SITE_HASH_CAP  (1u << 19)      /* string hash -> site, open addressing */
#define PC_HASH_CAP    (1u << 16)      /* return address -> external site */
#define TCACHE_SLOTS   128u
#define SLOT_BATCH     32u
#define ID_BATCH       1024u  /* one shared atomic add per 1024 IDs */
#define PC_CACHE       64u

/* Blocks up to 64 KiB freed by the program stay in a per-thread cache
 * together with their slot and are handed out again without a trip
 * through glibc (whose own fast path costs about as much as libstf's
 * bookkeeping).  Classes of 16 bytes up to 4 KiB, then of 512 bytes;
 * every plain block is asked of glibc with its class capacity, so a
 * cached block fits any size of its class.  glibc would keep freed
 * blocks of these sizes in its bins too. */
#define FINE_MAX        4096u
#define FINE_CLASSES    (FINE_MAX / 16)
#define SMALL_MAX       65536u
#define SMALL_CLASSES   (FINE_CLASSES + (SMALL_MAX - FINE_MAX) / 512 + 1)
#define CACHE_PER_CLASS 8u
#define CACHE_BYTES     (256u * 1024)

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

static void warn(const char *msg)
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
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t site_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lookup_lock = PTHREAD_MUTEX_INITIALIZER;

static atomic_int tables_ready;  /* slot/site tables exist */
static atomic_int units_ready;   /* plugin sites numbered */

static uint64_t slot_chunks[MAX_CHUNKS];
static uint32_t slot_free_head;  /* global free list, linked via slot.id */

static struct stf_site_ref *sites;
static uint64_t *site_hashes;    /* parallel to sites: string hash */
static uint32_t *site_by_hash;   /* SITE_HASH_CAP entries, 0 = empty */
static struct pc_entry { uint64_t pc; uint64_t site; } *site_by_pc;
static uint32_t npcs;

static char exe_path[4096];
static const char *exe_base = "";

/* Units of the executable, for site descriptions and stf_lookup. */
static const struct stf_unit **units;
static size_t nunits;

/* Set by every change of the heap; stf_lookup rebuilds its index then. */
static atomic_int heap_changed = 1;

/* Per-thread caches: free slot indices, a batch of IDs, return address ->
 * site.  Initial-exec TLS: no allocation, no lock on access. */
struct tcache {
	uint32_t nslots;
	bool registered;
	uint32_t slots[TCACHE_SLOTS];
	uint64_t next_id, end_id;
	struct { uintptr_t pc; uint32_t site; } pcs[PC_CACHE];
	struct stf_block_hdr *cached[SMALL_CLASSES]; /* linked through hdr->id */
	uint8_t ncached[SMALL_CLASSES];
	uint32_t cached_bytes;
};
static __thread struct tcache tc __attribute__((tls_model("initial-exec")));
static pthread_key_t tc_key;
static bool tc_key_ok;

static inline struct stf_slot *slot_at(uint32_t i)
{
	return (struct stf_slot *)(uintptr_t)slot_chunks[i / STF_SLOTS_PER_CHUNK]
		+ (i % STF_SLOTS_PER_CHUNK);
}

static inline void mark_heap_changed(void)
{
	if (!atomic_load_explicit(&heap_changed, memory_order_relaxed))
		atomic_store_explicit(&heap_changed, 1, memory_order_relaxed);
}

/* ------------------------------------------------------------------ */
/* Early initialization: tables, exe path, ID base.  Runs at the first
 * slow-path allocation (possibly inside the dynamic loader), so only raw
 * system calls.                                                        */

/* STF_ID_BASE from the initial environment, read from /proc/self/environ
 * (getenv may not work yet), streamed: the environment has no size limit. */
static uint64_t env_id_base(void)
{
	static const char key[] = "STF_ID_BASE=";
	int fd = (int)syscall(SYS_open, "/proc/self/environ", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[4096], val[32];
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
			if (pos < sizeof key - 1) {
				pos = c == key[pos] ? pos + 1 : SIZE_MAX / 2;
			} else if (pos == sizeof key - 1 || found) {
				found = true;
				if (nval < sizeof val - 1)
					val[nval++] = c;
				pos = sizeof key;
			}
		}
	close(fd);
	if (!found)
		return 0;
	val[nval] = 0;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(val, &end, 0);
	if (errno || *end || !nval) {
		warn("STF_ID_BASE is not a number; ignored");
		return 0;
	}
	return v;
}

static void init_tables(void)
{
	pthread_mutex_lock(&init_lock);
	if (atomic_load(&tables_ready)) {
		pthread_mutex_unlock(&init_lock);
		return;
	}
	sites = reserve(MAX_SITES * sizeof *sites);
	site_hashes = reserve(MAX_SITES * sizeof *site_hashes);
	site_by_hash = reserve(SITE_HASH_CAP * sizeof *site_by_hash);
	site_by_pc = reserve(PC_HASH_CAP * sizeof *site_by_pc);
	if (!sites || !site_hashes || !site_by_hash || !site_by_pc)
		die("cannot reserve the site tables (out of address space)");

	ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
	exe_path[n > 0 ? n : 0] = 0;
	const char *slash = strrchr(exe_path, '/');
	exe_base = slash ? slash + 1 : exe_path;

	uint64_t base = env_id_base();
	stf__root.next_id = base ? base : 1;
	stf__root.exe_path = (uintptr_t)exe_path;
	stf__root.sites = (uintptr_t)sites;
	stf__root.nsites = 1;  /* entry 0: unknown */
	stf__root.slot_chunks = (uintptr_t)slot_chunks;
	stf__root.nchunks = 0;
	stf__root.slot_high = 1;  /* slot 0 is never used */
	atomic_store(&tables_ready, 1);
	pthread_mutex_unlock(&init_lock);
}

static inline void ensure_tables(void)
{
	if (__builtin_expect(!atomic_load_explicit(&tables_ready, memory_order_acquire), 0))
		init_tables();
}

/* ------------------------------------------------------------------ */
/* Dynamic IDs.                                                         */

static uint64_t refill_id(void)
{
	ensure_tables();
	uint64_t first = atomic_fetch_add((_Atomic uint64_t *)&stf__root.next_id, ID_BATCH);
	tc.next_id = first + 1;
	tc.end_id = first + ID_BATCH;
	return first;
}

static inline uint64_t next_id(void)
{
	if (__builtin_expect(tc.next_id < tc.end_id, 1))
		return tc.next_id++;
	return refill_id();
}

EXPORT void stf__alloc_bump_id(uint64_t min_next)
{
	ensure_tables();
	_Atomic uint64_t *cnt = (_Atomic uint64_t *)&stf__root.next_id;
	uint64_t cur = atomic_load(cnt);
	while (cur < min_next && !atomic_compare_exchange_weak(cnt, &cur, min_next))
		;
	/* The calling thread's batch may lie below min_next. */
	if (tc.next_id < min_next)
		tc.next_id = tc.end_id = 0;
}

/* ------------------------------------------------------------------ */
/* Slots.                                                                */

/* Under slot_lock: one free slot index, 0 if the table is full. */
static uint32_t slot_take_locked(void)
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
	if (!slot_chunks[chunk]) {
		void *c = reserve(STF_SLOTS_PER_CHUNK * sizeof(struct stf_slot));
		if (!c)
			return 0;
		slot_chunks[chunk] = (uintptr_t)c;
		stf__root.nchunks = chunk + 1;
	}
	stf__root.slot_high = hi + 1;
	return (uint32_t)hi;
}

static void slot_put_locked(uint32_t i)
{
	slot_at(i)->id = slot_free_head;
	slot_free_head = i;
}

/* Have tc_release run when this thread exits. */
static void __attribute__((noinline)) tc_register(void)
{
	if (tc_key_ok) {
		tc.registered = true;
		pthread_setspecific(tc_key, &tc);
	}
}

static uint32_t refill_slot(void)
{
	ensure_tables();
	if (!tc.registered)
		tc_register();
	pthread_mutex_lock(&slot_lock);
	while (tc.nslots < SLOT_BATCH) {
		uint32_t i = slot_take_locked();
		if (!i)
			break;
		tc.slots[tc.nslots++] = i;
	}
	pthread_mutex_unlock(&slot_lock);
	return tc.nslots ? tc.slots[--tc.nslots] : 0;
}

static inline uint32_t take_slot(void)
{
	if (__builtin_expect(tc.nslots != 0, 1))
		return tc.slots[--tc.nslots];
	return refill_slot();
}

static void drain_slots(uint32_t keep)
{
	pthread_mutex_lock(&slot_lock);
	while (tc.nslots > keep)
		slot_put_locked(tc.slots[--tc.nslots]);
	pthread_mutex_unlock(&slot_lock);
}

static inline void give_slot(uint32_t i)
{
	if (__builtin_expect(tc.nslots == TCACHE_SLOTS, 0))
		drain_slots(TCACHE_SLOTS / 2);
	tc.slots[tc.nslots++] = i;
}

/* Thread exit: cached blocks go back to glibc, cached slots to the
 * global pool. */
static void tc_release(void *arg)
{
	(void)arg;
	for (uint32_t c = 0; c < SMALL_CLASSES; c++)
		while (tc.cached[c]) {
			struct stf_block_hdr *h = tc.cached[c];
			tc.cached[c] = (struct stf_block_hdr *)(uintptr_t)h->id;
			give_slot(h->slot);
			__libc_free(h);
		}
	memset(tc.ncached, 0, sizeof tc.ncached);
	tc.cached_bytes = 0;
	drain_slots(0);
	tc.registered = false;
}

/* ------------------------------------------------------------------ */
/* Sites.                                                                */

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h ? h : 1;
}

/* The plugin record of a plugin site, NULL if the unit is damaged. */
static const struct stf_site_rec *plugin_site(const struct stf_site_ref *r,
					      const char **strtab, uint32_t *strsize,
					      const struct stf_blob_hdr **blobp)
{
	const struct stf_unit *u = (const struct stf_unit *)(uintptr_t)r->unit;
	const struct stf_blob_hdr *b = (const struct stf_blob_hdr *)(uintptr_t)u->blob;
	if (r->index >= b->sites.count)
		return NULL;
	*strtab = (const char *)b + b->strtab.off;
	*strsize = b->strtab.count;
	if (blobp)
		*blobp = b;
	return (const struct stf_site_rec *)((const char *)b + b->sites.off) + r->index;
}

static const char *blob_str(const char *strtab, uint32_t size, uint32_t off)
{
	return off < size ? strtab + off : "";
}

EXPORT void stf__site_describe(uint32_t site, char *buf, size_t len)
{
	if (!len)
		return;
	buf[0] = 0;
	if (!atomic_load(&tables_ready) || site == 0 ||
	    site >= atomic_load_explicit((_Atomic uint64_t *)&stf__root.nsites, memory_order_acquire))
		return;
	const struct stf_site_ref *r = &sites[site];
	switch (r->kind) {
	case STF_SITE_PLUGIN: {
		const char *strtab;
		uint32_t strsize;
		const struct stf_site_rec *rec = plugin_site(r, &strtab, &strsize, NULL);
		snprintf(buf, len, "%s", rec ? blob_str(strtab, strsize, rec->id) : "");
		break;
	}
	case STF_SITE_EXTERNAL:
		snprintf(buf, len, "%s+0x%llx", r->name, (unsigned long long)r->offset);
		break;
	case STF_SITE_USER:
		snprintf(buf, len, "%s", r->name);
		break;
	}
}

/* Under site_lock: the site with ID string `id` (hash h), 0 if none. */
static uint32_t site_find_locked(const char *id, uint64_t h)
{
	char buf[256];
	for (uint32_t i = (uint32_t)h & (SITE_HASH_CAP - 1);; i = (i + 1) & (SITE_HASH_CAP - 1)) {
		uint32_t s = site_by_hash[i];
		if (!s)
			return 0;
		if (site_hashes[s] != h)
			continue;
		stf__site_describe(s, buf, sizeof buf);
		if (!strcmp(buf, id))
			return s;
	}
}

/* Under site_lock: append a site (filled in *ref) known as `id`. */
static uint32_t site_add_locked(const struct stf_site_ref *ref, const char *id)
{
	uint64_t n = stf__root.nsites;
	if (n >= MAX_SITES || n >= SITE_HASH_CAP / 2) {
		static bool warned;
		if (!warned)
			warn("site table full; further sites are recorded as unknown");
		warned = true;
		return 0;
	}
	sites[n] = *ref;
	uint64_t h = str_hash(id);
	site_hashes[n] = h;
	uint32_t i = (uint32_t)h & (SITE_HASH_CAP - 1);
	while (site_by_hash[i])
		i = (i + 1) & (SITE_HASH_CAP - 1);
	site_by_hash[i] = (uint32_t)n;
	atomic_store_explicit((_Atomic uint64_t *)&stf__root.nsites, n + 1, memory_order_release);
	return (uint32_t)n;
}

static uint32_t external_site_locked(const char *lib, uint64_t offset)
{
	struct stf_site_ref ref = { .kind = STF_SITE_EXTERNAL, .offset = offset };
	snprintf(ref.name, sizeof ref.name, "%s", lib);
	char id[160];
	snprintf(id, sizeof id, "%s+0x%llx", ref.name, (unsigned long long)offset);
	uint32_t s = site_find_locked(id, str_hash(id));
	return s ? s : site_add_locked(&ref, id);
}

/* The external site of a return address; cached per thread and globally. */
static uint32_t __attribute__((noinline)) external_site_slow(uintptr_t pc)
{
	if (!atomic_load_explicit(&units_ready, memory_order_acquire))
		return 0;  /* before our constructor: loader and libc startup */
	uint32_t site = 0;
	pthread_mutex_lock(&site_lock);
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
			site = external_site_locked(slash ? slash + 1 : name, pc - lm->l_addr);
			if (site && npcs < PC_HASH_CAP / 2) {
				site_by_pc[i].pc = pc;
				site_by_pc[i].site = site;
				npcs++;
			}
		}
	}
	pthread_mutex_unlock(&site_lock);
	if (site) {
		uint32_t c = (uint32_t)(pc >> 2) % PC_CACHE;
		tc.pcs[c].pc = pc;
		tc.pcs[c].site = site;
	}
	return site;
}

static inline uint32_t external_site(uintptr_t pc)
{
	uint32_t c = (uint32_t)(pc >> 2) % PC_CACHE;
	if (__builtin_expect(tc.pcs[c].pc == pc, 1))
		return tc.pcs[c].site;
	return external_site_slow(pc);
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

EXPORT uint32_t stf__site_by_id(const char *id)
{
	if (!id || !*id)
		return 0;
	ensure_tables();
	pthread_mutex_lock(&site_lock);
	uint32_t s = site_find_locked(id, str_hash(id));
	if (!s) {
		/* "<library>+0x<offset>": an external site, made on demand so
		 * that this process's own allocations from there match. */
		const char *plus = strrchr(id, '+');
		if (plus && plus != id && plus[1] == '0' && plus[2] == 'x' && plus[3] &&
		    (size_t)(plus - id) < sizeof sites[0].name && !strchr(id, ':')) {
			char *end;
			unsigned long long off = strtoull(plus + 3, &end, 16);
			if (!*end) {
				char lib[sizeof sites[0].name];
				memcpy(lib, id, (size_t)(plus - id));
				lib[plus - id] = 0;
				s = external_site_locked(lib, off);
			}
		}
	}
	pthread_mutex_unlock(&site_lock);
	return s;
}

/* ------------------------------------------------------------------ */
/* The executable's plugin metadata.                                     */

/* Find the stf_units section of /proc/self/exe: [*start, *end) in memory. */
static int find_units_section(uint64_t *start, uint64_t *end)
{
	int fd = (int)syscall(SYS_open, "/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ret = -1;
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof eh, 0) != sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    eh.e_shstrndx >= eh.e_shnum)
		goto out;
	Elf64_Shdr strsh;
	if (pread(fd, &strsh, sizeof strsh, (off_t)(eh.e_shoff + eh.e_shstrndx * sizeof strsh)) !=
	    sizeof strsh)
		goto out;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		char name[sizeof STF_UNITS_SECTION];
		if (pread(fd, &sh, sizeof sh, (off_t)(eh.e_shoff + i * sizeof sh)) != sizeof sh)
			goto out;
		if (sh.sh_name + sizeof name > strsh.sh_size ||
		    pread(fd, name, sizeof name, (off_t)(strsh.sh_offset + sh.sh_name)) != sizeof name ||
		    memcmp(name, STF_UNITS_SECTION, sizeof name))
			continue;
		if (!(sh.sh_flags & SHF_ALLOC))
			goto out;
		/* Load bias from the program headers the kernel mapped. */
		const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
		unsigned long phnum = getauxval(AT_PHNUM);
		uint64_t bias = 0;
		bool have_bias = false;
		for (unsigned long k = 0; ph && k < phnum && !have_bias; k++)
			if (ph[k].p_type == PT_PHDR) {
				bias = (uintptr_t)ph - ph[k].p_vaddr;
				have_bias = true;
			}
		for (unsigned long k = 0; ph && k < phnum && !have_bias; k++)
			if (ph[k].p_type == PT_LOAD && ph[k].p_offset == 0) {
				bias = (uintptr_t)ph - eh.e_phoff - ph[k].p_vaddr;
				have_bias = true;
			}
		if (!have_bias)
			goto out;
		*start = sh.sh_addr + bias;
		*end = sh.sh_addr + bias + sh.sh_size;
		ret = 0;
		break;
	}
out:
	close(fd);
	return ret;
}

static bool blob_table_ok(const struct stf_blob_hdr *b, const struct stf_table *t, size_t rec)
{
	return t->off <= b->size && (uint64_t)t->count * rec <= b->size - t->off;
}

/* Give every plugin site of the executable a global number. */
static void number_plugin_sites(void)
{
	uint64_t start, end;
	if (find_units_section(&start, &end) < 0)
		return;  /* not instrumented */
	size_t cap = 0;
	for (uint64_t p = start; p + sizeof(struct stf_unit) <= end;) {
		const struct stf_unit *u = (const struct stf_unit *)(uintptr_t)p;
		if (u->magic == 0) {  /* alignment padding */
			p += 8;
			continue;
		}
		if (u->magic != STF_UNIT_MAGIC || u->version != STF_FORMAT_VERSION ||
		    p + stf_unit_size(u->nobjects) > end) {
			warn("stf_units section of the executable is damaged or of another format version; "
			     "sites after it stay unknown (rebuild with the matching stf.so plugin)");
			break;
		}
		const struct stf_blob_hdr *b = (const struct stf_blob_hdr *)(uintptr_t)u->blob;
		if (b->magic != STF_BLOB_MAGIC || b->version != STF_FORMAT_VERSION ||
		    !blob_table_ok(b, &b->sites, sizeof(struct stf_site_rec)) ||
		    !blob_table_ok(b, &b->objects, sizeof(struct stf_object_rec)) ||
		    !blob_table_ok(b, &b->types, sizeof(struct stf_type_rec)) ||
		    !blob_table_ok(b, &b->strtab, 1)) {
			warn("a metadata blob of the executable is damaged; its sites stay unknown");
			p += stf_unit_size(u->nobjects);
			continue;
		}
		if (nunits == cap) {
			cap = cap ? 2 * cap : 16;
			const struct stf_unit **nu = __libc_realloc(units, cap * sizeof *units);
			if (!nu)
				break;
			units = nu;
		}
		units[nunits++] = u;
		const struct stf_site_rec *recs = (const void *)((const char *)b + b->sites.off);
		const char *strtab = (const char *)b + b->strtab.off;
		uint32_t *cells = (uint32_t *)(uintptr_t)u->site_ids;
		pthread_mutex_lock(&site_lock);
		for (uint32_t i = 0; i < b->sites.count; i++) {
			struct stf_site_ref ref = { .kind = STF_SITE_PLUGIN, .index = i, .unit = p };
			cells[i] = site_add_locked(&ref, blob_str(strtab, b->strtab.count, recs[i].id));
		}
		pthread_mutex_unlock(&site_lock);
		p += stf_unit_size(u->nobjects);
	}
	stf__root.units_start = start;
	stf__root.units_end = end;
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
		/* slot_chunks is read-mostly; slot_high shares its cache line
		 * with the ID counter other threads write. */
		if (__builtin_expect(h->slot / STF_SLOTS_PER_CHUNK < MAX_CHUNKS &&
				     slot_chunks[h->slot / STF_SLOTS_PER_CHUNK] &&
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

static inline __attribute__((always_inline)) void release(struct stf_block_hdr *h)
{
	h->magic = STF_BLOCK_FREED;
	struct stf_slot *s = slot_at(h->slot);
	s->addr = 0;
	s->kind = STF_SLOT_FREE;
	mark_heap_changed();
	if (h->align_off == 0 && h->size <= SMALL_MAX) {
		uint32_t c = small_class(h->size);
		if (tc.ncached[c] < CACHE_PER_CLASS && tc.cached_bytes + h->size <= CACHE_BYTES) {
			if (__builtin_expect(!tc.registered, 0))
				tc_register();
			h->id = (uintptr_t)tc.cached[c];
			tc.cached[c] = h;
			tc.ncached[c]++;
			tc.cached_bytes += (uint32_t)h->size;
			return;
		}
	}
	give_slot(h->slot);
	__libc_free((char *)h - h->align_off);
}

/* A cached block of the class of `size`, NULL if none. */
static inline struct stf_block_hdr *take_cached(size_t size)
{
	uint32_t c = small_class(size);
	struct stf_block_hdr *h = tc.cached[c];
	if (h) {
		tc.cached[c] = (struct stf_block_hdr *)(uintptr_t)h->id;
		tc.ncached[c]--;
		tc.cached_bytes -= (uint32_t)h->size;  /* as added by release() */
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
		/* Aligned blocks: glibc's realloc would lose the alignment
		 * offset; move the bytes into a plain block. */
		nchunk = __libc_malloc(capacity(size) + HDR_SIZE);
		if (!nchunk)
			return NULL;
		nh = (struct stf_block_hdr *)nchunk;
		memcpy(nh + 1, p, h->size < size ? h->size : size);
		__libc_free((char *)h - h->align_off);
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

/* ------------------------------------------------------------------ */
/* Regions: mmap'd memory and user-registered objects.  Few and long-lived,
 * kept in a plain array of slot indices under region_lock.              */

struct region { uint32_t slot; uint32_t kind; uint64_t count; };
static struct region *regions;
static size_t nregions, cap_regions;

static int region_add_locked(uint64_t addr, uint64_t size, uint32_t site, uint64_t id,
			     uint32_t kind, uint64_t count)
{
	if (nregions == cap_regions) {
		size_t ncap = cap_regions ? 2 * cap_regions : 64;
		struct region *nr = __libc_realloc(regions, ncap * sizeof *nr);
		if (!nr)
			return -1;
		regions = nr;
		cap_regions = ncap;
	}
	pthread_mutex_lock(&slot_lock);
	uint32_t slot = slot_take_locked();
	pthread_mutex_unlock(&slot_lock);
	if (!slot)
		return -1;
	struct stf_slot *s = slot_at(slot);
	s->addr = addr;
	s->size = size;
	s->id = id ? id : next_id();
	s->site = site;
	s->kind = kind;
	regions[nregions++] = (struct region){ slot, kind, count };
	mark_heap_changed();
	return 0;
}

static void region_del_locked(size_t i)
{
	struct stf_slot *s = slot_at(regions[i].slot);
	s->addr = 0;
	s->kind = STF_SLOT_FREE;
	pthread_mutex_lock(&slot_lock);
	slot_put_locked(regions[i].slot);
	pthread_mutex_unlock(&slot_lock);
	regions[i] = regions[--nregions];
	mark_heap_changed();
}

/* [addr, addr+len) is no longer mapped: trim, split or drop mappings. */
static void mmap_forget_locked(uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;
	for (size_t i = 0; i < nregions;) {
		if (regions[i].kind != STF_SLOT_MMAP) {
			i++;
			continue;
		}
		struct stf_slot *s = slot_at(regions[i].slot);
		uint64_t rs = s->addr, re = s->addr + s->size;
		if (re <= addr || rs >= end) {
			i++;
			continue;
		}
		if (addr <= rs && end >= re) {
			region_del_locked(i);
			continue;
		}
		if (addr > rs && end < re) {
			/* A hole in the middle: the tail becomes a new mapping
			 * of the same site with a new ID. */
			s->size = addr - rs;
			region_add_locked(end, re - end, s->site, 0, STF_SLOT_MMAP, 0);
		} else if (addr <= rs) {
			s->addr = end;
			s->size = re - end;
		} else {
			s->size = addr - rs;
		}
		mark_heap_changed();
		i++;
	}
}

/* Anonymous memory and private mappings hold program state; a shared
 * file mapping's state is the file's. */
static bool mmap_tracked(int flags)
{
	return (flags & MAP_ANONYMOUS) || (flags & MAP_TYPE) == MAP_PRIVATE;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	uint32_t *cell = stf__alloc_site;
	stf__alloc_site = NULL;
	void *p = stf__raw_mmap(addr, len, prot, flags, fd, off);
	if (p == MAP_FAILED)
		return p;
	uint64_t rlen = (len + PAGE - 1) & ~(PAGE - 1);
	ensure_tables();
	bool track_it = mmap_tracked(flags);
	uint32_t site = !track_it ? 0 : cell && *cell ? *cell : external_site((uintptr_t)__builtin_return_address(0));
	pthread_mutex_lock(&region_lock);
	if (flags & MAP_FIXED)
		mmap_forget_locked((uintptr_t)p, rlen);
	if (track_it)
		region_add_locked((uintptr_t)p, rlen, site, 0, STF_SLOT_MMAP, 0);
	pthread_mutex_unlock(&region_lock);
	return p;
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

EXPORT void *stf__mmap_with(size_t size, int prot, uint32_t site, uint64_t id)
{
	if (id && id >= atomic_load((_Atomic uint64_t *)&stf__root.next_id))
		stf__alloc_bump_id(id + 1);
	void *p = stf__raw_mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uint64_t rlen = (size + PAGE - 1) & ~(PAGE - 1);
	ensure_tables();
	pthread_mutex_lock(&region_lock);
	int r = region_add_locked((uintptr_t)p, rlen, site, id, STF_SLOT_MMAP, 0);
	pthread_mutex_unlock(&region_lock);
	if (r < 0) {
		stf__raw_munmap(p, size);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

EXPORT int munmap(void *addr, size_t len)
{
	int r = stf__raw_munmap(addr, len);
	if (r == 0 && atomic_load(&tables_ready)) {
		pthread_mutex_lock(&region_lock);
		mmap_forget_locked((uintptr_t)addr, (len + PAGE - 1) & ~(PAGE - 1));
		pthread_mutex_unlock(&region_lock);
	}
	return r;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *want = NULL;
	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		want = va_arg(ap, void *);
		va_end(ap);
	}
	void *p = (void *)syscall(SYS_mremap, old, old_len, new_len, flags, want);
	if (p == MAP_FAILED || !atomic_load(&tables_ready))
		return p;
	uint64_t o = (uintptr_t)old;
	uint64_t olen = (old_len + PAGE - 1) & ~(PAGE - 1);
	uint64_t nlen = (new_len + PAGE - 1) & ~(PAGE - 1);
	pthread_mutex_lock(&region_lock);
	bool moved_whole = false;
	for (size_t i = 0; i < nregions; i++) {
		struct stf_slot *s = slot_at(regions[i].slot);
		if (regions[i].kind == STF_SLOT_MMAP && s->addr == o && s->size == olen) {
			/* The common case: the whole mapping moves or resizes,
			 * keeping its ID. */
			if ((uintptr_t)p != o)  /* moved: the target range is replaced */
				mmap_forget_locked((uintptr_t)p, nlen);
			s->addr = (uintptr_t)p;
			s->size = nlen;
			moved_whole = true;
			mark_heap_changed();
			break;
		}
	}
	if (!moved_whole) {
		uint32_t site = 0;
		for (size_t i = 0; i < nregions; i++) {
			struct stf_slot *s = slot_at(regions[i].slot);
			if (regions[i].kind == STF_SLOT_MMAP && o >= s->addr && o < s->addr + s->size)
				site = s->site;
		}
		if (!(flags & MREMAP_DONTUNMAP) || (uintptr_t)p == o)
			mmap_forget_locked(o, olen);
		if (site) {
			mmap_forget_locked((uintptr_t)p, nlen);
			region_add_locked((uintptr_t)p, nlen, site, 0, STF_SLOT_MMAP, 0);
		}
	}
	pthread_mutex_unlock(&region_lock);
	return p;
}

/* ------------------------------------------------------------------ */
/* User-registered objects.                                               */

EXPORT int stf_register_object(void *ptr, size_t size, const char *type, size_t count,
			       const char *site_id)
{
	if (!ptr || !size || !site_id || !*site_id || strlen(site_id) >= sizeof sites[0].name ||
	    (type && strlen(type) >= sizeof sites[0].type_name)) {
		errno = EINVAL;
		return -1;
	}
	ensure_tables();
	pthread_mutex_lock(&site_lock);
	uint32_t site = site_find_locked(site_id, str_hash(site_id));
	if (site && sites[site].kind != STF_SITE_USER) {
		pthread_mutex_unlock(&site_lock);
		errno = EEXIST;  /* the ID belongs to a plugin or external site */
		return -1;
	}
	if (!site) {
		struct stf_site_ref ref = { .kind = STF_SITE_USER };
		snprintf(ref.name, sizeof ref.name, "%s", site_id);
		snprintf(ref.type_name, sizeof ref.type_name, "%s", type ? type : "");
		site = site_add_locked(&ref, site_id);
	}
	pthread_mutex_unlock(&site_lock);
	if (!site) {
		errno = ENOMEM;
		return -1;
	}
	pthread_mutex_lock(&region_lock);
	for (size_t i = 0; i < nregions; i++)
		if (regions[i].kind == STF_SLOT_USER && slot_at(regions[i].slot)->addr == (uintptr_t)ptr) {
			pthread_mutex_unlock(&region_lock);
			errno = EEXIST;
			return -1;
		}
	int r = region_add_locked((uintptr_t)ptr, size, site, 0, STF_SLOT_USER, count);
	pthread_mutex_unlock(&region_lock);
	if (r < 0)
		errno = ENOMEM;
	return r;
}

EXPORT int stf_unregister_object(void *ptr)
{
	if (!atomic_load(&tables_ready)) {
		errno = ENOENT;
		return -1;
	}
	pthread_mutex_lock(&region_lock);
	for (size_t i = 0; i < nregions; i++)
		if (regions[i].kind == STF_SLOT_USER && slot_at(regions[i].slot)->addr == (uintptr_t)ptr) {
			region_del_locked(i);
			pthread_mutex_unlock(&region_lock);
			return 0;
		}
	pthread_mutex_unlock(&region_lock);
	errno = ENOENT;
	return -1;
}

/* ------------------------------------------------------------------ */
/* stf_lookup: a sorted index of every object, rebuilt when the heap
 * changed since the last lookup.                                         */

#define STATIC_BIT (1ULL << 63)
static struct stf_index lookup_index = STF_INDEX_INIT;

EXPORT const struct stf_unit *const *stf__units(size_t *n)
{
	*n = nunits;
	return units;
}

static const struct stf_blob_hdr *unit_blob(const struct stf_unit *u)
{
	return (const struct stf_blob_hdr *)(uintptr_t)u->blob;
}

static int rebuild_index_locked(void)
{
	atomic_store(&heap_changed, 0);
	stf__index_reset(&lookup_index);
	for (size_t k = 0; k < nunits; k++) {
		const struct stf_blob_hdr *b = unit_blob(units[k]);
		const struct stf_object_rec *objs = (const void *)((const char *)b + b->objects.off);
		uint64_t n = units[k]->nobjects < b->objects.count ? units[k]->nobjects : b->objects.count;
		for (uint32_t i = 0; i < n; i++) {
			if ((objs[i].flags & STF_OF_TLS) || !objs[i].size || !units[k]->addrs[i])
				continue;
			if (stf__index_add(&lookup_index, units[k]->addrs[i], objs[i].size,
					   STATIC_BIT | (uint64_t)k << 32 | i) < 0)
				return -1;
		}
	}
	uint64_t high = stf__root.slot_high;
	for (uint64_t i = 1; i < high; i++) {
		const struct stf_slot *s = slot_at((uint32_t)i);
		if (s->kind != STF_SLOT_FREE && s->addr &&
		    stf__index_add(&lookup_index, s->addr, s->size, i) < 0)
			return -1;
	}
	stf__index_sort(&lookup_index, NULL, NULL);
	return 0;
}

/* Name of a type of a unit, C spelling, for stf_lookup. */
static void type_name(const struct stf_blob_hdr *b, uint32_t t, char *buf, size_t len, int depth)
{
	const struct stf_type_rec *types = (const void *)((const char *)b + b->types.off);
	const char *strtab = (const char *)b + b->strtab.off;
	if (t >= b->types.count || depth > 8) {
		snprintf(buf, len, "?");
		return;
	}
	const struct stf_type_rec *r = &types[t];
	const char *name = blob_str(strtab, b->strtab.count, r->name);
	size_t l;
	switch (r->kind) {
	case STF_K_STRUCT: snprintf(buf, len, "struct %s", name); break;
	case STF_K_UNION: snprintf(buf, len, "union %s", name); break;
	case STF_K_ENUM: snprintf(buf, len, "enum %s", name); break;
	case STF_K_POINTER:
		type_name(b, r->target, buf, len, depth + 1);
		l = strlen(buf);
		snprintf(buf + l, len - l, " *");
		break;
	case STF_K_ARRAY:
		type_name(b, r->target, buf, len, depth + 1);
		l = strlen(buf);
		snprintf(buf + l, len - l, " [%llu]", (unsigned long long)r->count);
		break;
	case STF_K_VOID: snprintf(buf, len, "void"); break;
	default: snprintf(buf, len, "%s", name); break;
	}
}

static uint64_t type_size(const struct stf_blob_hdr *b, uint32_t t)
{
	const struct stf_type_rec *types = (const void *)((const char *)b + b->types.off);
	return t < b->types.count ? types[t].size : 0;
}

EXPORT int stf_lookup(const void *addr, struct stf_object_info *info)
{
	static __thread char id_buf[192], type_buf[128];
	if (!info) {
		errno = EINVAL;
		return -1;
	}
	ensure_tables();
	pthread_mutex_lock(&lookup_lock);
	if (atomic_load(&heap_changed) && rebuild_index_locked() < 0) {
		atomic_store(&heap_changed, 1);
		pthread_mutex_unlock(&lookup_lock);
		errno = ENOMEM;
		return -1;
	}
	const struct stf_range *r = stf__index_find(&lookup_index, (uintptr_t)addr, 0);
	if (!r) {
		pthread_mutex_unlock(&lookup_lock);
		errno = ENOENT;
		return -1;
	}
	memset(info, 0, sizeof *info);
	info->base = (void *)(uintptr_t)r->start;
	info->size = r->size;
	info->offset = (uintptr_t)addr - r->start;
	info->count = 1;
	uint64_t v = r->value;
	pthread_mutex_unlock(&lookup_lock);

	if (v & STATIC_BIT) {
		const struct stf_blob_hdr *b = unit_blob(units[(v >> 32) & 0x7fffffff]);
		const struct stf_object_rec *o =
			(const struct stf_object_rec *)((const char *)b + b->objects.off) + (uint32_t)v;
		info->id = blob_str((const char *)b + b->strtab.off, b->strtab.count, o->id);
		type_name(b, o->type, type_buf, sizeof type_buf, 0);
		info->type = type_buf;
		/* arrays: count the elements */
		const struct stf_type_rec *t = (const struct stf_type_rec *)((const char *)b + b->types.off);
		if (o->type < b->types.count && t[o->type].kind == STF_K_ARRAY && t[o->type].count)
			info->count = t[o->type].count;
		return 0;
	}
	const struct stf_slot *s = slot_at((uint32_t)v);
	info->dyn_id = s->id;
	uint32_t site = s->site;
	stf__site_describe(site, id_buf, sizeof id_buf);
	info->id = id_buf;
	if (site && site < stf__root.nsites) {
		const struct stf_site_ref *ref = &sites[site];
		if (ref->kind == STF_SITE_PLUGIN) {
			const char *strtab;
			uint32_t strsize;
			const struct stf_blob_hdr *b;
			const struct stf_site_rec *rec = plugin_site(ref, &strtab, &strsize, &b);
			if (rec && rec->type != STF_NONE) {
				type_name(b, rec->type, type_buf, sizeof type_buf, 0);
				info->type = type_buf;
				uint64_t es = type_size(b, rec->type);
				info->count = es ? info->size / es : 1;
			}
		} else if (ref->kind == STF_SITE_USER) {
			info->type = ref->type_name[0] ? ref->type_name : NULL;
			pthread_mutex_lock(&region_lock);
			for (size_t i = 0; i < nregions; i++)
				if (regions[i].slot == (uint32_t)v)
					info->count = regions[i].count;
			pthread_mutex_unlock(&region_lock);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Startup and fork.                                                      */

static void fork_prepare(void)
{
	pthread_mutex_lock(&lookup_lock);
	pthread_mutex_lock(&region_lock);
	pthread_mutex_lock(&site_lock);
	pthread_mutex_lock(&slot_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&slot_lock);
	pthread_mutex_unlock(&site_lock);
	pthread_mutex_unlock(&region_lock);
	pthread_mutex_unlock(&lookup_lock);
}

EXPORT void stf__alloc_init(void)
{
	ensure_tables();
	pthread_mutex_lock(&init_lock);
	if (!atomic_load(&units_ready)) {
		tc_key_ok = pthread_key_create(&tc_key, tc_release) == 0;
		pthread_atfork(fork_prepare, fork_parent, fork_parent);
		find_self();
		number_plugin_sites();
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
