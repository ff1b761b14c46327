/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * subobjects.c - the registry of typed sub-objects (subobjects.h).
 *
 * An STF_ALLOCATOR function (a size-prefixing wrapper, a pool, a slab)
 * hands out objects from inside blocks it allocated itself.  The code the
 * plugin emits after each call to one (stf__sub_object) registers what it
 * returned with the call's site: the object is then a slot of its own
 * (kind STF_SLOT_USER, like stf_register_object's), which the transfer
 * engine of another process reads, while the block around it keeps the
 * allocator's own untyped site.  When the object is the whole block the
 * allocator returned (a plain wrapper around malloc), the block itself
 * takes the call's site instead.
 *
 * A registration replaces the earlier one at the same address (a slab
 * chunk handed out again); the sub-objects inside a block die when the
 * block is freed or moved by realloc.  The registry is a set of shards,
 * each a hash table from address to slot under a lock of its own; a
 * sub-object's shard is chosen by the 64 KiB of address space it starts
 * in, so the threads of a program, each handing out objects from its own
 * pool chunks, mostly work in shards of their own (no lock or cache line
 * shared between them).  The lock is held for a few dozen instructions:
 * one atomic operation when free, and a waiter sleeps in the kernel
 * (futex) instead of spinning on a holder that lost its core (more
 * threads than cores: a spin lock cost 88 ns per registration with 4
 * threads on 2 cores).  The heap block holding a sub-object carries a flag
 * in its metadata, so free() looks at the registry only for those blocks.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "heap.h"
#include "sub-pending.h"
#include "sub-shadow.h"
#include "subobjects.h"

struct sub_entry {
	uint64_t addr; /* 0: empty */
	uint32_t slot;
};

/* Entries hash by 16-byte granule, so the sub-objects of a block are
 * found with one probe per granule of the block. */
#define GRANULE     4
#define SHARD_SHIFT 16      /* address space per shard choice: 64 KiB */
#define SHARDS      64u

struct shard {
	_Alignas(64)
	atomic_int lock;        /* 0 free, 1 held, 2 held with sleepers */
	size_t cap;             /* power of two, 0 until the first registration */
	size_t n;
	struct sub_entry *table;
};

atomic_size_t stf__nsubs;
static struct shard shards[SHARDS];

/* The blocks the calling thread's STF_ALLOCATOR calls carved a second
 * sub-object out of lately (pools' chunks; a size-prefixing wrapper's
 * blocks hold one each), by the 64 KiB of address space the sub-object
 * was in: the next objects from them skip the heap's lookup of their
 * block (86 of a pair's 410 instructions, pool-bench 1 64 1 lifo).  A
 * pool's free list spans its chunks: with 16 entries, a live window of
 * 20,000 objects of 64 B (1.3 MB) missed 6 times in 10, 89 of a pair's
 * 428 instructions (callgrind, pool-bench 1 64 20000).  One stands while
 * the count of block ends of the 64 KiB range it was made for is still
 * its `ended`: every end of a marked block (free, realloc, a placed
 * block's end) passes stf__sub_forget, which bumps the counts of the
 * ranges the block overlaps before its memory can be handed out again.  The ranges share ENDED_COUNTS counts by hash, each
 * on a cache line of its own: with one count for all, every xfree of a
 * size-prefixing wrapper wrote the line every thread's did. */
#define CARVED_FROM 256u
#define ENDED_COUNTS 64u
static struct {
	_Alignas(64) atomic_uint_fast64_t n;
} blocks_ended[ENDED_COUNTS];
/* Set once a thread carves a second sub-object out of a block: until
 * then no block's end needs counting, so a program whose STF_ALLOCATOR
 * functions only wrap malloc (a whole block, or one sub-object after a
 * size header) takes no shared atomic write per free (counting ends
 * took 32 of a wrapper pair's 967 instructions, an atomic add among them,
 * callgrind, wrap-bench 1 1024). */
static atomic_bool carving;
static __thread struct carved_from {
	uint64_t start, size, ended;
	atomic_uint_fast64_t *count; /* of the range it was made for */
} carved_from[CARVED_FROM] __attribute__((tls_model("initial-exec")));

/* The count of block ends of the 64 KiB range holding addr. */
static atomic_uint_fast64_t *ended_count(uint64_t addr)
{
	return &blocks_ended[((addr >> 16) * 0x9e3779b97f4a7c15ULL) >> 58].n;
}

static struct carved_from *carved_from_of(void *ptr)
{
	return &carved_from[((uintptr_t)ptr >> 16) % CARVED_FROM];
}

static struct shard *shard_of(uint64_t addr)
{
	return &shards[((addr >> SHARD_SHIFT) * 0x9e3779b97f4a7c15ULL) >> 58];
}

static void futex(atomic_int *w, int op, int val, const struct timespec *timeout)
{
	syscall(SYS_futex, w, op | FUTEX_PRIVATE_FLAG, val, timeout, NULL, 0);
}

/* Free: one compare-and-swap.  Held: spin a little (a holder on another
 * core leaves within a few dozen instructions), then mark the lock 2 and
 * sleep until the holder's unlock wakes a sleeper. */
static void lock(struct shard *h)
{
	int c = 0;
	if (__builtin_expect(atomic_compare_exchange_strong_explicit(&h->lock, &c, 1,
			memory_order_acquire, memory_order_relaxed), 1))
		return;
	for (unsigned spins = 0; spins < 100; spins++) {
		__builtin_ia32_pause();
		c = 0;
		if (atomic_load_explicit(&h->lock, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_weak_explicit(&h->lock, &c, 1, memory_order_acquire,
							  memory_order_relaxed))
			return;
	}
	/* The unlock is a plain store when it sees no sleeper: an atomic
	 * exchange there (a three-state lock without lost wake-ups) took a
	 * registration from 14 to 19.5 ns (pool-bench, 1 thread, best of 5):
	 * a sleeper that marked the lock between the holder's look and its
	 * store misses its wake, hence the bound on each sleep. */
	static const struct timespec missed_wake = { 0, 1000000 };
	while (atomic_exchange_explicit(&h->lock, 2, memory_order_acquire) != 0)
		futex(&h->lock, FUTEX_WAIT, 2, &missed_wake);
}

static void unlock(struct shard *h)
{
	if (__builtin_expect(atomic_load_explicit(&h->lock, memory_order_relaxed) == 1, 1)) {
		atomic_store_explicit(&h->lock, 0, memory_order_release);
		return;
	}
	atomic_store_explicit(&h->lock, 0, memory_order_release);
	futex(&h->lock, FUTEX_WAKE, 1, NULL);
}

void stf__sub_fork_prepare(void)
{
	stf__pending_fork_prepare();
	for (uint32_t i = 0; i < SHARDS; i++)
		lock(&shards[i]);
}

void stf__sub_fork_release(void)
{
	for (uint32_t i = SHARDS; i-- > 0;)
		unlock(&shards[i]);
	stf__pending_fork_release();
}

static size_t bucket(const struct shard *h, uint64_t addr)
{
	return (size_t)(((addr >> GRANULE) * 0x9e3779b97f4a7c15ULL) >> 17) & (h->cap - 1);
}

static struct sub_entry *find_locked(struct shard *h, uint64_t addr)
{
	if (!h->cap)
		return NULL;
	for (size_t i = bucket(h, addr);; i = (i + 1) & (h->cap - 1)) {
		if (h->table[i].addr == addr)
			return &h->table[i];
		if (!h->table[i].addr)
			return NULL;
	}
}

/* An entry of granule g at or after [addr, end), NULL if none. */
static struct sub_entry *find_in_granule_locked(struct shard *h, uint64_t g, uint64_t addr,
						uint64_t end)
{
	for (size_t i = bucket(h, g << GRANULE);; i = (i + 1) & (h->cap - 1)) {
		struct sub_entry *e = &h->table[i];
		if (!e->addr)
			return NULL;
		if (e->addr >> GRANULE == g && e->addr >= addr && e->addr < end)
			return e;
	}
}

static int grow_locked(struct shard *h)
{
	size_t ocap = h->cap, ncap = ocap ? 2 * ocap : 256;
	struct sub_entry *n = __libc_calloc(ncap, sizeof *n), *old = h->table;
	if (!n)
		return -1;
	h->table = n;
	h->cap = ncap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].addr) {
			size_t j = bucket(h, old[i].addr);
			while (n[j].addr)
				j = (j + 1) & (ncap - 1);
			n[j] = old[i];
		}
	__libc_free(old);
	return 0;
}

