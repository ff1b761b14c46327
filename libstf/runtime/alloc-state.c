/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * alloc-state.c - the allocation tracker's process state: raw system
 * calls, the global tables and locks, early initialization (tables, exe
 * path, ID base), dynamic IDs, the per-thread state's registration,
 * external sites of return addresses, startup and fork.
 *
 * The malloc family itself is in alloc.c; heap.h is what they share.
 * Everything reachable from malloc uses raw system calls only: malloc
 * may be called by the dynamic loader, before constructors, and from
 * inside libstf itself.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <malloc.h>
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
#include "spans.h"
#include "sub-pending.h"
#include "subobjects.h"


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

void *stf__reserve(size_t bytes)
{
	void *p = stf__raw_mmap(NULL, bytes, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* "libstf: " pfx msg on stderr by raw writes (malloc may be unusable). */
static void say(const char *pfx, const char *msg)
{
	static const char libstf[] = "libstf: ";
	ssize_t r = write(2, libstf, sizeof libstf - 1);
	r = write(2, pfx, strlen(pfx));
	r = write(2, msg, strlen(msg));
	r = write(2, "\n", 1);
	(void)r;
}

void stf__die(const char *msg)
{
	say("", msg);
	abort();
}

void stf__warn(const char *msg)
{
	say("warning: ", msg);
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
	stf__sites = stf__reserve(MAX_SITES * sizeof *stf__sites);
	stf__site_hashes = stf__reserve(MAX_SITES * sizeof *stf__site_hashes);
	stf__site_by_hash = stf__reserve(SITE_HASH_CAP * sizeof *stf__site_by_hash);
	site_by_pc = stf__reserve(PC_HASH_CAP * sizeof *site_by_pc);
	if (!stf__sites || !stf__site_hashes || !stf__site_by_hash || !site_by_pc)
		stf__die("cannot reserve the site tables (out of address space)");

	ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
	exe_path[n > 0 ? n : 0] = 0;
	const char *slash = strrchr(exe_path, '/');
	exe_base = slash ? slash + 1 : exe_path;

	stf__avoid_init();  /* before the heap region takes address space */
	if (stf__spans_init() < 0)
		stf__die("cannot reserve the heap region (out of address space)");
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
	stf__tc.compact_end = 0;  /* (known at the next compact block) */
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
		stf__tc.next_id = stf__tc.end_id = stf__tc.compact_end = 0;
}

/* Have tc_release run when this thread exits. */
void __attribute__((noinline)) stf__tc_register_slow(void)
{
	if (tc_key_ok) {
		stf__tc.registered = true;
		pthread_setspecific(tc_key, &stf__tc);
	}
}

/* Thread exit: its spans go to the other threads. */
static void tc_release(void *arg)
{
	(void)arg;
	stf__spans_thread_exit();
	stf__pending_thread_exit();
	stf__tc.registered = false;
}

/* The external site of a return address; cached per thread and globally. */
uint32_t __attribute__((noinline)) stf__external_site_slow(uintptr_t pc)
{
	/* Also before our constructor: a library the executable names
	 * before libstf (GLib linked after -lstf) has its constructors run
	 * first, and its blocks need their place like any other (site 0 is
	 * "unknown", which the new version cannot allocate at). */
	ensure_tables();
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
		stf__tc.pc_of[c] = pc;
		stf__tc.site_of_pc[c] = site;
	}
	return site;
}

/* ------------------------------------------------------------------ */
/* Startup and fork.                                                      */

static void fork_prepare(void)
{
	pthread_mutex_lock(&stf__lookup_lock);
	pthread_mutex_lock(&stf__region_lock);
	stf__sub_fork_prepare();
	pthread_mutex_lock(&stf__site_lock);
	pthread_mutex_lock(&stf__slot_lock);
	pthread_mutex_lock(&stf__placed_lock);
	stf__spans_fork_prepare();
}

/* fork_prepare's locks but the spans', in reverse order */
static void fork_unlock(void)
{
	pthread_mutex_unlock(&stf__placed_lock);
	pthread_mutex_unlock(&stf__slot_lock);
	pthread_mutex_unlock(&stf__site_lock);
	stf__sub_fork_release();
	pthread_mutex_unlock(&stf__region_lock);
	pthread_mutex_unlock(&stf__lookup_lock);
}

static void fork_parent(void)
{
	stf__spans_fork_parent();
	fork_unlock();
}

static void fork_child(void)
{
	stf__spans_fork_child();
	fork_unlock();
}

EXPORT uint64_t stf__objects_bound(void)
{
	return stf__root.slot_high + stf__spans_carved();
}

bool stf__alloc_own_key(unsigned key)
{
	return tc_key_ok && tc_key == key;
}

EXPORT void stf__alloc_init(void)
{
	ensure_tables();
	pthread_mutex_lock(&init_lock);
	if (!atomic_load(&units_ready)) {
		tc_key_ok = pthread_key_create(&tc_key, tc_release) == 0;
		pthread_atfork(fork_prepare, fork_parent, fork_child);
		stf__find_self();
		stf__number_plugin_sites();
		atomic_store_explicit(&units_ready, 1, memory_order_release);
	}
	pthread_mutex_unlock(&init_lock);
}

/* Before the program's own constructors (libstf is their dependency) and
 * before the other constructors of libstf. */
__attribute__((constructor(101))) static void alloc_constructor(void)
{
	/* glibc's allocator serves only libstf's own bookkeeping: one arena.
	 * A thread arena reserves 64 MB of address space, too much for a
	 * server that lowers RLIMIT_AS (vsftpd's sessions: 100 MB). */
	mallopt(M_ARENA_MAX, 1);
	stf__alloc_init();
}
