/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sub-pending.c - the sub-objects a thread's STF_ALLOCATOR calls handed
 * out since the registry last read them (see sub-pending.h).
 *
 * A pool whose free is the allocator's partner ends each object's
 * registration, so a pool_alloc + pool_free pair registered an object
 * and removed it again: a shard lock and the global slot mutex twice,
 * 76 ns against 1.45 for the plain pool (bench-malloc).  Each thread
 * instead notes what it hands out in a log of its own, a hash table from
 * address to (size, site, ID), which the thread enters with a store and
 * a load, no atomic operation (owner_enter); other threads enter it only
 * to look for an object or a block there (an object handed over between
 * threads, a block freed by another thread) or to fold it, through a lock
 * and a membarrier, and a log other threads enter often takes the lock
 * for its owner too (WANT_LOCKED); a free of an
 * object still in a log forgets it there (its entry keeps the address for
 * the pool's next object at that place), so a short-lived object never
 * reaches the registry nor takes a slot.  The registry's readers
 * (quiescence, the lookups, the walk over every object) fold every log
 * into the registry first, so they see what an immediate registration
 * would have shown: the transfer enumerates the same live objects with
 * the same sites and IDs (the ID is drawn when the object is handed out),
 * and the objects bound (slots ever used) grows only with the objects
 * live when the registry was read.  A full log (LOG_MAX entries) is
 * folded by its thread, which then registers its next objects at once
 * for a while (BYPASS).
 *
 * Each address has one record at most, in one log or in the registry,
 * as an immediate registration replaces the one before it: an object
 * handed out where an earlier one was given back without the partner
 * free (through a pointer, or a free not named after the allocator:
 * jobq's block_put) forgets the earlier one's entry in the other
 * threads' logs, and replaces its registration in the registry instead
 * of being noted (stf__sub_object).  Two entries of one address in two
 * logs were folded in the logs' order, the older object's last (jobq's
 * note transformed as a request at its update); a noted object given
 * back left the earlier registration behind.  A free looks in the
 * thread's own log, then in the others' (an object handed over between
 * threads), then in the registry; a block's free or move forgets the
 * objects noted inside it in every log.
 *
 * Another thread reads a log's count and range bits without entering it:
 * an entry noted before its object (or its address, given back) reached
 * the reader through the program's own synchronization is seen, and so
 * is the registration a fold moved it to (the fold clears them after it,
 * with release stores).
 */
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "heap.h"
#include "sub-pending.h"
#include "subobjects.h"

struct pending {
	uint64_t addr; /* 0: empty */
	uint64_t size;
	uint64_t id;
	uint32_t site; /* 0: given back to its pool; the entry keeps its
	                  address for the pool's next object there */
};

#define LOG_MIN 256u
/* 32,768 entries (1 MiB) hold a live window of 24,576 objects per thread;
 * past it the log is folded when full, and a pair costs what an
 * immediate registration does (with 8,192 entries a window of 20,000
 * cost 70 times the plain pool, 16,384 a wrapper's 5 times; a full log's
 * fold, at quiescence, takes ~100 ns an entry). */
#define LOG_MAX 32768u
/* 65,536 bits (8 KiB): the 64 KiB ranges of a full log's objects (a
 * window of 24,576 objects of 1 KiB spans ~400) rarely share a bit with
 * another thread's object, whose look into the log then costs a
 * membarrier (see owner_enter).  With 256, a free of an object in the
 * registry took another log's lock one time in five (pool-bench, 4
 * threads, 64 B, a window of 20,000: each log's entries spread over 20
 * ranges). */
#define RANGE_WORDS 1024u
/* A block spanning more ranges (16 MiB) is taken to meet every log. */
#define RANGE_PROBES 256u
/* A log found full of live objects (they outlive it: a live window past
 * its size) is left alone for the thread's next BYPASS objects, which are
 * registered at once: noting and folding them added the log's cache
 * misses to the registry's (pool-bench, 4 threads, a window of 20,000:
 * 347 ns a pair without the logs, 533 with them).  Each time it fills
 * again right after, the next bypass is twice as long, up to BYPASS_MAX:
 * the objects a log notes between two bypasses cost a note and a fold on
 * top of their registration, one in twelve of them with a fixed bypass
 * (pool-bench, 4 threads, a window of 20,000: 10-25% over main). */
#define BYPASS 65536u
#define BYPASS_MAX (64u * BYPASS)
/* A bit per 16-byte granule of 2 MiB of address space (16 KiB), set for
 * each entry's granule: a block's free or move tests a word per 1 KiB of
 * it and probes only the granules whose bit is set (a log of 6,144 entries
 * sets at most one bit in 21).  A probe per granule cost a size-prefixing
 * wrapper's pair 44% of its 254-507 ns (wrap-bench, 1 and 4 threads). */
#define GRANULE_BITS (1u << 17)

struct sub_log {
	atomic_int lock;          /* 0 free, 1 held: between other threads,
	                             and the owner when want is set */
	/* The owner's entry without an atomic operation (owner_enter): it
	 * sets busy, then reads want; another thread sets want, makes every
	 * thread pass a full barrier (membarrier), then waits for busy to
	 * clear.  Either the owner's busy reached the other thread, or the
	 * owner sees want and takes the lock instead. */
	atomic_int busy;
	atomic_int want;          /* WANT_* */
	atomic_uint foreign;      /* entries of other threads since the owner
	                             last rebuilt or folded the log */
	bool owned;               /* a live thread's */
	atomic_uint n;            /* live entries; read without the lock */
	uint32_t used;            /* entries with an address */
	atomic_bool counted;      /* in nonempty: used is not 0 */
	uint32_t cap;             /* power of two, 0 without a table */
	uint32_t shift;           /* 64 - log2(cap) */
	uint32_t bypass;          /* objects left to register at once (BYPASS);
	                             the owner's only */
	uint32_t next_bypass;     /* the next one's length if the log fills
	                             with live objects again; the owner's only */
	struct pending *table;
	/* The granules of the entries with an address (GRANULE_BITS, a
	 * superset: set by put, cleared only by a rebuild or a fold, which
	 * drop entries); allocated with the first table. */
	uint64_t *granules;
	/* The entry noted last: a pool's LIFO free list gives it back (or
	 * hands its address out again) next, found without hashing; NULL
	 * after a rebuild. */
	struct pending *last;
	/* The 64 KiB ranges of address space its entries lie in, hashed to
	 * bits: another thread looking for an object or a block skips the
	 * log (and its lock) when their bits are clear.  Set with the
	 * entries, cleared by a fold. */
	_Alignas(64) _Atomic uint64_t ranges[RANGE_WORDS];
	struct sub_log *next;     /* every log ever made: set before the log
	                             is published, never changed */
};

/* Taken to add or reuse a log and across fork; the list is read without
 * it (logs are never freed, only handed to a new thread). */
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sub_log *_Atomic logs;
/* Logs with entries, live or given back (sub_log.counted): the readers
 * skip the fold while it is 0, and a thread looking in the other logs
 * skips them while it counts only its own.  A count of the logs with live
 * entries went up and down at each pool_alloc + pool_free of a LIFO pool
 * (two atomic operations: 48 ns a pair against 1.8 plain, pool-bench 1 64
 * 1 lifo); a log's given back entries stay until it is rebuilt or
 * folded. */
static atomic_uint nonempty;
static __thread struct sub_log *my_log __attribute__((tls_model("initial-exec")));

/* Held by a fold of the log (a few microseconds): out of line, its loop's
 * registers saved only when it runs (the callers' own saves for it cost a
 * pair 16 instructions, callgrind, pool-bench 1 64 1 lifo). */
static __attribute__((noinline)) void log_lock_wait(struct sub_log *l)
{
	for (unsigned spins = 0;
	     atomic_exchange_explicit(&l->lock, 1, memory_order_acquire); spins++) {
		if (spins < 64)
			__builtin_ia32_pause();
		else
			sched_yield();
	}
}

static inline void log_lock(struct sub_log *l)
{
	if (__builtin_expect(atomic_exchange_explicit(&l->lock, 1, memory_order_acquire), 0))
		log_lock_wait(l);
}

static void log_unlock(struct sub_log *l)
{
	atomic_store_explicit(&l->lock, 0, memory_order_release);
}

/* want: no other thread is in the log or wants it; one is (WANT_ONCE);
 * the owner takes the lock too, for good (WANT_LOCKED: no membarrier in
 * this process, or other threads come often: each of their entries costs
 * a membarrier, 1-5 us, against an atomic operation of the owner's). */
enum { WANT_NONE, WANT_ONCE, WANT_LOCKED };
/* Entries of other threads between two rebuilds or folds of the owner's
 * that turn its log to WANT_LOCKED (a pool whose objects are freed by
 * another thread, a wrapper's blocks freed by a consumer). */
#define FOREIGN_MAX 32u

/* Whether membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) is usable: 1 yes,
 * -1 no (a kernel before 4.14, a seccomp filter), 0 not asked yet.
 * Asked under list_lock by the first log made. */
static int membarrier_usable;

static void ask_membarrier(void)
{
	if (membarrier_usable)
		return;
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	bool ok = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
		  syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
	membarrier_usable = ok ? 1 : -1;
}

static int initial_want(void)
{
	return membarrier_usable > 0 ? WANT_NONE : WANT_LOCKED;
}

/* The owner's way in when want is set: through the lock. */
static __attribute__((noinline)) void owner_enter_locked(struct sub_log *l)
{
	atomic_store_explicit(&l->busy, 0, memory_order_release);
	log_lock(l);
}

/* The calling thread, l's owner, enters its log ("inside l" below: from
 * owner_enter or foreign_enter to the matching exit): true if it holds
 * the lock (pass it to owner_exit).  Without another thread in the way, a
 * store and a load: two atomic exchanges per pool_alloc + pool_free were
 * 79% of a LIFO pair's 33 ns (perf, pool-bench 1 64 1 lifo; 1.35 ns
 * plain). */
static inline bool owner_enter(struct sub_log *l)
{
	atomic_store_explicit(&l->busy, 1, memory_order_relaxed);
	/* the other side's membarrier is the store-load barrier */
	atomic_signal_fence(memory_order_seq_cst);
	if (__builtin_expect(!atomic_load_explicit(&l->want, memory_order_acquire), 1))
		return false;
	owner_enter_locked(l);
	return true;
}

static inline void owner_exit(struct sub_log *l, bool locked)
{
	if (locked)
		log_unlock(l);
	else
		atomic_store_explicit(&l->busy, 0, memory_order_release);
}

/* A thread other than l's owner (or any thread across fork, or a thread
 * folding every log) enters l; `counts`: it looks for its own objects
 * there, and turns the log to WANT_LOCKED when that happens often. */
static void foreign_enter(struct sub_log *l, bool counts)
{
	log_lock(l);
	int want = atomic_load_explicit(&l->want, memory_order_relaxed);
	if (want == WANT_LOCKED)
		return;
	if (counts && atomic_fetch_add_explicit(&l->foreign, 1, memory_order_relaxed) + 1 >= FOREIGN_MAX)
		want = WANT_LOCKED;
	else
		want = WANT_ONCE;
	atomic_store_explicit(&l->want, want, memory_order_seq_cst);
	syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	for (unsigned spins = 0; atomic_load_explicit(&l->busy, memory_order_acquire); spins++) {
		if (spins < 64)
			__builtin_ia32_pause();
		else
			sched_yield();
	}
}

static void foreign_exit(struct sub_log *l)
{
	if (atomic_load_explicit(&l->want, memory_order_relaxed) == WANT_ONCE)
		atomic_store_explicit(&l->want, WANT_NONE, memory_order_release);
	log_unlock(l);
}

static size_t slot_of(const struct sub_log *l, uint64_t addr)
{
	return (size_t)(((addr >> 4) * 0x9e3779b97f4a7c15ULL) >> l->shift);
}

static struct pending *find(struct sub_log *l, uint64_t addr)
{
	if (l->last && l->last->addr == addr)
		return l->last;
	if (!l->cap)
		return NULL;
	for (size_t i = slot_of(l, addr);; i = (i + 1) & (l->cap - 1)) {
		if (l->table[i].addr == addr)
			return &l->table[i];
		if (!l->table[i].addr)
			return NULL;
	}
}

static struct pending *put(struct sub_log *l, const struct pending *p)
{
	size_t i = slot_of(l, p->addr);
	while (l->table[i].addr)
		i = (i + 1) & (l->cap - 1);
	l->table[i] = *p;
	uint64_t g = (p->addr >> 4) & (GRANULE_BITS - 1);
	l->granules[g / 64] |= 1ULL << (g % 64);
	return &l->table[i];
}

static void set_live(struct sub_log *l, uint32_t n)
{
	atomic_store_explicit(&l->n, n, memory_order_release);
}

/* Inside l, after l->used changed: l counts in nonempty while it
 * has entries. */
static void set_counted(struct sub_log *l)
{
	bool has = l->used != 0;
	if (has == atomic_load_explicit(&l->counted, memory_order_relaxed))
		return;
	if (has)
		atomic_fetch_add_explicit(&nonempty, 1, memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&nonempty, 1, memory_order_release);
	atomic_store_explicit(&l->counted, has, memory_order_release);
}

static void range_bit(uint64_t addr, uint32_t *word, uint64_t *bit)
{
	uint32_t h = (uint32_t)(((addr >> 16) * 0x9e3779b97f4a7c15ULL) >>
			       (64 - __builtin_ctz(RANGE_WORDS * 64)));
	*word = h / 64;
	*bit = 1ULL << (h % 64);
}

static void note_range(struct sub_log *l, uint64_t addr)
{
	uint32_t w;
	uint64_t bit;
	range_bit(addr, &w, &bit);
	uint64_t cur = atomic_load_explicit(&l->ranges[w], memory_order_relaxed);
	if (!(cur & bit))
		atomic_store_explicit(&l->ranges[w], cur | bit, memory_order_release);
}

/* Whether l may hold an entry in [addr, end): without its lock, exact for
 * an object (or its address) handed over to the caller after it was
 * noted. */
static bool may_hold(struct sub_log *l, uint64_t addr, uint64_t end)
{
	/* the bits first: the owner writes their cache line seldom, the
	 * count's at each object */
	bool in = ((end - 1) >> 16) - (addr >> 16) >= RANGE_PROBES;
	for (uint64_t r = addr >> 16; !in && r <= (end - 1) >> 16; r++) {
		uint32_t w;
		uint64_t bit;
		range_bit(r << 16, &w, &bit);
		in = atomic_load_explicit(&l->ranges[w], memory_order_acquire) & bit;
	}
	return in && atomic_load_explicit(&l->n, memory_order_acquire);
}

/* A table of ncap entries holding l's live entries, without the given
 * back ones: -1 without memory. */
static int rebuild(struct sub_log *l, uint32_t ncap)
{
	struct pending *n = __libc_calloc(ncap, sizeof *n), *old = l->table;
	if (!n)
		return -1;
	if (!l->granules && !(l->granules = __libc_calloc(GRANULE_BITS / 64, sizeof(uint64_t)))) {
		__libc_free(n);
		return -1;
	}
	memset(l->granules, 0, GRANULE_BITS / 8); /* put sets the live ones' */
	uint32_t ocap = l->cap;
	l->table = n;
	l->cap = ncap;
	l->shift = 64 - (uint32_t)__builtin_ctz(ncap);
	l->used = 0;
	l->last = NULL;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].addr && old[i].site) {
			put(l, &old[i]);
			l->used++;
		}
	__libc_free(old);
	set_counted(l);
	return 0;
}

