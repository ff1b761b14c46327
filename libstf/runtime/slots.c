/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slots.c - the table of the arguments slot allocators were called with
 * (see slots.h).  A call costs a hash and one probe once its pair is in
 * the table, which is the case of every call after the first with a
 * given cache: slabs are few and long-lived.  Adding takes a spin lock
 * (held for a few stores, a handful of times in a process's life); once
 * the table is full nothing more is tried.
 */
#include <stdatomic.h>
#include <stddef.h>

#include "slots.h"
#include "sub-shadow.h"
#include "stf-format.h"
#include "subobjects.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT struct stf_slot_args stf__slot_args = { .magic = STF_SLOT_ARGS_MAGIC };

static atomic_flag adding = ATOMIC_FLAG_INIT;
/* The pair the thread saw last: a pool's allocator is called with the
 * same pool over and over (pool-bench: 53 of the 470 instructions of a
 * pool_alloc + pool_free pair went to the table's probe).  Entries are
 * never removed, so a pair seen stays recorded. */
static __thread struct { uint64_t arg; uint32_t site, flags; } last_seen
	__attribute__((tls_model("initial-exec")));

static uint32_t slot_hash(uint64_t arg, uint32_t site)
{
	uint64_t h = (arg ^ ((uint64_t)site << 40)) * 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(h >> 40) & (STF_SLOT_ARGS_CAP - 1);
}

/* The entry of (arg, site, flags), or the empty entry where it goes;
 * NULL: full. */
static struct stf_slot_arg *probe(uint64_t arg, uint32_t site, uint32_t flags)
{
	uint32_t k = slot_hash(arg, site);
	for (uint32_t n = 0; n < STF_SLOT_ARGS_CAP; n++, k = (k + 1) & (STF_SLOT_ARGS_CAP - 1)) {
		struct stf_slot_arg *e = &stf__slot_args.e[k];
		uint32_t s = __atomic_load_n(&e->site, __ATOMIC_ACQUIRE);
		if (!s || (s == site && e->arg == arg && e->flags == flags))
			return e;
	}
	return NULL;
}

/* record's way for a pair other than the one seen last: out of line, so
 * that the test of the last one saves no registers (10 of a pool pair's
 * 25 instructions here, callgrind, pool-bench 1 64 1 lifo). */
static __attribute__((noinline)) void record_new(const void *fn, uint64_t a, uint32_t site,
						 uint32_t flags)
{
	struct stf_slot_arg *e = probe(a, site, flags);
	if (e && e->site) {
		last_seen.arg = a;
		last_seen.site = site;
		last_seen.flags = flags;
		return; /* known */
	}
	/* full once: the reader refuses the rebuild anyway, and every call
	 * with a new pair would take the lock */
	if (__atomic_load_n(&stf__slot_args.lost, __ATOMIC_RELAXED))
		return;
	while (atomic_flag_test_and_set_explicit(&adding, memory_order_acquire))
		;
	e = probe(a, site, flags); /* another thread may have added it */
	if (!e || stf__slot_args.n + 1 >= STF_SLOT_ARGS_CAP)
		__atomic_store_n(&stf__slot_args.lost, 1, __ATOMIC_RELAXED);
	else if (!e->site) {
		e->arg = a;
		e->fn = (uint64_t)(uintptr_t)fn;
		e->flags = flags;
		__atomic_store_n(&e->site, site, __ATOMIC_RELEASE);
		stf__slot_args.n++;
	}
	atomic_flag_clear_explicit(&adding, memory_order_release);
}

static inline void record(const void *fn, uint64_t a, const uint32_t *cell, uint32_t flags)
{
	uint32_t site = cell ? *cell : 0;
	if (site && (last_seen.site != site || last_seen.arg != a || last_seen.flags != flags))
		record_new(fn, a, site, flags);
}

EXPORT void stf__slot_arg(const void *fn, uint64_t masked_cache, const uint32_t *cell)
{
	record(fn, masked_cache, cell, 0); /* kept masked: see slots.h */
}

EXPORT void stf__slot_int_arg(const void *fn, uint64_t value, const uint32_t *cell)
{
	record(fn, value, cell, STF_SLOT_ARG_INT);
}

EXPORT void stf__sub_free(void *obj)
{
	/* noted in the shadow map: cleared there, else in a log or the
	 * registry */
	if (obj && !stf__shadow_cancel((uintptr_t)obj) && stf__subs_any())
		stf__sub_unregister((uintptr_t)obj);
}
