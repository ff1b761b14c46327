/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * placement.c - heap blocks at chosen addresses, and the address ranges a
 * past version's heap occupies (heap-design.md §1).
 *
 * stf__alloc_at (alloc.c) creates a tracked block at exactly the address
 * a block had in the past version P.  Its memory comes from "adopted
 * pages": pages mapped at that address for placed blocks only, with a
 * bitmap of the 16-byte granules their blocks occupy, so a second
 * placement that overlaps is refused (EEXIST) and a page is given back
 * when its last block is freed.  A placed block is a slot of kind
 * STF_SLOT_HEAP (root.h), found from its address in a hash table.
 *
 * So that the new and reversed versions (F, R) never put their own
 * allocations where P's blocks are, P publishes the mappings holding its
 * live heap blocks, and the program's own mappings, in the environment of
 * F and R (STF_AVOID=<start>-<end>, hexadecimal, comma-separated); F and
 * R reserve those ranges (PROT_NONE, MAP_NORESERVE) at their first
 * allocation, before glibc's allocator has taken any memory, and adopted
 * pages inside them are made accessible on demand; a mapping re-created
 * at its address (stf__claim_pages) takes its range out of them.  Blocks placed in F are ordinary blocks of F, so the ranges F
 * publishes for the next update cover them too (chained updates).
 *
 * The reservation runs inside the first malloc, possibly in the dynamic
 * loader: raw system calls and reserve()d memory only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "heap.h"
#include "subobjects.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define GRANULE 16u
#define GRANULES_PER_PAGE (PAGE / GRANULE)
#define MAX_AVOIDED    65536u   /* reserved pieces of avoided ranges */
#define MAX_MAPPED     65536u   /* this process's mappings, at startup */
#define AVOID_ENV_CAP  (256u * 1024)
#define PUBLISHED_MAX  2048u    /* ranges in STF_AVOID (one env string) */
#define HUGE_PAGE      (2ULL << 20)
/* Fewer placed blocks than this fault their pages in one by one cheaply. */
#define PLACE_BATCH_MIN 64u

struct range { uint64_t start, end; };

/* End of the granules a placed block occupies. */
static uint64_t placed_end(uint64_t addr, uint64_t size)
{
	return addr + ((size ? size : 1) + GRANULE - 1) / GRANULE * GRANULE;
}

