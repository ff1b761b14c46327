/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The words of an untyped block (a slab page: its site has no type) keep
 * their meaning whatever order the transfer finds them in: pointers into
 * another untyped block (its start, inside, its last byte, one past its
 * end), into the block itself, to a member of a typed object whose
 * member moves in version 2 (the word follows it), to a function and a
 * static (relocated); and integers at the edges of what may be an
 * address (the lowest mappable address and one below it, the last user
 * address and the first kernel one, all ones): kept as they are.  Words
 * pointing into one block come in runs, then one past its end.  The
 * state is global: -O2 keeps it although version 1 never reads it. */
#include "xt.h"

struct rec {
	long a;
	long b;
	long c;
};

enum { NWORDS = 24 };

void *page;         /* untyped: the words below */
void *other;        /* untyped, 64 bytes */
struct rec *rec;
long counter = 5;

static void *slab_alloc(size_t n)
{
	return malloc(n);
}

static int twice(int v)
{
	return 2 * v;
}

static uint64_t lowest_mappable(void)
{
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
	unsigned long v = 4096;
	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 4096;
		fclose(f);
	}
	return v < 4096 ? 4096 : v;
}

static __attribute__((noinline)) void init(void)
{
	uint64_t *w, low = lowest_mappable();
	page = slab_alloc(NWORDS * 8);
	other = slab_alloc(64);
	rec = malloc(sizeof(*rec));
	rec->a = 1;
	rec->b = 2;
	rec->c = 3;
	memset(other, 'o', 64);
	w = page;
	w[0] = (uint64_t)(uintptr_t)other;
	w[1] = (uint64_t)(uintptr_t)other + 8;
	w[2] = (uint64_t)(uintptr_t)other + 63;
	w[3] = (uint64_t)(uintptr_t)other + 64;
	w[4] = (uint64_t)(uintptr_t)&rec->b;
	w[5] = (uint64_t)(uintptr_t)other + 16;
	w[6] = (uint64_t)(uintptr_t)&rec->a;
	w[7] = low - 1;
	w[8] = low;
	w[9] = 0x00007fffffffffffULL;
	w[10] = 0x0000800000000000ULL;
	w[11] = ~0ULL;
	w[12] = (uint64_t)(uintptr_t)page;
	w[13] = (uint64_t)(uintptr_t)page + 8;
	w[14] = (uint64_t)(uintptr_t)page + NWORDS * 8;
	w[15] = (uint64_t)(uintptr_t)twice;
	w[16] = (uint64_t)(uintptr_t)&counter;
	w[17] = (uint64_t)(uintptr_t)other + 64;
	for (int i = 18; i < NWORDS; i++)
		w[i] = 0x6161616161616161ULL + (uint64_t)i;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
