/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spans.c - the span allocator under the malloc family (spans.h).
 *
 * The region (heap half, then a metadata half of the same size for the
 * large spans: unit u's metadata is at the same offset in the second
 * half - a small span's is at its own end (root.h) -, then the span
 * tables) is a range of address space chosen once and mapped piece
 * by piece as units are carved from its start: nothing is reserved ahead,
 * so a server that lowers RLIMIT_AS after its startup (vsftpd: 100 MB per
 * session) still has its limit to allocate in.  Free runs of units wait
 * in lists by length (exact up to RUN_LISTS, one list for longer ones)
 * under span_lock, merged with the free runs next to them (a run's last
 * unit knows its first); a block freed with touched pages stays resident
 * while the dirty total is small (the next block reuses those pages
 * without faulting them in again), and is given back to the kernel
 * (MADV_DONTNEED) beyond that or when it is huge, as glibc unmaps its
 * largest blocks.  Small spans are owned by one thread (struct tcache): the fast
 * paths in alloc.c pop and push its free list; this file does the slow
 * paths: taking another span, adopting the spans of exited threads,
 * fork.  The frees of other threads' blocks are remote.c's; the pages of
 * a span's freed objects given back as the heap grows, purge.c's; blocks
 * over free objects of a smaller class, wide.c's; the size classes,
 * size-classes.c's.
 *
 * Everything here runs inside malloc, possibly in the dynamic loader:
 * raw system calls only.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#include "alloc.h"
#include "collapse.h"
#include "ctl.h"
#include "heap.h"
#include "spans.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define RUN_LISTS   64u        /* exact-length free run lists */
#define DIRTY_MAX   8192u      /* touched free units kept (512 MiB: glibc
                                  keeps its free chunks resident too) */
#define PURGE_UNITS 512u       /* a block this long (32 MiB, glibc's largest
                                  mmap threshold) is purged when freed */
#define COMMIT_STEP 64u        /* units made accessible at a time (4 MiB) */
#define HUGE_FROM   512u       /* objects beyond the first 32 MiB on huge pages */
#define HUGE_PAGE   (2ULL << 20)
#define HUGE_RANGES ((64ULL << 30) / HUGE_PAGE) /* of the largest region */
#define HUGE_UNTOUCHED 32u     /* 4 KiB pages a range may lack to be collapsed */

uintptr_t stf__heap_lo, stf__heap_bytes;
static uint64_t region_bytes;     /* the heap half's size: its address space */
static bool reserved;             /* not in the zone: reserved PROT_NONE, with
                                     the span tables whole (valgrind) */
struct span_st *stf__span_st;
struct stf_span *stf__spans;

pthread_mutex_t stf__span_lock = PTHREAD_MUTEX_INITIALIZER;
static char *meta_lo;             /* the metadata half */
static uint32_t max_units;
static uint32_t committed;        /* units accessible (heap and metadata) */
static struct span_st *runs[RUN_LISTS + 1]; /* [k]: runs of k units; [0]: longer */
static struct span_st *orphans[NCLASSES];
static uint32_t dirty_units;
/* Bit i: the i-th 2 MiB-aligned range of the region was collapsed into a
 * huge page (or is being); all set once the kernel refused one. */
static _Atomic uint64_t huge_done[HUGE_RANGES / 64];
_Static_assert(HUGE_FROM * UNIT / HUGE_PAGE < 64, "collapse.c: a bit per range below HUGE_FROM");

static inline uint32_t unit_of(const struct span_st *s)
{
	return (uint32_t)(s - stf__span_st);
}

/* The region: the heap half, the metadata half (as large), the public
 * and the private span tables, in a zone of address space of its own, far
 * below where the kernel puts mappings (a past version's shared mappings
 * must be free in its next version: a region the kernel placed could
 * cover them).  Slots of the zone are taken in turn along a lineage: a
 * next version starts after the highest range of the zone its past
 * version told it to avoid, so a stale pointer of an earlier version does
 * not come to point into a new block. */
#define ZONE_START  0x100000000000ULL
#define ZONE_SLOTS  64u
#define PAGE_UP(n)  (((n) + 4095) & ~(uint64_t)4095)

static uint64_t pub_offset(uint64_t bytes)
{
	return 2 * bytes;
}

static uint64_t priv_offset(uint64_t bytes)
{
	return pub_offset(bytes) + PAGE_UP(bytes / UNIT * sizeof(struct stf_span));
}

static uint64_t slot_bytes(uint64_t bytes)
{
	return PAGE_UP(priv_offset(bytes) + bytes / UNIT * sizeof(struct span_st));
}

/* Map [base + from, base + to) (page-rounded) read-write where nothing is
 * mapped; 0, or -1 (something is there, or no address space is left). */