/* Empty entry e, moving back the entries of its cluster that would no
 * longer be found (linear probing without tombstones). */
static void remove_locked(struct shard *h, struct sub_entry *e)
{
	struct stf_slot *s = slot_at(e->slot);
	s->addr = 0;
	s->kind = STF_SLOT_FREE;
	pthread_mutex_lock(&stf__slot_lock);
	stf__slot_put_locked(e->slot);
	pthread_mutex_unlock(&stf__slot_lock);
	atomic_fetch_sub(&stf__nsubs, 1);
	h->n--;
	size_t mask = h->cap - 1, i = (size_t)(e - h->table);
	for (size_t j = (i + 1) & mask; h->table[j].addr; j = (j + 1) & mask) {
		size_t home = bucket(h, h->table[j].addr);
		/* j's entry may move to i when i lies between home and j */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			h->table[i] = h->table[j];
			i = j;
		}
	}
	h->table[i].addr = 0;
	mark_heap_changed();
}

/* e's slot holds a new object, also where one was registered before. */
static void fill_slot_locked(struct sub_entry *e, uint64_t addr, uint64_t size, uint32_t site,
			     uint64_t id)
{
	struct stf_slot *s = slot_at(e->slot);
	s->addr = addr;
	s->size = size;
	s->id = id ? id : next_id();
	s->site = site;
	s->kind = STF_SLOT_USER;
	mark_heap_changed();
}