/* Inside l: every live entry into the registry.  The table stays
 * (a new one of LOG_MAX entries is fresh memory: its page faults cost a
 * full log's fold 1 ms, 160 ns an object). */
static void fold_locked(struct sub_log *l)
{
	for (size_t i = 0; l->used && i < l->cap; i++) {
		struct pending *p = &l->table[i];
		if (!p->addr)
			continue;
		if (p->site)
			stf__sub_register_noted(p->addr, p->size, p->site, p->id);
		p->addr = 0;
		l->used--;
	}
	l->last = NULL;
	if (l->granules)
		memset(l->granules, 0, GRANULE_BITS / 8);
	set_live(l, 0);
	set_counted(l);
	for (uint32_t w = 0; w < RANGE_WORDS; w++)
		atomic_store_explicit(&l->ranges[w], 0, memory_order_release);
}

/* Inside l: e is given back. */
static void give_back(struct sub_log *l, struct pending *e)
{
	e->site = 0;
	set_live(l, atomic_load_explicit(&l->n, memory_order_relaxed) - 1);
}

/* Room for one more entry: 0 with the given back entries dropped or a
 * larger table; 1 with the log folded, full of live objects: the thread
 * registers its next objects at once, the caller's first (the log stays
 * empty while it does, so an object registered at once is noted
 * nowhere); -1 without memory. */
