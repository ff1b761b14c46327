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
 * block is freed or moved by realloc.  The registry is a hash table from
 * address to slot under a lock of its own, held for a few dozen
 * instructions: a spin lock (a pool handing out an object takes it once;
 * a mutex cost as much as the rest of the registration); the heap block
 * holding a sub-object carries a flag in its metadata, so free() looks at
 * the registry only for those blocks.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "alloc.h"
#include "heap.h"
#include "subobjects.h"

struct sub_entry {
	uint64_t addr; /* 0: empty */
	uint32_t slot;
};

atomic_size_t stf__nsubs;
static atomic_int sub_lock;
static struct sub_entry *table;
static size_t cap; /* power of two, 0 until the first registration */

/* Entries hash by 16-byte granule, so the sub-objects of a block are
 * found with one probe per granule of the block. */
#define GRANULE 4

static void lock(void)
{
	while (atomic_exchange_explicit(&sub_lock, 1, memory_order_acquire))
		for (unsigned spins = 0; atomic_load_explicit(&sub_lock, memory_order_relaxed);)
			if (++spins < 64)
				__builtin_ia32_pause();
			else
				sched_yield();  /* the holder may wait for a core */
}

static void unlock(void)
{
	atomic_store_explicit(&sub_lock, 0, memory_order_release);
}

void stf__sub_fork_prepare(void)
{
	lock();
}

void stf__sub_fork_release(void)
{
	unlock();
}

static size_t bucket(uint64_t addr)
{
	return (size_t)(((addr >> GRANULE) * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

static struct sub_entry *find_locked(uint64_t addr)
{
	if (!cap)
		return NULL;
	for (size_t i = bucket(addr);; i = (i + 1) & (cap - 1)) {
		if (table[i].addr == addr)
			return &table[i];
		if (!table[i].addr)
			return NULL;
	}
}

/* An entry of granule g at or after [addr, end), NULL if none. */
static struct sub_entry *find_in_granule_locked(uint64_t g, uint64_t addr, uint64_t end)
{
	for (size_t i = bucket(g << GRANULE);; i = (i + 1) & (cap - 1)) {
		if (!table[i].addr)
			return NULL;
		if (table[i].addr >> GRANULE == g && table[i].addr >= addr && table[i].addr < end)
			return &table[i];
	}
}

static int grow_locked(void)
{
	size_t ncap = cap ? 2 * cap : 1024, ocap = cap;
	struct sub_entry *n = __libc_calloc(ncap, sizeof *n), *old = table;
	if (!n)
		return -1;
	table = n;
	cap = ncap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].addr) {
			size_t j = bucket(old[i].addr);
			while (table[j].addr)
				j = (j + 1) & (cap - 1);
			table[j] = old[i];
		}
	__libc_free(old);
	return 0;
}

/* Empty entry e, moving back the entries of its cluster that would no
 * longer be found (linear probing without tombstones). */
static void remove_locked(struct sub_entry *e)
{
	struct stf_slot *s = slot_at(e->slot);
	s->addr = 0;
	s->kind = STF_SLOT_FREE;
	pthread_mutex_lock(&stf__slot_lock);
	stf__slot_put_locked(e->slot);
	pthread_mutex_unlock(&stf__slot_lock);
	atomic_fetch_sub(&stf__nsubs, 1);
	size_t i = (size_t)(e - table);
	for (size_t j = (i + 1) & (cap - 1); table[j].addr; j = (j + 1) & (cap - 1)) {
		size_t home = bucket(table[j].addr);
		/* j's entry may move to i when i lies between home and j */
		if (((j - home) & (cap - 1)) >= ((j - i) & (cap - 1))) {
			table[i] = table[j];
			i = j;
		}
	}
	table[i].addr = 0;
	mark_heap_changed();
}

int stf__sub_register(uint64_t addr, uint64_t size, uint32_t site, uint64_t id)
{
	ensure_tables();
	lock();
	struct sub_entry *e = find_locked(addr);
	if (!e) {
		if ((atomic_load(&stf__nsubs) + 1) * 4 > cap * 3 && grow_locked() < 0)
			goto nomem;
		pthread_mutex_lock(&stf__slot_lock);
		uint32_t slot = stf__slot_take_locked();
		pthread_mutex_unlock(&stf__slot_lock);
		if (!slot)
			goto nomem;
		size_t i = bucket(addr);
		while (table[i].addr)
			i = (i + 1) & (cap - 1);
		e = &table[i];
		e->addr = addr;
		e->slot = slot;
		atomic_fetch_add(&stf__nsubs, 1);
	}
	/* a new object, also where one was registered before */
	struct stf_slot *s = slot_at(e->slot);
	s->addr = addr;
	s->size = size;
	s->id = id ? id : next_id();
	s->site = site;
	s->kind = STF_SLOT_USER;
	mark_heap_changed();
	unlock();
	stf__heap_mark_subs(addr);
	return 0;
nomem:
	unlock();
	errno = ENOMEM;
	return -1;
}

int stf__sub_unregister(uint64_t addr)
{
	lock();
	struct sub_entry *e = find_locked(addr);
	if (e)
		remove_locked(e);
	unlock();
	return e ? 0 : -1;
}

bool stf__sub_registered(uint64_t addr)
{
	lock();
	bool found = find_locked(addr) != NULL;
	unlock();
	return found;
}

void stf__sub_forget(uint64_t addr, uint64_t size)
{
	lock();
	uint64_t end = addr + size, granules = ((end - 1) >> GRANULE) - (addr >> GRANULE) + 1;
	if (!cap || !size) {
		/* nothing registered */
	} else if (granules < cap) {
		for (uint64_t g = addr >> GRANULE; g <= (end - 1) >> GRANULE; g++) {
			struct sub_entry *e;
			while ((e = find_in_granule_locked(g, addr, end)))
				remove_locked(e);
		}
	} else {
		for (size_t i = 0; i < cap;) {
			if (table[i].addr >= addr && table[i].addr - addr < size)
				remove_locked(&table[i]); /* may move another entry to i */
			else
				i++;
		}
	}
	unlock();
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
	/* what the allocator returned is a whole block: the block is the
	 * object (a plain wrapper) */
	if (stf__heap_type_block(ptr, size, site)) {
		if (atomic_load_explicit(&stf__nsubs, memory_order_relaxed))
			stf__sub_forget((uintptr_t)ptr, 1);
		return;
	}
	if (size && stf__sub_register((uintptr_t)ptr, size, site, 0) < 0)
		stf__warn("out of memory registering an object an STF_ALLOCATOR "
			  "function handed out: it will be transferred as untyped memory");
}