int stf__sub_register_now(uint64_t addr, uint64_t size, uint32_t site, uint64_t id)
{
	ensure_tables();
	struct shard *h = shard_of(addr);
	lock(h);
	struct sub_entry *e = find_locked(h, addr);
	bool fresh = !e;
	if (fresh) {
		if ((h->n + 1) * 4 > h->cap * 3 && grow_locked(h) < 0)
			goto nomem;
		pthread_mutex_lock(&stf__slot_lock);
		uint32_t slot = stf__slot_take_locked();
		pthread_mutex_unlock(&stf__slot_lock);
		if (!slot)
			goto nomem;
		size_t i = bucket(h, addr);
		while (h->table[i].addr)
			i = (i + 1) & (h->cap - 1);
		e = &h->table[i];
		e->addr = addr;
		e->slot = slot;
		h->n++;
		atomic_fetch_add(&stf__nsubs, 1);
	}
	fill_slot_locked(e, addr, size, site, id);
	unlock(h);
	/* an entry at addr already flagged its block: the block's free or
	 * move would have removed it */
	if (fresh)
		stf__heap_mark_subs(addr);
	return 0;
nomem:
	unlock(h);
	errno = ENOMEM;
	return -1;
}

bool stf__sub_register_noted(uint64_t addr, uint64_t size, uint32_t site, uint64_t id)
{
	if (stf__sub_register_now(addr, size, site, id) == 0)
		return true;
	stf__warn("out of memory registering an object an STF_ALLOCATOR "
		  "function handed out: it will be transferred as untyped memory");
	return false;
}

int stf__sub_register(uint64_t addr, uint64_t size, uint32_t site, uint64_t id)
{
	stf__pending_fold();  /* a later registration at addr than these */
	int r = stf__sub_register_now(addr, size, site, id);
	/* and than the notes in the shadow map it overlaps */
	if (!r)
		stf__shadow_slow(addr, size);
	return r;
}

