/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/untyped15-words.c (its state global: kept at -O2 too): struct
 * rec's b and c change places; every word of the untyped page keeps its
 * meaning. */
#include "xt.h"

struct rec {
	long a;
	long c;
	long b;
};

enum { NWORDS = 24 };

void *page;
void *other;
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

static void init(void)
{
	page = slab_alloc(NWORDS * 8);
	other = slab_alloc(64);
	rec = malloc(sizeof(*rec));
}

int main(void)
{
	XT_V2_RECEIVE(init);
	const uint64_t *w = page, low = lowest_mappable();
	uint64_t o = (uint64_t)(uintptr_t)other, p = (uint64_t)(uintptr_t)page;
	CHECK(w != NULL && other != NULL && rec != NULL);
	if (w && other && rec) {
		CHECK(w[0] == o && w[1] == o + 8 && w[2] == o + 63 && w[3] == o + 64);
		CHECK(w[4] == (uint64_t)(uintptr_t)&rec->b);
		CHECK(w[5] == o + 16);
		CHECK(w[6] == (uint64_t)(uintptr_t)&rec->a);
		CHECK(rec->a == 1 && rec->b == 2 && rec->c == 3);
		CHECK(w[7] == low - 1 && w[8] == low);
		CHECK(w[9] == 0x00007fffffffffffULL && w[10] == 0x0000800000000000ULL);
		CHECK(w[11] == ~0ULL);
		CHECK(w[12] == p && w[13] == p + 8 && w[14] == p + NWORDS * 8);
		CHECK(w[15] == (uint64_t)(uintptr_t)twice && ((int (*)(int))(uintptr_t)w[15])(21) == 42);
		CHECK(w[16] == (uint64_t)(uintptr_t)&counter && counter == 5);
		CHECK(w[17] == o + 64);
		for (int i = 18; i < NWORDS; i++)
			CHECK(w[i] == 0x6161616161616161ULL + (uint64_t)i);
		for (int i = 0; i < 64; i++)
			CHECK(((const char *)other)[i] == 'o');
	}
	XT_V2_RESULT();
}