static void *reserve_rw(size_t bytes)
{
	void *p = stf__raw_mmap(NULL, bytes, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* A hash table's memory (placed blocks, adopted pages): rebuilt whole at
 * each growth, so written all over at random.  A large one (a transfer
 * that keeps half a million blocks at their address: Redis's strings)
 * takes huge pages, populated in one call: on 4 KiB pages each first
 * write faulted (16,400 faults, about a third of a Redis-shaped
 * update's, in each of the new and the reversed version). */
static void *reserve_table(size_t bytes)
{
	void *p = reserve_rw(bytes);
	if (p && bytes >= HUGE_PAGE) {
		(void)madvise(p, bytes, MADV_HUGEPAGE);
		(void)madvise(p, bytes, MADV_POPULATE_WRITE);
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* Avoided ranges: reserved at startup, sorted, never changed after.    */

static struct range *avoided;
static size_t navoided;

/* The mappings of this process, ascending, into out[cap]; their count. */
static size_t read_own_mappings(struct range *out, size_t cap)
{
	int fd = (int)syscall(SYS_open, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[4096];
	size_t n = 0;
	uint64_t cur[2] = { 0, 0 };
	int field = 0;      /* 0: start, 1: end, 2: rest of the line */
	ssize_t got;
	while ((got = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < got; i++) {
			char c = buf[i];
			if (c == '\n') {
				if (field >= 1 && n < cap)
					out[n++] = (struct range){ cur[0], cur[1] };
				cur[0] = cur[1] = 0;
				field = 0;
			} else if (field < 2) {
				int d = c >= '0' && c <= '9' ? c - '0' :
					c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
				if (d >= 0)
					cur[field] = cur[field] << 4 | (uint64_t)d;
				else
					field++;
			}
		}
	close(fd);
	return n;
}

/* Reserve [start, end) where nothing is mapped yet; record the pieces. */
static void reserve_avoided(uint64_t start, uint64_t end, const struct range *mapped,
			    size_t nmapped)
{
	uint64_t cur = start;
	for (size_t i = 0; i <= nmapped && cur < end; i++) {
		uint64_t gap_end = i < nmapped ? mapped[i].start : UINT64_MAX;
		if (i < nmapped && mapped[i].end <= cur)
			continue;
		if (gap_end > end)
			gap_end = end;
		if (gap_end > cur && navoided < MAX_AVOIDED) {
			void *p = stf__raw_mmap((void *)(uintptr_t)cur, gap_end - cur, PROT_NONE,
						MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
						MAP_FIXED_NOREPLACE, -1, 0);
			if (p == (void *)(uintptr_t)cur)
				avoided[navoided++] = (struct range){ cur, gap_end };
			else if (p != MAP_FAILED)  /* a kernel without NOREPLACE */
				stf__raw_munmap(p, gap_end - cur);
		}
		if (i < nmapped && mapped[i].end > cur)
			cur = mapped[i].end;
	}
}

void stf__avoid_init(void)
{
	char *env = reserve_rw(AVOID_ENV_CAP);
	if (!env)
		return;
	size_t len = stf__initial_env("STF_AVOID=", env, AVOID_ENV_CAP);
	if (len == 0 || len >= AVOID_ENV_CAP) {
		if (len >= AVOID_ENV_CAP)
			stf__warn("STF_AVOID is too long; ignored");
		stf__raw_munmap(env, AVOID_ENV_CAP);
		return;
	}
	avoided = reserve_rw(MAX_AVOIDED * sizeof *avoided);
	struct range *mapped = reserve_rw(MAX_MAPPED * sizeof *mapped);
	if (!avoided || !mapped)
		goto out;
	size_t nmapped = read_own_mappings(mapped, MAX_MAPPED);
	for (char *s = env; *s;) {
		char *end;
		uint64_t a = strtoull(s, &end, 16), b;
		if (*end != '-' || (b = strtoull(end + 1, &end, 16), (*end && *end != ',')) || b <= a) {
			stf__warn("STF_AVOID is not <start>-<end>[,...] (hexadecimal); "
				  "the rest is ignored");
			break;
		}
		reserve_avoided(a & ~(PAGE - 1), (b + PAGE - 1) & ~(PAGE - 1), mapped, nmapped);
		s = *end ? end + 1 : end;
	}
	/* Sorted for the lookups (insertion sort: qsort may allocate). */
	for (size_t i = 1; i < navoided; i++) {
		struct range r = avoided[i];
		size_t j = i;
		for (; j > 0 && avoided[j - 1].start > r.start; j--)
			avoided[j] = avoided[j - 1];
		avoided[j] = r;
	}
out:
	if (mapped)
		stf__raw_munmap(mapped, MAX_MAPPED * sizeof *mapped);
	stf__raw_munmap(env, AVOID_ENV_CAP);
}

/* The first of ranges r[0, n) (ascending) that ends after a; n if none. */
static size_t first_ending_after(const struct range *r, size_t n, uint64_t a)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Is `a` in a reserved avoided piece?  *uniform_end: where that answer
 * may change (at most `end`). */
static bool in_avoided(uint64_t a, uint64_t end, uint64_t *uniform_end)
{
	size_t lo = first_ending_after(avoided, navoided, a);
	bool inside = lo < navoided && avoided[lo].start <= a;
	uint64_t change = lo == navoided ? end : inside ? avoided[lo].end : avoided[lo].start;
	*uniform_end = change < end ? change : end;
	return inside;
}

uint64_t stf__avoided_end_in(uint64_t lo, uint64_t hi)
{
	uint64_t end = 0;
	for (size_t i = 0; i < navoided; i++)
		if (avoided[i].start < hi && avoided[i].end > lo && avoided[i].end > end)
			end = avoided[i].end;
	return end;
}

/* ------------------------------------------------------------------ */
/* Adopted pages: page address -> granules in use (open addressing,
 * linear probing, under placed_lock).                                   */

struct adopted { uint64_t page; uint64_t used[GRANULES_PER_PAGE / 64]; };

pthread_mutex_t stf__placed_lock = PTHREAD_MUTEX_INITIALIZER;
static struct adopted *pages;
static size_t pages_cap, pages_count;

static size_t page_hash(uint64_t page)
{
	return (size_t)((page >> 12) * 0x9E3779B97F4A7C15ULL >> 20) & (pages_cap - 1);
}

static struct adopted *page_find(uint64_t page)
{
	if (!pages_cap)
		return NULL;
	for (size_t i = page_hash(page);; i = (i + 1) & (pages_cap - 1)) {
		if (pages[i].page == page)
			return &pages[i];
		if (!pages[i].page)
			return NULL;
	}
}

static struct adopted *page_insert(uint64_t page)
{
	size_t i = page_hash(page);
	while (pages[i].page)
		i = (i + 1) & (pages_cap - 1);
	pages[i].page = page;
	memset(pages[i].used, 0, sizeof pages[i].used);
	pages_count++;
	return &pages[i];
}

/* Remove an entry, shifting later ones of its probe chain back. */
static void page_remove(struct adopted *e)
{
	size_t i = (size_t)(e - pages), j = i;
	for (;;) {
		j = (j + 1) & (pages_cap - 1);
		if (!pages[j].page)
			break;
		size_t k = page_hash(pages[j].page);
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			pages[i] = pages[j];
			i = j;
		}
	}
	pages[i].page = 0;
	pages_count--;
}

/* Room for `more` entries at load <= 1/2.  0 or ENOMEM. */
static int pages_reserve(size_t more)
{
	if (2 * (pages_count + more) <= pages_cap)
		return 0;
	size_t ncap = pages_cap ? pages_cap : 1024;
	while (2 * (pages_count + more) > ncap)
		ncap *= 2;
	struct adopted *old = pages, *nt = reserve_table(ncap * sizeof *nt);
	size_t ocap = pages_cap;
	if (!nt)
		return ENOMEM;
	pages = nt;
	pages_cap = ncap;
	pages_count = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].page)
			*page_insert(old[i].page) = old[i];
	if (old)
		stf__raw_munmap(old, ocap * sizeof *old);
	return 0;
}

/* Test (op 0), set (1) or clear (2) the granules of [a, b) in page e. */
static bool granules(struct adopted *e, uint64_t a, uint64_t b, int op)
{
	uint64_t lo = a > e->page ? a : e->page, hi = b < e->page + PAGE ? b : e->page + PAGE;
	for (uint64_t g = (lo - e->page) / GRANULE; g < (hi - e->page) / GRANULE; g++) {
		uint64_t bit = 1ULL << (g % 64), *w = &e->used[g / 64];
		if (op == 0 && (*w & bit))
			return true;
		if (op == 1)
			*w |= bit;
		else if (op == 2)
			*w &= ~bit;
	}
	return false;
}

static bool page_empty(const struct adopted *e)
{
	for (size_t i = 0; i < sizeof e->used / sizeof e->used[0]; i++)
		if (e->used[i])
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* A batch of placements (stf__place_batch_begin): the pages its blocks
 * occupy in reserved ranges, made accessible and populated at once, in
 * ascending runs, under placed_lock.                                    */

static struct range *prepared;
static size_t nprepared, prepared_cap;
static bool prepared_valid;  /* no page of a run given back since */

/* Are pages [a, b) of one prepared run (accessible already)? */
static bool in_prepared(uint64_t a, uint64_t b)
{
	if (!prepared_valid)
		return false;
	size_t lo = first_ending_after(prepared, nprepared, a);
	return lo < nprepared && prepared[lo].start <= a && prepared[lo].end >= b;
}

/* Pages [start, end) are no longer used: back to their reservation, or
 * unmapped. */
static void give_back(uint64_t start, uint64_t end)
{
	prepared_valid = false;
	for (uint64_t a = start, b; a < end; a = b) {
		if (in_avoided(a, end, &b))
			stf__raw_mmap((void *)(uintptr_t)a, b - a, PROT_NONE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
		else
			stf__raw_munmap((void *)(uintptr_t)a, b - a);
	}
}

/* Make pages [start, end) readable and writable for placed blocks: ours
 * if reserved, else mapped where nothing is.  0 or an errno value;
 * nothing changed on failure. */
static int acquire(uint64_t start, uint64_t end)
{
	for (uint64_t a = start, b; a < end; a = b) {
		int err = 0;
		if (in_avoided(a, end, &b)) {
			if (!in_prepared(a, b) &&
			    mprotect((void *)(uintptr_t)a, b - a, PROT_READ | PROT_WRITE))
				err = errno;
		} else {
			void *p = stf__raw_mmap((void *)(uintptr_t)a, b - a, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (p == MAP_FAILED)
				err = errno;
			else if (p != (void *)(uintptr_t)a) {  /* a kernel without NOREPLACE */
				stf__raw_munmap(p, b - a);
				err = EEXIST;
			}
		}
		if (err) {
			give_back(start, a);
			return err == EEXIST || err == EINVAL ? EEXIST : err;
		}
	}
	return 0;
}

/* The first run of pages without an entry in [from, stop); 0 if none. */
static uint64_t next_new_run(uint64_t from, uint64_t stop, uint64_t *run_end)
{
	for (uint64_t p = from; p < stop; p += PAGE) {
		if (page_find(p))
			continue;
		uint64_t q = p + PAGE;
		while (q < stop && !page_find(q))
			q += PAGE;
		*run_end = q;
		return p;
	}
	return 0;
}

static int cmp_block(const void *a, const void *b)
{
	const struct stf_place_block *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Pages [a, b), reserved: accessible, on huge pages where whole 2 MiB
 * ranges of them are, and populated; a prepared run. */
static void prepare(uint64_t a, uint64_t b)
{
	if (mprotect((void *)(uintptr_t)a, b - a, PROT_READ | PROT_WRITE))
		return;  /* acquire() tries again, block by block */
	prepared[nprepared++] = (struct range){ a, b };
	uint64_t huge_lo = (a + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1), huge_hi = b & ~(HUGE_PAGE - 1);
	if (huge_hi > huge_lo)
		(void)madvise((void *)(uintptr_t)huge_lo, huge_hi - huge_lo, MADV_HUGEPAGE);
	/* (kernels before 5.14 refuse it: the pages then fault one by one) */
	(void)madvise((void *)(uintptr_t)a, b - a, MADV_POPULATE_WRITE);
}

/* The runs of pages blocks[0, n) (sorted) occupy, into runs[]; a 2 MiB
 * range they fill at least DENSE_PART of is taken whole (for a huge
 * page; _end gives back its pages no block took).  Their count. */
#define DENSE_PART 2
static size_t page_runs(const struct stf_place_block *blocks, size_t n, struct range *runs)
{
	size_t nruns = 0;
	uint64_t chunk = 0, covered = 0;   /* bytes of runs in the current 2 MiB */
	for (size_t i = 0; i < n;) {
		uint64_t start = blocks[i].addr & ~(PAGE - 1), end = start;
		for (; i < n && (blocks[i].addr & ~(PAGE - 1)) <= end; i++) {
			uint64_t e = (placed_end(blocks[i].addr, blocks[i].size) + PAGE - 1) &
				     ~(PAGE - 1);
			end = e > end ? e : end;
		}
		for (uint64_t a = start, b; a < end; a = b) {
			uint64_t c = a & ~(HUGE_PAGE - 1);
			b = c + HUGE_PAGE < end ? c + HUGE_PAGE : end;
			if (c != chunk)
				chunk = c, covered = 0;
			covered += b - a;
			if (covered >= HUGE_PAGE / DENSE_PART) {
				a = c;   /* the whole chunk, with the runs before in it */
				while (nruns && runs[nruns - 1].end > c)
					if (runs[--nruns].start < c)
						runs[nruns++].end = c;
				b = c + HUGE_PAGE > b ? c + HUGE_PAGE : b;
			}
			if (nruns && runs[nruns - 1].end >= a)
				runs[nruns - 1].end = b > runs[nruns - 1].end ? b : runs[nruns - 1].end;
			else
				runs[nruns++] = (struct range){ a, b };
		}
	}
	return nruns;
}

EXPORT void stf__place_batch_begin(struct stf_place_block *blocks, size_t n)
{
	if (n < PLACE_BATCH_MIN)
		return;
	qsort(blocks, n, sizeof *blocks, cmp_block);
	struct range *runs = stf__raw_malloc(n * sizeof *runs);
	if (!runs)
		return;
	size_t nruns = page_runs(blocks, n, runs);
	pthread_mutex_lock(&stf__placed_lock);
	size_t cap = nruns + navoided;
	prepared = reserve_rw(cap * sizeof *prepared);
	prepared_cap = prepared ? cap : 0;
	nprepared = 0;
	for (size_t i = 0; i < nruns && prepared; i++)
		for (uint64_t a = runs[i].start, b; a < runs[i].end; a = b)
			if (in_avoided(a, runs[i].end, &b) && nprepared < prepared_cap)
				prepare(a, b);
	prepared_valid = true;
	pthread_mutex_unlock(&stf__placed_lock);
	stf__raw_free(runs);
}

EXPORT void stf__place_batch_end(void)
{
	pthread_mutex_lock(&stf__placed_lock);
	struct range *runs = prepared;
	size_t nruns = nprepared;
	prepared = NULL;
	nprepared = 0;
	prepared_valid = false;
	/* pages no block took (a placement failed): reserved again */
	for (size_t i = 0; i < nruns; i++)
		for (uint64_t r = runs[i].start, re; (r = next_new_run(r, runs[i].end, &re)); r = re)
			give_back(r, re);
	if (runs)
		stf__raw_munmap(runs, prepared_cap * sizeof *runs);
	prepared_cap = 0;
	pthread_mutex_unlock(&stf__placed_lock);
}

int stf__place(uint64_t lo, uint64_t hi)
{
	uint64_t first = lo & ~(PAGE - 1), stop = (hi + PAGE - 1) & ~(PAGE - 1);
	size_t fresh = 0;
	int err = 0;
	pthread_mutex_lock(&stf__placed_lock);
	for (uint64_t p = first; p < stop; p += PAGE) {
		struct adopted *e = page_find(p);
		if (e && granules(e, lo, hi, 0)) {
			err = EEXIST;
			goto out;
		}
		fresh += !e;
	}
	if ((err = pages_reserve(fresh)))
		goto out;
	uint64_t run, run_end;
	for (uint64_t from = first; (run = next_new_run(from, stop, &run_end)); from = run_end)
		if ((err = acquire(run, run_end))) {
			for (uint64_t r = first, re; (r = next_new_run(r, run, &re)); r = re)
				give_back(r, re);
			goto out;
		}
	for (uint64_t p = first; p < stop; p += PAGE) {
		struct adopted *e = page_find(p);
		granules(e ? e : page_insert(p), lo, hi, 1);
	}
out:
	pthread_mutex_unlock(&stf__placed_lock);
	return err;
}

void stf__unplace(uint64_t lo, uint64_t hi)
{
	uint64_t first = lo & ~(PAGE - 1), stop = (hi + PAGE - 1) & ~(PAGE - 1);
	pthread_mutex_lock(&stf__placed_lock);
	for (uint64_t p = first; p < stop; p += PAGE) {
		struct adopted *e = page_find(p);
		if (!e)
			continue;
		granules(e, lo, hi, 2);
		if (page_empty(e)) {
			page_remove(e);
			give_back(p, p + PAGE);
		}
	}
	pthread_mutex_unlock(&stf__placed_lock);
}

/* ------------------------------------------------------------------ */
/* Placed blocks: address -> slot (open addressing, under placed_lock).  */

struct placed { uint64_t addr; uint32_t slot; };

static struct placed *blocks;
static size_t blocks_cap;
static atomic_size_t nplaced;   /* free() looks only when there are any */

static size_t block_hash(uint64_t addr)
{
	return (size_t)((addr >> 4) * 0x9E3779B97F4A7C15ULL >> 20) & (blocks_cap - 1);
}

static struct placed *block_find_locked(uint64_t addr)
{
	if (!blocks_cap)
		return NULL;
	for (size_t i = block_hash(addr);; i = (i + 1) & (blocks_cap - 1)) {
		if (blocks[i].addr == addr)
			return &blocks[i];
		if (!blocks[i].addr)
			return NULL;
	}
}

static void block_insert_locked(uint64_t addr, uint32_t slot)
{
	size_t i = block_hash(addr);
	while (blocks[i].addr)
		i = (i + 1) & (blocks_cap - 1);
	blocks[i] = (struct placed){ addr, slot };
	atomic_fetch_add(&nplaced, 1);
}

/* Room for one more at load <= 1/2.  0 or ENOMEM. */
static int blocks_reserve_locked(void)
{
	size_t n = atomic_load(&nplaced);
	if (2 * (n + 1) <= blocks_cap)
		return 0;
	size_t ocap = blocks_cap, ncap = ocap ? 2 * ocap : 1024;
	struct placed *old = blocks, *nt = reserve_table(ncap * sizeof *nt);
	if (!nt)
		return ENOMEM;
	blocks = nt;
	blocks_cap = ncap;
	atomic_store(&nplaced, 0);
	for (size_t i = 0; i < ocap; i++)
		if (old[i].addr)
			block_insert_locked(old[i].addr, old[i].slot);
	if (old)
		stf__raw_munmap(old, ocap * sizeof *old);
	return 0;
}

static void block_remove_locked(struct placed *e)
{
	size_t i = (size_t)(e - blocks);
	for (size_t j = (i + 1) & (blocks_cap - 1); blocks[j].addr; j = (j + 1) & (blocks_cap - 1)) {
		size_t home = block_hash(blocks[j].addr);
		if (((j - home) & (blocks_cap - 1)) >= ((j - i) & (blocks_cap - 1))) {
			blocks[i] = blocks[j];
			i = j;
		}
	}
	blocks[i].addr = 0;
	atomic_fetch_sub(&nplaced, 1);
}

static void slot_release(uint32_t slot)
{
	struct stf_slot *s = slot_at(slot);
	s->addr = 0;
	s->kind = STF_SLOT_FREE;
	pthread_mutex_lock(&stf__slot_lock);
	stf__slot_put_locked(slot);
	pthread_mutex_unlock(&stf__slot_lock);
	mark_heap_changed();
}

int stf__placed_new(uint64_t addr, size_t size, uint32_t site, uint64_t id)
{
	pthread_mutex_lock(&stf__slot_lock);
	uint32_t slot = stf__slot_take_locked();
	pthread_mutex_unlock(&stf__slot_lock);
	if (!slot)
		return ENOMEM;
	int err = stf__place(addr, placed_end(addr, size));
	if (err) {
		slot_release(slot);
		return err;
	}
	pthread_mutex_lock(&stf__placed_lock);
	if ((err = blocks_reserve_locked())) {
		pthread_mutex_unlock(&stf__placed_lock);
		stf__unplace(addr, placed_end(addr, size));
		slot_release(slot);
		return err;
	}
	*slot_at(slot) = (struct stf_slot){ addr, size, id, site, STF_SLOT_HEAP };
	block_insert_locked(addr, slot);
	pthread_mutex_unlock(&stf__placed_lock);
	mark_heap_changed();
	return 0;
}

bool stf__placed_get(uint64_t addr, struct stf_slot *out)
{
	if (!atomic_load_explicit(&nplaced, memory_order_relaxed))
		return false;
	pthread_mutex_lock(&stf__placed_lock);
	struct placed *e = block_find_locked(addr);
	if (e)
		*out = *slot_at(e->slot);
	pthread_mutex_unlock(&stf__placed_lock);
	return e != NULL;
}

bool stf__placed_free(uint64_t addr)
{
	if (!atomic_load_explicit(&nplaced, memory_order_relaxed))
		return false;
	pthread_mutex_lock(&stf__placed_lock);
	struct placed *e = block_find_locked(addr);
	if (!e) {
		pthread_mutex_unlock(&stf__placed_lock);
		return false;
	}
	uint32_t slot = e->slot;
	uint64_t size = slot_at(slot)->size;
	block_remove_locked(e);
	pthread_mutex_unlock(&stf__placed_lock);
	/* the typed sub-objects inside the block die with it */
	stf__sub_forget(addr, size);
	slot_release(slot);
	stf__unplace(addr, placed_end(addr, size));
	return true;
}

int stf__placed_retype(uint64_t addr, uint64_t size, uint32_t site)
{
	if (!atomic_load_explicit(&nplaced, memory_order_relaxed))
		return 0;
	pthread_mutex_lock(&stf__placed_lock);
	struct placed *e = block_find_locked(addr);
	bool ok = e && (!size || slot_at(e->slot)->size == size);
	if (ok)
		slot_at(e->slot)->site = site;
	pthread_mutex_unlock(&stf__placed_lock);
	if (ok)
		mark_heap_changed();
	return ok;
}

/* Index of the avoided piece holding `a`, navoided if none. */
static size_t avoided_index(uint64_t a)
{
	uint64_t end;
	if (!in_avoided(a, a + 1, &end))
		return navoided;
	return first_ending_after(avoided, navoided, a);
}

/* [start, end) is no longer reserved for the past version: cut out of
 * the avoided pieces (a piece holding it in its middle is split), so
 * that stf__avoid_release_unused never unmaps it.  Under placed_lock. */
static void avoided_cut_locked(uint64_t start, uint64_t end)
{
	size_t i = first_ending_after(avoided, navoided, start);
	while (i < navoided && avoided[i].start < end) {
		struct range *r = &avoided[i];
		if (r->start < start && r->end > end) {
			if (navoided == MAX_AVOIDED) {  /* no room: the tail is dropped */
				r->end = start;
				return;
			}
			memmove(r + 2, r + 1, (navoided - i - 1) * sizeof *r);
			navoided++;
			r[1] = (struct range){ end, r->end };
			r->end = start;
			return;
		}
		if (r->start < start) {
			r->end = start;
			i++;
		} else if (r->end > end) {
			r->start = end;
			return;
		} else {
			memmove(r, r + 1, (navoided - i - 1) * sizeof *r);
			navoided--;
		}
	}
}

int stf__claim_pages(uint64_t start, uint64_t end, uint64_t own_end)
{
	uint64_t a = start, b;
	int err = 0;
	pthread_mutex_lock(&stf__placed_lock);
	for (; a < end; a = b) {
		bool reserved = in_avoided(a, a < own_end && own_end < end ? own_end : end, &b);
		if (reserved && a >= own_end) {
			err = EEXIST;  /* reserved for another of the past version's */
			break;
		}
		void *p = stf__raw_mmap((void *)(uintptr_t)a, b - a, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS |
					(reserved ? MAP_FIXED : MAP_FIXED_NOREPLACE), -1, 0);
		if (p != (void *)(uintptr_t)a) {
			err = p == MAP_FAILED ? errno : EEXIST;
			if (p != MAP_FAILED)  /* a kernel without NOREPLACE */
				stf__raw_munmap(p, b - a);
			break;
		}
	}
	if (err)
		give_back(start, a);
	else
		avoided_cut_locked(start, end);
	pthread_mutex_unlock(&stf__placed_lock);
	return err == EINVAL ? EEXIST : err;
}

bool stf__avoided_take(uint64_t start, uint64_t end)
{
	bool all = navoided != 0;
	pthread_mutex_lock(&stf__placed_lock);
	for (uint64_t a = start, b; all && a < end; a = b)
		all = in_avoided(a, end, &b);
	if (all)
		avoided_cut_locked(start, end);
	pthread_mutex_unlock(&stf__placed_lock);
	return all;
}

void stf__avoided_forget(uint64_t start, uint64_t end)
{
	if (!navoided)
		return;
	pthread_mutex_lock(&stf__placed_lock);
	avoided_cut_locked(start, end);
	pthread_mutex_unlock(&stf__placed_lock);
}

EXPORT void stf__avoid_release_unused(void)
{
	pthread_mutex_lock(&stf__placed_lock);
	bool *used = navoided ? reserve_rw(navoided) : NULL;
	if (used) {
		for (size_t j = 0; j < pages_cap; j++) {
			size_t i = pages[j].page ? avoided_index(pages[j].page) : navoided;
			if (i < navoided)
				used[i] = true;
		}
		size_t kept = 0;
		for (size_t i = 0; i < navoided; i++)
			if (used[i])
				avoided[kept++] = avoided[i];
			else
				stf__raw_munmap((void *)(uintptr_t)avoided[i].start,
						avoided[i].end - avoided[i].start);
		stf__raw_munmap(used, navoided);
		navoided = kept;
	}
	pthread_mutex_unlock(&stf__placed_lock);
}

/* ------------------------------------------------------------------ */
/* P: the ranges to publish.                                              */

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Append [a, b) to (*r)[*n], growing *r (*cap entries); false if out
 * of memory. */
static bool push_range(struct range **r, size_t *n, size_t *cap, uint64_t a, uint64_t b)
{
	if (*n == *cap) {
		struct range *nr = stf__raw_realloc(*r, 2 * *cap * sizeof **r);
		if (!nr)
			return false;
		*r = nr;
		*cap *= 2;
	}
	(*r)[(*n)++] = (struct range){ a, b };
	return true;
}

EXPORT char *stf__avoid_describe(const char *prefix)
{
	size_t cap = 4096, n = 0;
	struct range *maps = stf__raw_malloc(cap * sizeof *maps);
	bool *used = NULL;
	char *out = NULL;
	if (!maps)
		return NULL;
	/* Mappings of this process (not the startup reader: it may be many). */
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long long a, b;
	while (f && fscanf(f, "%llx-%llx%*[^\n]", &a, &b) == 2) {
		if (!push_range(&maps, &n, &cap, a, b))
			goto out;
	}
	if (!f)
		goto out;
	used = stf__raw_malloc(n + 1);
	if (!used)
		goto out;
	memset(used, 0, n + 1);
	/* Mappings holding a live placed block. */
	size_t last = 0;
	for (uint64_t i = 1; i < stf__root.slot_high; i++) {
		const struct stf_slot *s = slot_at((uint32_t)i);
		if (STF_SLOT_KIND(s->kind) != STF_SLOT_HEAP || !s->addr)
			continue;
		uint64_t at = s->addr;
		if (last >= n || at < maps[last].start || at >= maps[last].end) {
			size_t lo = 0, hi = n;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (maps[mid].end <= at)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo == n || maps[lo].start > at)
				continue;
			last = lo;
		}
		used[last] = true;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (used[i])
			maps[k++] = maps[i];
	/* the program's mappings, which keep their address in the next
	 * version too (mmap.c, stf__mmap_with) */
	for (size_t i = 0; i < stf__nregions; i++) {
		const struct stf_slot *s = slot_at(stf__regions[i].slot);
		if (stf__regions[i].kind != STF_SLOT_MMAP || !s->addr)
			continue;
		if (!push_range(&maps, &k, &cap, s->addr, s->addr + s->size))
			goto out;
	}
	/* and the heap region as far as it is carved */
	uint64_t heap_start, heap_end;
	stf__spans_extent(&heap_start, &heap_end);
	if (heap_end > heap_start && k < cap)
		maps[k++] = (struct range){ heap_start, heap_end };
	qsort(maps, k, sizeof *maps, cmp_range);
	/* Merge across gaps, wider ones until the list fits one string. */
	for (uint64_t gap = PAGE; k > PUBLISHED_MAX || gap == PAGE; gap *= 4) {
		size_t m = 0;
		for (size_t i = 0; i < k; i++)
			if (m && maps[i].start <= maps[m - 1].end + gap)
				maps[m - 1].end = maps[i].end > maps[m - 1].end ? maps[i].end : maps[m - 1].end;
			else
				maps[m++] = maps[i];
		k = m;
	}
	size_t len = strlen(prefix) + k * 34 + 1, pos;
	out = stf__raw_malloc(len);
	if (!out)
		goto out;
	pos = (size_t)snprintf(out, len, "%s", prefix);
	for (size_t i = 0; i < k; i++)
		pos += (size_t)snprintf(out + pos, len - pos, "%s%llx-%llx", i ? "," : "",
					(unsigned long long)maps[i].start,
					(unsigned long long)maps[i].end);
out:
	if (f)
		fclose(f);
	stf__raw_free(used);
	stf__raw_free(maps);
	return out;
}