void stf__sub_flush(void)
{
	stf__pending_fold();
	stf__shadow_fold(false);
}

void stf__sub_flush_stopped(void)
{
	stf__pending_fold();
	stf__shadow_fold(true);
}

/* The registration at addr, which is not pending in the calling thread. */
static int unregister_now(uint64_t addr)
{
	if (!atomic_load_explicit(&stf__nsubs, memory_order_relaxed))
		return -1;
	struct shard *h = shard_of(addr);
	lock(h);
	struct sub_entry *e = find_locked(h, addr);
	if (e)
		remove_locked(h, e);
	unlock(h);
	return e ? 0 : -1;
}

int stf__sub_unregister(uint64_t addr)
{
	if (stf__shadow_cancel(addr))
		return 0;
	/* noted in this thread, else in another that handed it over */
	int r = stf__pending_cancel(addr) || stf__pending_cancel_others(addr) ? 0 :
		unregister_now(addr);
	if (!r)
		stf__shadow_unslow(addr);
	return r;
}

bool stf__sub_registered(uint64_t addr)
{
	if (stf__shadow_noted(addr))
		return true;
	stf__pending_fold();
	struct shard *h = shard_of(addr);
	lock(h);
	bool found = find_locked(h, addr) != NULL;
	unlock(h);
	return found;
}

/* The entries of h in [addr, end). */
static void forget_scan_locked(struct shard *h, uint64_t addr, uint64_t end)
{
	for (size_t i = 0; i < h->cap;) {
		if (h->table[i].addr >= addr && h->table[i].addr < end)
			remove_locked(h, &h->table[i]); /* may move another entry to i */
		else
			i++;
	}
}

/* The entries in [addr, end), all within one shard's 64 KiB of address
 * space: a probe per granule, or a scan of the shard when it is smaller. */
static void forget_in_shard(uint64_t addr, uint64_t end)
{
	struct shard *h = shard_of(addr);
	lock(h);
	uint64_t first = addr >> GRANULE, last = (end - 1) >> GRANULE;
	if (!h->n) {
		/* nothing registered here */
	} else if (last - first < h->cap) {
		for (uint64_t g = first; g <= last; g++) {
			struct sub_entry *e;
			while ((e = find_in_granule_locked(h, g, addr, end)))
				remove_locked(h, e);
		}
	} else {
		forget_scan_locked(h, addr, end);
	}
	unlock(h);
}

void stf__sub_forget(uint64_t addr, uint64_t size)
{
	/* also with no sub-object left: a thread may still take the block
	 * for the one it carves out next (carved_from) */
	uint64_t end = addr + size < addr ? UINT64_MAX : addr + size;
	if (atomic_load(&carving)) {
		uint64_t first = addr >> 16, last = (end - (size != 0)) >> 16;
		bool all = last - first >= ENDED_COUNTS;
		for (uint64_t r = first; all ? r - first < ENDED_COUNTS : r <= last; r++)
			atomic_fetch_add_explicit(all ? &blocks_ended[r - first].n : ended_count(r << 16),
						  1, memory_order_release);
	}
	if (!size || !stf__subs_any())
		return;
	stf__pending_forget(addr, end);
	if (!atomic_load_explicit(&stf__nsubs, memory_order_relaxed))
		return;
	if (((end - 1) >> SHARD_SHIFT) - (addr >> SHARD_SHIFT) >= SHARDS) {
		/* a block meeting every shard many times: each scanned once */
		for (uint32_t i = 0; i < SHARDS; i++) {
			lock(&shards[i]);
			forget_scan_locked(&shards[i], addr, end);
			unlock(&shards[i]);
		}
		return;
	}
	for (uint64_t at = addr; at < end;) {
		uint64_t next = ((at >> SHARD_SHIFT) + 1) << SHARD_SHIFT;
		if (next > end || next == 0)
			next = end;
		forget_in_shard(at, next);
		at = next;
	}
}