static int make_room(struct sub_log *l)
{
	/* Filled up to half below LOG_MAX: a block's free scans the cluster
	 * of each granule whose bit is set up to an empty entry, 8.5
	 * entries on average at three quarters (the scan took 111 of a
	 * wrapper pair's 967 instructions, 48 at half, callgrind, wrap-bench
	 * 1 1024); a full log's entries fill three quarters of it. */
	if ((l->used + 1) * (l->cap < LOG_MAX ? 2 : 4) <= l->cap * (l->cap < LOG_MAX ? 1 : 3))
		return 0;
	atomic_store_explicit(&l->foreign, 0, memory_order_relaxed);
	uint32_t live = atomic_load_explicit(&l->n, memory_order_relaxed);
	if (live * 2 < l->used) {
		/* its objects die in the log again */
		l->next_bypass = BYPASS;
		return rebuild(l, l->cap);
	}
	if (l->cap < LOG_MAX)
		return rebuild(l, l->cap ? 2 * l->cap : LOG_MIN);
	fold_locked(l);
	l->bypass = l->next_bypass;
	if (l->next_bypass < BYPASS_MAX)
		l->next_bypass *= 2;
	return 1;
}

/* The calling thread's log: a free one of an exited thread, else a new
 * one; NULL without memory. */
