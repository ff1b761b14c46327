/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A mapping at a fixed address (MAP_FIXED_NOREPLACE), typed as bytes and
 * holding its own address, that the startup maps in every run, the
 * update's too: the new version's startup maps the old version's mapping
 * where the next version reserved it, and the transfer's mapping
 * replaces it there (its counterpart), so the startup's own reference
 * sees the transferred state.  Version 2 checks it.
 */
#include <sys/mman.h>
#include "xt.h"

#define FIXED ((void *)0x300000000000ULL)

static char *arena;

static char *map_fixed(void)
{
	return mmap(FIXED, 65536, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
}

int main(void)
{
	char *mine = map_fixed();
	if (mine != FIXED)
		return 1;
	if (!stf_is_updating()) {
		arena = mine;
		memcpy(arena, &arena, sizeof arena);
		strcpy(arena + 8, "the old version's");
		XT_V1_LOOP();
	}
	strcpy(mine + 8, "the startup's");
	stf_update_point();
#ifdef V2
	char *self;
	memcpy(&self, arena, sizeof self);
	CHECK(arena == FIXED && self == arena && mine == arena);
	CHECK(!strcmp(mine + 8, "the old version's"));
	XT_V2_RESULT();
#endif
}