/* The registration at addr, if there is one, made the new object's: an
 * object noted instead would leave it behind when given back.  True if
 * there was one.  The shard's count is read without its lock: exact for
 * a registration made before the object's address was handed out again
 * (the pool's own synchronization orders them). */
static __attribute__((noinline)) bool replace_registered_in(uint64_t addr, uint64_t size,
							  uint32_t site)
{
	struct shard *h = shard_of(addr);
	if (!__atomic_load_n(&h->n, __ATOMIC_RELAXED))
		return false;
	lock(h);
	struct sub_entry *e = find_locked(h, addr);
	if (e)
		fill_slot_locked(e, addr, size, site, 0);
	unlock(h);
	return e != NULL;
}

static inline bool replace_registered(uint64_t addr, uint64_t size, uint32_t site)
{
	return atomic_load_explicit(&stf__nsubs, memory_order_relaxed) &&
	       replace_registered_in(addr, size, site);
}

/* Whether ptr is a sub-object of size bytes (not 0: a whole block of any
 * size) of a block in carved_from that still stands. */
static bool carved_before(void *ptr, uint64_t size)
{
	const struct carved_from *c = carved_from_of(ptr);
	uint64_t at = (uintptr_t)ptr - c->start;
	return size && at < c->size && (at || size != c->size) &&
	       c->ended == atomic_load_explicit(c->count, memory_order_acquire);
}

/* ptr, size bytes, handed out by an STF_ALLOCATOR call of site `site`:
 * true if it is a sub-object of a block (marked as holding sub-objects,
 * and remembered in carved_from when size is known), false if it is a
 * whole block, typed by the site (a plain wrapper) or not one of ours.
 * Out of line, like replace_registered_in: inlined, their registers were
 * saved on every call of stf__sub_object (6 pushes and a frame, 66
 * instructions of its own per object, callgrind, pool-bench 1 64 1
 * lifo). */
static __attribute__((noinline)) bool carve(void *ptr, uint64_t size, uint32_t site)
{
	/* a block is remembered only with its end counted from before the
	 * count is read */
	bool counted = atomic_load(&carving);
	atomic_uint_fast64_t *count = ended_count((uintptr_t)ptr);
	uint64_t ended = atomic_load_explicit(count, memory_order_acquire);
	struct stf_block_info b;
	if (stf__heap_type_block(ptr, size, site, &b)) {
		/* the block is the object */
		stf__sub_forget((uintptr_t)ptr, 1);
		return false;
	}
	if (!size || !b.size || !b.subs)
		return true;
	if (counted)
		*carved_from_of(ptr) = (struct carved_from){ b.start, b.size, ended, count };
	else
		atomic_store(&carving, true); /* the next sub-object is remembered */
	return true;
}

/* Called by the code the plugin emits right after each call to an
 * STF_ALLOCATOR function: ptr is what it returned, size the size it was
 * asked for (its size argument, or the size of the type the call site
 * stores the result as; 0 when neither is known), cell the call site's
 * entry of the unit's site table. */
EXPORT void stf__sub_object(void *ptr, size_t size, const uint32_t *cell)
{
	uint32_t site = cell ? *cell : 0;
	if (!ptr || !site)
		return;
	if (!carved_before(ptr, size) && !carve(ptr, size, site))
		return;
	if (!size)
		return;
	/* The object replaces the one handed out at its place before, when
	 * that one was given back without the partner free (through a
	 * pointer, or a free not named after the allocator: jobq's
	 * block_put): noted by another thread, that one's entry would
	 * otherwise win or lose by the order the logs are folded in;
	 * registered, it would stay when the new object is given back.
	 * Hence one record at most of each address, in one log or in the
	 * registry. */
	uint64_t addr = (uintptr_t)ptr;
	stf__pending_cancel_others(addr);
	if (!stf__pending_registers_now() &&
	    (replace_registered(addr, size, site) || stf__pending_add(addr, size, site))) {
		stf__shadow_slow(addr, size); /* a later note there takes this way too */
		return;
	}
	if (stf__sub_register_noted(addr, size, site, 0))
		stf__shadow_slow(addr, size);
}