static int map_part(char *base, uint64_t from, uint64_t to)
{
	from = PAGE_UP(from);
	to = PAGE_UP(to);
	if (to <= from)
		return 0;
	void *want = base + from;
	void *p = stf__raw_mmap(want, to - from, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
				-1, 0);
	if (p == want)
		return 0;
	if (p != MAP_FAILED)  /* a kernel without NOREPLACE: elsewhere */
		stf__raw_munmap(p, to - from);
	return -1;
}

/* Make units [from, to) of the region accessible: heap, metadata and
 * their entries of the span tables.  On failure, what this call mapped is
 * unmapped again (and only that: a range taken by someone else stays). */
static int grow_region(char *region, uint64_t bytes, uint32_t from, uint32_t to)
{
	uint64_t lo = (uint64_t)from * UNIT, hi = (uint64_t)to * UNIT;
	if (reserved)
		return mprotect(region + lo, hi - lo, PROT_READ | PROT_WRITE) ||
		       mprotect(region + bytes + lo, hi - lo, PROT_READ | PROT_WRITE) ? -1 : 0;
	uint64_t po = pub_offset(bytes), vo = priv_offset(bytes);
	const uint64_t parts[4][2] = {
		{ lo, hi },
		{ bytes + lo, bytes + hi },
		{ po + from * sizeof(struct stf_span), po + to * sizeof(struct stf_span) },
		{ vo + from * sizeof(struct span_st), vo + to * sizeof(struct span_st) },
	};
	for (int i = 0; i < 4; i++)
		if (map_part(region, parts[i][0], parts[i][1])) {
			while (i-- > 0) {
				uint64_t a = PAGE_UP(parts[i][0]), b = PAGE_UP(parts[i][1]);
				if (b > a)
					stf__raw_munmap(region + a, b - a);
			}
			return -1;
		}
	return 0;
}

/* Does this process start as the reversed version of an update
 * (STF_ROLE=reversed in its initial environment)? */
static bool starts_reversed(void)
{
	char role[16];
	return stf__initial_env(STF_ENV_ROLE "=", role, sizeof role) && !strcmp(role, "reversed");
}

/* A free slot of the zone for a region of bytes, its first units mapped;
 * NULL if the zone is not usable here.  A slot holding a range the past
 * version published (its heap, blocks kept at their addresses since
 * earlier versions: the slots are taken in turn and wrap around) is
 * skipped whole: the heap would meet that range as it grows.  The
 * reversed version leaves the first free slot to the new version, which
 * takes it (both avoid the same ranges): the way back creates the new
 * version's blocks that keep their address (a word the transfer does not
 * rewrite points to them: a pthread key's value) at that address in the
 * reversed version, whose own startup, the new version's twin, would
 * have put its blocks there too. */
static char *zone_region(uint64_t bytes)
{
	uint64_t slot = slot_bytes(bytes);
	uint64_t past = stf__avoided_end_in(ZONE_START, ZONE_START + ZONE_SLOTS * slot);
	uint32_t first = past ? (uint32_t)((past - ZONE_START + slot - 1) / slot) : 0;
	uint32_t future_slots = starts_reversed();
	for (uint32_t i = 0; i < ZONE_SLOTS; i++) {
		uint64_t at = ZONE_START + (first + i) % ZONE_SLOTS * slot;
		if (stf__avoided_end_in(at, at + slot) != 0)
			continue;
		if (future_slots) {
			future_slots--;
			continue;
		}
		if (grow_region((char *)(uintptr_t)at, bytes, 0, COMMIT_STEP) == 0)
			return (char *)(uintptr_t)at;
	}
	return NULL;
}

/* The region anywhere, reserved whole (where the zone cannot be mapped:
 * valgrind keeps its own layout), the span tables mapped whole. */
