/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The startup maps an arena in every run, the update's too (a server maps
 * its arena before it knows it is updated): the old version's arena is
 * re-created at its own address and the static points there, so the new
 * startup's arena is an orphan that nothing reaches after the transfer:
 * it is unmapped (the next update would carry it as state).  Version 2
 * keeps the orphan's address hidden (not as a pointer) in a static of its
 * own (which keeps the new version's value) and checks it is gone.
 */
#include <stdint.h>
#include <sys/mman.h>
#include "xt.h"

#define HIDE 0x5a5a5a5a5aul

static char *arena;
#ifdef V2
static uintptr_t hidden;
#endif

static __attribute__((noinline)) void init(void)
{
	arena = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(arena, stf_is_updating() ? "the startup's" : "the old version's");
#ifdef V2
	hidden = (uintptr_t)arena ^ HIDE;
#endif
}

static __attribute__((noinline)) void serve(void)
{
	if (!stf_is_updating())
		XT_V1_LOOP();
	stf_update_point();
#ifdef V2
	char *orphan = (char *)(hidden ^ HIDE);
	CHECK(!strcmp(arena, "the old version's") && orphan != arena);
	CHECK(msync(orphan, 4096, MS_ASYNC) != 0);
	XT_V2_RESULT();
#endif
}

int main(void)
{
	init();
	serve();
}