static __attribute__((noinline)) struct sub_log *take_log(void)
{
	pthread_mutex_lock(&list_lock);
	struct sub_log *l = atomic_load_explicit(&logs, memory_order_relaxed);
	while (l && l->owned)
		l = l->next;
	ask_membarrier();
	if (!l && (l = __libc_calloc(1, sizeof *l))) {
		atomic_init(&l->want, initial_want());
		l->next = atomic_load_explicit(&logs, memory_order_relaxed);
		atomic_store_explicit(&logs, l, memory_order_release);
	} else if (l) {
		/* its last owner's other threads may be in it (a fold) */
		foreign_enter(l, false);
		atomic_store_explicit(&l->foreign, 0, memory_order_relaxed);
		atomic_store_explicit(&l->want, initial_want(), memory_order_relaxed);
		log_unlock(l);
	}
	if (l) {
		l->owned = true;
		l->bypass = 0; /* its last thread's */
		l->next_bypass = BYPASS;
	}
	pthread_mutex_unlock(&list_lock);
	my_log = l;
	/* its exit folds the log (stf__pending_thread_exit) */
	stf__tc_register();
	return l;
}

/* The hot paths below test a condition and call out of line: the calls'
 * register saves in them cost a pair 30-40 instructions, all of them
 * paid even when the condition was false (callgrind, pool-bench 1 64
 * 20000). */