static char *reserved_region(uint64_t bytes)
{
	uint64_t size = slot_bytes(bytes);
	void *p = stf__raw_mmap(NULL, size, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	char *region = p;
	uint64_t tables = pub_offset(bytes);
	if (mprotect(region + tables, size - tables, PROT_READ | PROT_WRITE) ||
	    mprotect(region, (uint64_t)COMMIT_STEP * UNIT, PROT_READ | PROT_WRITE) ||
	    mprotect(region + bytes, (uint64_t)COMMIT_STEP * UNIT, PROT_READ | PROT_WRITE)) {
		stf__raw_munmap(region, size);
		return NULL;
	}
	reserved = true;
	return region;
}

int stf__spans_init(void)
{
	/* As much address space as the system gives (valgrind, ulimit -v). */
	for (uint64_t bytes = 64ULL << 30; bytes >= 64ULL << 20; bytes /= 2) {
		char *region = zone_region(bytes);
		if (!region)
			region = reserved_region(bytes);
		if (!region)
			continue;
		stf__spans = (struct stf_span *)(region + pub_offset(bytes));
		stf__span_st = (struct span_st *)(region + priv_offset(bytes));
		meta_lo = region + bytes;
		max_units = (uint32_t)(bytes / UNIT);
		committed = COMMIT_STEP;
		region_bytes = bytes;
		stf__root.heap_base = (uintptr_t)region;
		stf__root.heap_meta = (uintptr_t)meta_lo;
		stf__root.spans = (uintptr_t)stf__spans;
		stf__root.heap_units = 0;
		stf__heap_lo = (uintptr_t)region;
		atomic_thread_fence(memory_order_release);
		stf__heap_bytes = (uint64_t)committed * UNIT;
		return 0;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Units (under span_lock).                                              */

static struct span_st **run_list(uint32_t k)
{
	return &runs[k <= RUN_LISTS ? k : 0];
}

/* Units [u, u + k) form one free run, listed by its length (the lists
 * are doubly linked: a neighbour merging in leaves its list at once). */
static void set_run(uint32_t u, uint32_t k, uint8_t dirty)
{
	struct span_st *s = &stf__span_st[u];
	stf__spans[u] = (struct stf_span){ STF_SPAN_FREE, 0, 0, { k } };
	s->kind = STF_SPAN_FREE;
	s->dirty = dirty;
	stf__span_st[u + k - 1].cap = k - 1;  /* the last unit finds the first */
	struct span_st **list = run_list(k);
	s->prev = NULL;
	s->next = *list;
	if (*list)
		(*list)->prev = s;
	*list = s;
	if (dirty)
		dirty_units += k;
}

/* Take the free run starting at unit u out of its list. */
static void unlink_run_locked(uint32_t u)
{
	struct span_st *s = &stf__span_st[u];
	uint32_t len = stf__spans[u].nunits;
	if (s->prev)
		s->prev->next = s->next;
	else
		*run_list(len) = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (s->dirty)
		dirty_units -= len;
}

static void purge(uint32_t u, uint32_t k)
{
	madvise((char *)stf__heap_lo + (uint64_t)u * UNIT, (uint64_t)k * UNIT, MADV_DONTNEED);
	madvise(meta_lo + (uint64_t)u * UNIT, (uint64_t)k * UNIT, MADV_DONTNEED);
}

/* Units [u, u + k) are free: one run with the free runs around them. */
static void give_units_locked(uint32_t u, uint32_t k)
{
	for (uint32_t i = 1; i < k; i++) {
		stf__spans[u + i].kind = STF_SPAN_FREE;
		stf__span_st[u + i].kind = STF_SPAN_FREE;
	}
	uint8_t dirty = 1;
	if (k >= PURGE_UNITS || dirty_units + k > DIRTY_MAX) {
		purge(u, k);
		dirty = 0;
	}
	if (u > 0 && stf__span_st[u - 1].kind == STF_SPAN_FREE) {
		uint32_t first = u - 1 - stf__span_st[u - 1].cap;
		dirty |= stf__span_st[first].dirty;
		unlink_run_locked(first);
		k += u - first;
		u = first;
	}
	uint32_t next = u + k;
	if (next < stf__root.heap_units && stf__span_st[next].kind == STF_SPAN_FREE) {
		dirty |= stf__span_st[next].dirty;
		unlink_run_locked(next);
		k += stf__spans[next].nunits;
	}
	set_run(u, k, dirty);
}

/* Units [0, to) accessible: 0, or -1 (no address space). */
static int commit_locked(uint32_t to)
{
	if (to <= committed)
		return 0;
	to = to + COMMIT_STEP - 1;
	to = to - to % COMMIT_STEP;
	if (to > max_units)
		to = max_units;
	if (grow_region((char *)stf__heap_lo, region_bytes, committed, to))
		return -1;
	/* A heap this large is walked at random: the TLB misses of 4
	 * KiB pages (objects, and their metadata elsewhere) cost more
	 * than the allocation.  Below, 4 KiB pages, which a huge page
	 * replaces once its range is filled (consider_huge): a huge
	 * page partly used would weigh on a small heap's memory. */
	if (to > HUGE_FROM) {
		uint64_t from = (uint64_t)(committed > HUGE_FROM ? committed : HUGE_FROM) * UNIT;
		madvise((char *)stf__heap_lo + from, (uint64_t)to * UNIT - from, MADV_HUGEPAGE);
	}
	committed = to;
	atomic_thread_fence(memory_order_release);
	stf__heap_bytes = (uint64_t)to * UNIT;
	return 0;
}

/* Below HUGE_FROM the heap keeps 4 KiB pages, except in the 2 MiB-aligned
 * ranges its objects fill: a range whose pages are resident (mincore) or
 * in small spans with every object carved (glibc would have written a
 * chunk header in each of them), all but HUGE_UNTOUCHED (128 KiB), is
 * collapsed into one huge page (MADV_COLLAPSE, by libstf's collapser
 * thread: collapse.c): it costs little memory
 * and spares a walk of a long-lived set its TLB misses (1.7x glibc's time
 * on 4 KiB pages).  A range of partly carved spans, large blocks partly
 * touched or purged units stays as it is.  Called, outside span_lock
 * (mincore), when a span of the range is
 * first found full with every object carved: the last unit carved in a
 * range of small spans is such a span.  `at`: an address in the range. */
static void consider_huge(uintptr_t at)
{
	uintptr_t first = (stf__heap_lo + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	if (at < first || atomic_load_explicit(&stf__no_collapse, memory_order_relaxed))
		return;
	uint64_t i = (at - first) / HUGE_PAGE;
	uintptr_t lo = first + i * HUGE_PAGE, hi = lo + HUGE_PAGE;
	uint64_t bit = 1ULL << (i % 64);
	if (i >= HUGE_RANGES || lo >= stf__heap_lo + (uint64_t)HUGE_FROM * UNIT ||
	    hi > stf__heap_lo + stf__root.heap_units * UNIT ||
	    (atomic_load_explicit(&huge_done[i / 64], memory_order_relaxed) & bit))
		return;
	/* pages not resident, but in spans with every object carved */
	uint64_t u0 = (lo - stf__heap_lo) / UNIT, u1 = (hi - stf__heap_lo + UNIT - 1) / UNIT;
	unsigned char resident[HUGE_PAGE / PAGE];
	bool looked = false;
	uint32_t missing = 0;
	for (uint64_t u = u0; u < u1; u++) {
		const struct span_st *s = &stf__span_st[u];
		if (s->kind == STF_SPAN_SMALL && s->bump == s->cap)
			continue;
		if (!looked && mincore((void *)lo, HUGE_PAGE, resident))
			return;
		looked = true;
		uintptr_t from = stf__heap_lo + u * UNIT, to = from + UNIT;
		from = from > lo ? from : lo;
		to = to < hi ? to : hi;
		for (uintptr_t p = from; p < to; p += PAGE)
			missing += !(resident[(p - lo) / PAGE] & 1);
	}
	if (missing > HUGE_UNTOUCHED)
		return;
	if ((atomic_fetch_or_explicit(&huge_done[i / 64], bit, memory_order_relaxed) & bit))
		return;
	stf__collapse_queue(i, lo);
}

/* k free units: their first; *dirty: whether they may hold old bytes.
 * max_units if none is left. */
static uint32_t take_units_locked(uint32_t k, uint8_t *dirty)
{
	struct span_st *s = NULL;
	for (uint32_t len = k; len <= RUN_LISTS && !s; len++)
		s = runs[len];
	for (struct span_st *l = runs[0]; !s && l; l = l->next)
		if (stf__spans[unit_of(l)].nunits >= k)
			s = l;
	if (s) {
		uint32_t u = unit_of(s), len = stf__spans[u].nunits;
		unlink_run_locked(u);
		*dirty = s->dirty;
		if (len > k)
			set_run(u + k, len - k, s->dirty);
		return u;
	}
	uint32_t u = (uint32_t)stf__root.heap_units;
	if (k > max_units - u || commit_locked(u + k) < 0)
		return max_units;
	stf__root.heap_units = u + k;
	*dirty = 0;
	return u;
}

void stf__spans_prefault(uint64_t bytes)
{
	uint64_t units = (bytes + UNIT - 1) / UNIT;
	pthread_mutex_lock(&stf__span_lock);
	uint32_t u = (uint32_t)stf__root.heap_units;
	if (units > max_units - u || commit_locked(u + (uint32_t)units) < 0) {
		pthread_mutex_unlock(&stf__span_lock);
		return;
	}
	pthread_mutex_unlock(&stf__span_lock);
	/* Huge pages also below HUGE_FROM: only a transfer calls this, for
	 * the heap a state about to arrive fills (the reversed version,
	 * thrown away after the diff; the new version, no more than its
	 * blocks' sizes), where 4 KiB pages cost a fault each and as much
	 * again on their first write.  Then it only faults zero pages in:
	 * units carved meanwhile keep their bytes. */
	(void)madvise((char *)stf__heap_lo + (uint64_t)u * UNIT, units * UNIT, MADV_HUGEPAGE);
	(void)madvise((char *)stf__heap_lo + (uint64_t)u * UNIT, units * UNIT,
		      MADV_POPULATE_WRITE);
}

/* ------------------------------------------------------------------ */
/* Small spans.                                                           */

static void small_init(struct span_st *s, uint32_t c)
{
	uint32_t u = unit_of(s), size = stf__class_size[c];
	/* (what the span table says: the room of its objects, root.h) */
	uint32_t public_size = c == TRAILER_CLASS ? STF_TRAILER_SIZE : size;
	_Static_assert(STF_TRAILER_SIZE + sizeof(struct stf_obj_meta8) == 32 &&
		       sizeof(struct stf_obj_meta8) << 2 == 32, "TRAILER_CLASS: entries 4 apart");
	s->free = NULL;
	atomic_store_explicit(&s->remote, NULL, memory_order_relaxed);
	s->base = (char *)stf__heap_lo + (uint64_t)u * UNIT;
	s->meta = (struct stf_obj_meta *)(uintptr_t)stf_small_meta((uintptr_t)s->base,
								      public_size);
	s->entry_shift = (uint8_t)__builtin_ctz(stf_small_meta_stride(public_size));
	s->used = 0;
	s->bump = 0;
	s->cap = stf_small_cap(public_size);
	s->obj_size = size;
	s->recip = (uint32_t)((0x100000000ULL + size - 1) / size);
	s->cls = (uint8_t)c;
	s->compact = c < NCOMPACT;
	s->word_at = s->compact ? offsetof(struct stf_obj_meta8, word) :
		     offsetof(struct stf_obj_meta, site);
	/* (the owner's: alloc.c moves it to the high half of its IDs) */
	s->id_hi = s->compact ? stf__tc.compact_hi : 0;
	s->full = 0;
	s->filled = 0;
	s->purged = 0;
	s->scan_used = s->cap;  /* (as if full when last looked at) */
	s->wide_used = UINT32_MAX;
	s->kind = STF_SPAN_SMALL;
	stf__spans[u] = (struct stf_span){ STF_SPAN_SMALL, public_size, 0,
					   { s->compact ? s->id_hi : 1 } };
}

/* The owner's lists of a class: the spans it allocates from (the first
 * one first), and the spans that were found full, kept apart so that
 * looking for a free object does not walk them every time. */
static struct span_st **list_head(const struct span_st *s)
{
	return s->full ? &stf__tc.full[s->cls] : &stf__tc.spans[s->cls];
}

static void list_unlink(struct span_st *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		*list_head(s) = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else if (s->full)
		stf__tc.full_tail[s->cls] = s->prev;
}

static void list_push_front(struct span_st *s)
{
	struct span_st **head = list_head(s);
	s->prev = NULL;
	s->next = *head;
	if (*head)
		(*head)->prev = s;
	else if (s->full)
		stf__tc.full_tail[s->cls] = s;
	*head = s;
}

/* Move s between the two lists. */
static void list_move(struct span_st *s, uint8_t full)
{
	list_unlink(s);
	s->full = full;
	list_push_front(s);
}

void stf__span_unfull(struct span_st *s)
{
	list_move(s, 0);
}

static void release_locked(struct span_st *s)
{
	atomic_store_explicit(&s->owner, NULL, memory_order_relaxed);
	give_units_locked(unit_of(s), 1);
}

void stf__span_emptied(struct span_st *s)
{
	list_unlink(s);
	if (!stf__tc.spare) {
		/* kept empty for the next class this thread needs a span of */
		stf__spans[unit_of(s)].nobj = 0;
		s->free = NULL;
		s->bump = 0;
		stf__tc.spare = s;
		return;
	}
	pthread_mutex_lock(&stf__span_lock);
	release_locked(s);
	pthread_mutex_unlock(&stf__span_lock);
}

static struct span_st *adopt_orphan_locked(uint32_t c);

/* A span for class c that is not in the thread's list yet: its spare,
 * an orphan, or fresh units; owned by the thread, first in its list. */
static struct span_st *another_span(uint32_t c)
{
	struct span_st *s = stf__tc.spare;
	if (s) {
		stf__tc.spare = NULL;
		small_init(s, c);
	} else {
		uint8_t dirty = 1;
		pthread_mutex_lock(&stf__span_lock);
		s = adopt_orphan_locked(c);
		if (!s) {
			uint32_t u = take_units_locked(1, &dirty);
			if (u < max_units) {
				s = &stf__span_st[u];
				small_init(s, c);
			}
		}
		if (s)
			atomic_store_explicit(&s->owner, &stf__tc, memory_order_release);
		pthread_mutex_unlock(&stf__span_lock);
		if (!s)
			return NULL;
		if (!dirty)
			stf__purge_grown(1);
	}
	atomic_store_explicit(&s->owner, &stf__tc, memory_order_release);
	list_push_front(s);
	return s;
}

#define FULL_LOOKS 4u  /* full spans looked at before taking another */

/* s (full, out of the lists) goes to the end of the full list. */
static void append_full(struct span_st *s)
{
	struct span_st *tail = stf__tc.full_tail[s->cls];
	s->full = 1;
	s->prev = tail;
	s->next = NULL;
	if (tail)
		tail->next = s;
	else
		stf__tc.full[s->cls] = s;
	stf__tc.full_tail[s->cls] = s;
}

struct span_st *stf__span_refill(uint32_t c, size_t wide_size, uint64_t wide_id, void **wide)
{
	ensure_tables();
	if (!region_bytes) {
		errno = ENOMEM;
		return NULL;
	}
	stf__tc_register();
	if (__builtin_expect(!stf__tc.listed, 0))
		stf__list_thread();
	/* (free objects of c taken for larger blocks before the heap grows) */
	if (stf__tc.nwide)
		stf__wide_give_back(c);
	for (;;) {
		struct span_st *s, *next;
		for (s = stf__tc.spans[c]; s; s = next) {
			next = s->next;
			stf__remote_collect(s);
			if (!s->free && s->bump == s->cap && s->purged)
				stf__unpurge_page(s);
			if (s->free || s->bump < s->cap) {
				if (s->prev) {
					list_unlink(s);
					list_push_front(s);
				}
				return s;
			}
			list_move(s, 1);
			/* (the transfer's objects: considered when found full
			 * again, after the update's pause) */
			if (s->bump == s->cap && !s->filled && !stf__tc.transferring) {
				s->filled = 1;
				uintptr_t last = (uintptr_t)s->base + UNIT - 1;
				int saved = errno;
				consider_huge((uintptr_t)s->base);
				if (last / HUGE_PAGE != (uintptr_t)s->base / HUGE_PAGE)
					consider_huge(last);
				errno = saved;
			}
		}
		/* A few full spans, in turn: other threads' frees wait on
		 * their remote lists. */
		for (uint32_t i = 0; i < FULL_LOOKS && (s = stf__tc.full[c]); i++) {
			stf__remote_collect(s);
			if (!s->free && s->purged)
				stf__unpurge_page(s);
			if (s->free) {
				list_move(s, 0);
				return s;
			}
			list_unlink(s);
			append_full(s);
		}
		/* Over free objects of smaller classes only where the heap
		 * would grow: the thread's spare or an orphan of the class
		 * (the spans of an exited thread, with the frees that came
		 * after it: larson's generations) is memory the heap holds
		 * already, and taking it costs no walk of free lists (wide.c
		 * took a quarter of larson's time before them).  The orphans
		 * are read without the lock: a miss only means wide.c. */
		if (wide && !stf__tc.spare &&
		    !__atomic_load_n(&orphans[c], __ATOMIC_RELAXED) &&
		    (*wide = stf__wide_take(c, wide_size, wide_id)))
			return span_of((uintptr_t)*wide);
		/* an adopted orphan may be full: then look again */
		if (!another_span(c)) {
			errno = ENOMEM;
			return NULL;
		}
	}
}

/* Under span_lock: s (owned by a thread that is gone or leaving) goes to
 * the orphans of its class, or back to the free units when empty and
 * its class has an orphan already: the first empty one is kept, carved,
 * for the next thread that needs the class (a thread per connection
 * took each span again from the free units and laid out its objects,
 * a fifth of its malloc's instructions). */
static void orphan_locked(struct span_st *s)
{
	stf__remote_collect(s);
	if (!s->used && orphans[s->cls]) {
		release_locked(s);
		return;
	}
	atomic_store_explicit(&s->owner, NULL, memory_order_release);
	s->full = 0;
	s->prev = NULL;
	s->next = orphans[s->cls];
	orphans[s->cls] = s;
}

/* Under span_lock: the calling thread's spans of class c become orphans. */
static void orphan_class_locked(uint32_t c)
{
	struct span_st *s, *next;
	for (s = stf__tc.spans[c]; s; s = next) {
		next = s->next;
		orphan_locked(s);
	}
	for (s = stf__tc.full[c]; s; s = next) {
		next = s->next;
		orphan_locked(s);
	}
	stf__tc.spans[c] = stf__tc.full[c] = stf__tc.full_tail[c] = NULL;
}

/* Under span_lock: an orphan of class c the calling thread can own (a
 * compact one of its high half), off the list; NULL if none.  An orphan
 * of another high half that emptied meanwhile is released on the way
 * (the threads of its half may all have moved on). */
static struct span_st *adopt_orphan_locked(uint32_t c)
{
	struct span_st **link = &orphans[c], *s;
	while ((s = *link)) {
		if (!s->compact || s->id_hi == stf__tc.compact_hi) {
			*link = s->next;
			return s;
		}
		stf__remote_collect(s);
		if (!s->used) {
			*link = s->next;
			release_locked(s);
			continue;
		}
		link = &s->next;
	}
	return NULL;
}

void stf__spans_compact_hi(uint32_t hi)
{
	stf__wide_flush(&stf__tc);
	stf__flush_freed(&stf__tc);
	pthread_mutex_lock(&stf__span_lock);
	for (uint32_t c = 0; c < NCOMPACT; c++)
		orphan_class_locked(c);
	pthread_mutex_unlock(&stf__span_lock);
	stf__tc.compact_hi = hi;
}

bool stf__spans_own_compact(void)
{
	for (uint32_t c = 0; c < NCOMPACT; c++)
		if (stf__tc.spans[c] || stf__tc.full[c])
			return true;
	return false;
}

void stf__spans_thread_exit(void)
{
	stf__wide_flush(&stf__tc);
	stf__flush_freed(&stf__tc);
	stf__flush_foreign(&stf__tc);
	pthread_mutex_lock(&stf__span_lock);
	if (stf__tc.listed)
		stf__unlist_thread_locked(&stf__tc);
	for (uint32_t c = 0; c < NCLASSES; c++)
		if (stf__tc.spans[c] || stf__tc.full[c])
			orphan_class_locked(c);
	if (stf__tc.spare)
		release_locked(stf__tc.spare);
	stf__tc.spare = NULL;
	for (uint32_t k = 0; k < LARGE_CACHE; k++)
		if (stf__tc.large[k]) {
			give_units_locked(unit_of(stf__tc.large[k]), k + 1);
			stf__tc.large[k] = NULL;
		}
	pthread_mutex_unlock(&stf__span_lock);
}

void stf__spans_fork_prepare(void)
{
	pthread_mutex_lock(&stf__span_lock);
}

void stf__spans_fork_parent(void)
{
	pthread_mutex_unlock(&stf__span_lock);
}

/* The child has one thread: the spans other threads owned are orphans
 * (their free lists are intact: no thread was inside malloc, the lock
 * was held). */
void stf__spans_fork_child(void)
{
	stf__collapse_fork_child();
	stf__remote_fork_child_locked();
	uint32_t high = (uint32_t)stf__root.heap_units;
	for (uint32_t u = 0; u < high; u++) {
		struct span_st *s = &stf__span_st[u];
		struct tcache *o = atomic_load_explicit(&s->owner, memory_order_relaxed);
		if (s->kind == STF_SPAN_SMALL && o && o != &stf__tc)
			orphan_locked(s);
	}
	pthread_mutex_unlock(&stf__span_lock);
}

/* ------------------------------------------------------------------ */
/* Large objects.                                                         */

void *stf__large_alloc(size_t size, size_t align, uint32_t site_word, uint64_t id, bool zero)
{
	ensure_tables();
	uint64_t lead = align > UNIT ? align - UNIT : 0;
	if (!region_bytes || size > region_bytes - lead) {
		errno = ENOMEM;
		return NULL;
	}
	/* one byte more: the end is never the next span's start (alloc.c) */
	uint32_t k = (uint32_t)((size + 1 + lead + UNIT - 1) / UNIT);
	uint8_t dirty;
	struct span_st *s;
	if (!lead && k <= LARGE_CACHE && (s = stf__tc.large[k - 1])) {
		/* the thread's last freed span of this length: no lock */
		stf__tc.large[k - 1] = NULL;
		dirty = 1;
		goto describe;
	}
	pthread_mutex_lock(&stf__span_lock);
	uint32_t u = take_units_locked(k, &dirty);
	if (u == max_units) {
		pthread_mutex_unlock(&stf__span_lock);
		errno = ENOMEM;
		return NULL;
	}
	uintptr_t start = stf__heap_lo + (uint64_t)u * UNIT;
	uintptr_t obj = align > UNIT ? (start + align - 1) & ~(uintptr_t)(align - 1) : start;
	/* units before the aligned object's go back (the lead) */
	uint32_t skip = (uint32_t)((obj - start) / UNIT);
	uint32_t used = (uint32_t)((obj - start + size + 1 + UNIT - 1) / UNIT) - skip;
	uint32_t first = u + skip;
	s = &stf__span_st[first];
	s->kind = STF_SPAN_LARGE;
	s->compact = 0;
	s->base = (char *)(stf__heap_lo + (uint64_t)first * UNIT);
	s->meta = (struct stf_obj_meta *)(meta_lo + (uint64_t)first * UNIT);
	s->obj_size = 0;
	s->cap = used;
	atomic_store_explicit(&s->owner, NULL, memory_order_relaxed);
	stf__spans[first] = (struct stf_span){ STF_SPAN_LARGE, 0, 1, { used } };
	for (uint32_t i = 1; i < used; i++) {
		stf__spans[first + i] = (struct stf_span){ STF_SPAN_CONT, 0, 0, { i } };
		stf__span_st[first + i].kind = STF_SPAN_CONT;
		stf__span_st[first + i].cap = i;
	}
	/* the units before the aligned object and after it go back, once
	 * the object's own are no longer marked free (they would merge) */
	if (skip)
		give_units_locked(u, skip);
	if (k > skip + used)
		give_units_locked(first + used, k - skip - used);
	/* (no purge.c here: a small span's free page cannot hold a large
	 * block, and giving them back as large blocks grow cost Redis's sds
	 * strings a quarter of their time, sdsgrow) */
	pthread_mutex_unlock(&stf__span_lock);
describe:
	if (zero && dirty)
		memset(s->base, 0, size);
	s->meta[0].id = id ? id : next_id();
	s->meta[0].site = site_word;
	large_set_size(s, size);
	return s->base;
}

bool stf__large_grow(struct span_st *s, size_t size)
{
	uint32_t u = unit_of(s), k = s->cap;
	uint64_t need = (size + 1 + UNIT - 1) / UNIT;
	bool ok = false;
	pthread_mutex_lock(&stf__span_lock);
	uint32_t next = u + k;
	if (need > k && next < stf__root.heap_units && stf__spans[next].kind == STF_SPAN_FREE &&
	    stf__spans[next].nunits >= need - k) {
		uint32_t len = stf__spans[next].nunits, more = (uint32_t)need - k;
		uint8_t dirty = stf__span_st[next].dirty;
		unlink_run_locked(next);
		if (len > more)
			set_run(next + more, len - more, dirty);
		for (uint32_t i = k; i < need; i++) {
			stf__spans[u + i] = (struct stf_span){ STF_SPAN_CONT, 0, 0, { i } };
			stf__span_st[u + i].kind = STF_SPAN_CONT;
			stf__span_st[u + i].cap = i;
		}
		s->cap = (uint32_t)need;
		stf__spans[u].nunits = (uint32_t)need;
		ok = true;
	}
	pthread_mutex_unlock(&stf__span_lock);
	if (ok)
		large_set_size(s, size);
	return ok;
}

void stf__large_trim(struct span_st *s, size_t size)
{
	uint32_t need = (uint32_t)((size + 1 + UNIT - 1) / UNIT);
	if (need < s->cap) {
		pthread_mutex_lock(&stf__span_lock);
		give_units_locked(unit_of(s) + need, s->cap - need);
		s->cap = need;
		stf__spans[unit_of(s)].nunits = need;
		pthread_mutex_unlock(&stf__span_lock);
	}
	large_set_size(s, size);
}

void stf__large_free(struct span_st *s)
{
	s->meta[0].id = 0;
	if (s->cap <= LARGE_CACHE && !stf__tc.large[s->cap - 1]) {
		/* kept for the thread's next block of this length (the
		 * enumeration skips it: its id is 0) */
		stf__tc_register();
		stf__tc.large[s->cap - 1] = s;
		return;
	}
	pthread_mutex_lock(&stf__span_lock);
	give_units_locked(unit_of(s), s->cap);
	pthread_mutex_unlock(&stf__span_lock);
}

/* ------------------------------------------------------------------ */
/* Enumeration.                                                           */

int stf__spans_each(int (*fn)(void *ctx, uint64_t addr, const struct stf_obj_meta *m,
			      uint64_t size), void *ctx)
{
	uint32_t high = (uint32_t)stf__root.heap_units;
	for (uint32_t u = 0; u < high; u++) {
		const struct span_st *s = &stf__span_st[u];
		int r = 0;
		if (s->kind == STF_SPAN_SMALL) {
			uint32_t n = stf__spans[u].nobj;
			for (uint32_t j = 0; j < n && !r; j++)
				if (meta_live(s, j)) {
					struct stf_obj_meta m = { meta_id(s, j), meta_word(s, j),
								  (uint32_t)meta_size(s, j) };
					r = fn(ctx, (uintptr_t)s->base + (uint64_t)j * s->obj_size,
					       &m, m.size);
				}
		} else if (s->kind == STF_SPAN_LARGE && s->meta[0].id) {
			r = fn(ctx, (uintptr_t)s->base, &s->meta[0], large_size(s));
		}
		if (r)
			return r;
	}
	return 0;
}

uint64_t stf__spans_carved(void)
{
	uint64_t n = 0;
	uint32_t high = (uint32_t)stf__root.heap_units;
	for (uint32_t u = 0; u < high; u++)
		n += stf__spans[u].kind == STF_SPAN_SMALL ? stf__spans[u].nobj :
		     stf__spans[u].kind == STF_SPAN_LARGE;
	return n;
}

void stf__spans_extent(uint64_t *start, uint64_t *end)
{
	*start = stf__heap_lo;
	*end = stf__heap_lo + stf__root.heap_units * UNIT;
}
