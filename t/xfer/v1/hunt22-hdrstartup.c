/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Statistics blocks behind a size-prefixing STF_ALLOCATOR (an 8-byte
 * header of size and kind: t/idioms/tagcmd's zalloc) allocated by the
 * startup of every version, before its update point and unguarded, at
 * one site: the new version's startup blocks take the old ones' state in
 * place (inplace.c).  The new version reads each block's header back. */
#include <stdint.h>
#include <stdlib.h>
#include "xt.h"

#define NSTATS 4
#define K_STAT 5u

struct zhdr {
	uint32_t size;
	uint32_t kind;
};

STF_ALLOCATOR void *zalloc(size_t n, uint32_t kind);

void *zalloc(size_t n, uint32_t kind)
{
	struct zhdr *h = malloc(sizeof *h + n);

	if (!h)
		abort();
	h->size = (uint32_t)n;
	h->kind = kind;
	return h + 1;
}

struct stat {
	unsigned long calls;
	unsigned long max_args;
};

static struct stat *stats[NSTATS];

static void make_stats(void)
{
	for (int i = 0; i < NSTATS; i++) {
		stats[i] = zalloc(sizeof *stats[i], K_STAT);
		memset(stats[i], 0, sizeof *stats[i]);
	}
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < NSTATS; i++)
		stats[i]->calls = 10 + (unsigned long)i;
}

int main(void)
{
	make_stats();
#ifdef V2
	XT_V2_RECEIVE(init);
	for (int i = 0; i < NSTATS; i++) {
		const struct zhdr *h = (const struct zhdr *)stats[i] - 1;

		CHECK(h->kind == K_STAT && h->size == sizeof(struct stat));
		CHECK(stats[i]->calls == 10 + (unsigned long)i);
	}
	XT_V2_RESULT();
#else
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
#endif
}