static struct sub_log *own_log(void)
{
	if (__builtin_expect(my_log != NULL, 1))
		return my_log;
	return take_log();
}

bool stf__pending_registers_now(void)
{
	struct sub_log *l = own_log();
	if (!l)
		return true;
	if (l->bypass) {
		l->bypass--;
		return true;
	}
	return false;
}

/* Inside l: a new entry of addr, NULL when the log has no room (see
 * make_room).  Out of line: the counts other threads read take atomic
 * operations, which the pair of a pool handing its objects out again at
 * known addresses never runs (t/runtime/fast-paths.sh). */
static __attribute__((noinline)) struct pending *add_entry(struct sub_log *l, uint64_t addr)
{
	if (make_room(l))
		return NULL;
	struct pending *e = put(l, &(struct pending){ .addr = addr });
	l->used++;
	set_counted(l);
	note_range(l, addr);
	return e;
}

bool stf__pending_add(uint64_t addr, uint64_t size, uint32_t site)
{
	struct sub_log *l = my_log;
	bool locked = owner_enter(l);
	struct pending *e = find(l, addr);
	if (!e && !(e = add_entry(l, addr))) {
		owner_exit(l, locked);
		return false;
	}
	l->last = e;
	/* a new object, also where one was noted before */
	if (!e->site)
		set_live(l, atomic_load_explicit(&l->n, memory_order_relaxed) + 1);
	e->size = size;
	e->site = site;
	e->id = next_id();
	owner_exit(l, locked);
	mark_heap_changed();
	return true;
}

/* Inside l: the live entry of addr given back; false if there is none.
 * It is the entry found first next: a pool hands the address out again
 * (a hash and probe less, 25 instructions of a pair's 428, callgrind,
 * pool-bench 1 64 20000). */
static bool cancel_inside(struct sub_log *l, uint64_t addr)
{
	struct pending *e = find(l, addr);
	bool live = e && e->site;
	if (live) {
		give_back(l, e);
		l->last = e;
	}
	return live;
}

static __attribute__((noinline)) bool cancel_own(struct sub_log *l, uint64_t addr)
{
	bool locked = owner_enter(l);
	bool live = cancel_inside(l, addr);
	owner_exit(l, locked);
	return live;
}

bool stf__pending_cancel(uint64_t addr)
{
	struct sub_log *l = my_log;
	if (!l || !atomic_load_explicit(&l->n, memory_order_relaxed))
		return false;
	return cancel_own(l, addr);
}

/* Whether a log other than the calling thread's may have live entries:
 * exact for entries noted before the caller was handed their object or
 * address (the count is read before the own log's flag, which other
 * threads may only clear). */
static bool others_nonempty(void)
{
	uint32_t all = atomic_load_explicit(&nonempty, memory_order_acquire);
	struct sub_log *l = my_log;
	return all > (l && atomic_load_explicit(&l->counted, memory_order_acquire) ? 1u : 0u);
}

static __attribute__((noinline)) bool cancel_in_others(uint64_t addr)
{
	for (struct sub_log *l = atomic_load_explicit(&logs, memory_order_acquire); l; l = l->next)
		if (l != my_log && may_hold(l, addr, addr + 1)) {
			foreign_enter(l, true);
			bool live = cancel_inside(l, addr);
			foreign_exit(l);
			if (live)
				return true;
		}
	return false;
}

bool stf__pending_cancel_others(uint64_t addr)
{
	return others_nonempty() && cancel_in_others(addr);
}

/* Inside l: the live entries of granule g in [addr, end). */
static void forget_in_granule(struct sub_log *l, uint64_t g, uint64_t addr, uint64_t end)
{
	for (size_t i = slot_of(l, g << 4); l->table[i].addr; i = (i + 1) & (l->cap - 1)) {
		struct pending *e = &l->table[i];
		if (e->site && e->addr >> 4 == g && e->addr >= addr && e->addr < end) {
			give_back(l, e);
			l->last = e; /* a wrapper's next block may be this one */
		}
	}
}

/* Inside l: the live entries in [addr, end): a probe per granule
 * whose bit is set (entries hash by granule), or a scan of the table when
 * it has fewer slots than the range granules. */
static void forget_locked(struct sub_log *l, uint64_t addr, uint64_t end)
{
	uint64_t first = addr >> 4, last = (end - 1) >> 4;
	if (last - first >= l->cap) {
		for (size_t i = 0; i < l->cap; i++)
			if (l->table[i].site && l->table[i].addr >= addr && l->table[i].addr < end)
				give_back(l, &l->table[i]);
		return;
	}
	/* fewer granules than GRANULE_BITS (cap <= LOG_MAX): no bit twice */
	for (uint64_t g = first; g <= last;) {
		uint32_t b = (uint32_t)(g & (GRANULE_BITS - 1));
		uint64_t n = 64 - b % 64, bits = l->granules[b / 64] >> (b % 64);
		if (last - g + 1 < n) {
			n = last - g + 1;
			bits &= (1ULL << n) - 1;
		}
		for (; bits; bits &= bits - 1)
			forget_in_granule(l, g + (uint64_t)__builtin_ctzll(bits), addr, end);
		g += n;
	}
}

void stf__pending_forget(uint64_t addr, uint64_t end)
{
	if (!stf__pending_any())
		return;
	for (struct sub_log *l = atomic_load_explicit(&logs, memory_order_acquire); l; l = l->next) {
		if (!may_hold(l, addr, end))
			continue;
		if (l == my_log) {
			bool locked = owner_enter(l);
			forget_locked(l, addr, end);
			owner_exit(l, locked);
		} else {
			foreign_enter(l, true);
			forget_locked(l, addr, end);
			foreign_exit(l);
		}
	}
}

bool stf__pending_any(void)
{
	return atomic_load_explicit(&nonempty, memory_order_acquire) != 0;
}

void stf__pending_fold(void)
{
	if (!stf__pending_any())
		return;
	pthread_mutex_lock(&list_lock);
	for (struct sub_log *l = atomic_load_explicit(&logs, memory_order_acquire); l; l = l->next) {
		if (!atomic_load_explicit(&l->counted, memory_order_relaxed))
			continue;
		if (l == my_log) {
			bool locked = owner_enter(l);
			fold_locked(l);
			owner_exit(l, locked);
		} else {
			foreign_enter(l, false);
			fold_locked(l);
			foreign_exit(l);
		}
	}
	pthread_mutex_unlock(&list_lock);
}

void stf__pending_thread_exit(void)
{
	struct sub_log *l = my_log;
	if (!l)
		return;
	bool locked = owner_enter(l);
	fold_locked(l);
	owner_exit(l, locked);
	my_log = NULL;
	pthread_mutex_lock(&list_lock);
	l->owned = false;
	pthread_mutex_unlock(&list_lock);
}

void stf__pending_fork_prepare(void)
{
	pthread_mutex_lock(&list_lock);
	for (struct sub_log *l = atomic_load_explicit(&logs, memory_order_acquire); l; l = l->next)
		foreign_enter(l, false);
}

void stf__pending_fork_release(void)
{
	for (struct sub_log *l = atomic_load_explicit(&logs, memory_order_acquire); l; l = l->next)
		foreign_exit(l);
	pthread_mutex_unlock(&list_lock);
}
