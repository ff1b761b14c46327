/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An arena carved by hand, no allocator function: `struct arena { size_t
 * used, cap; char mem[]; }` from one malloc, sessions cut out of mem[]
 * where they are used (`(struct session *)(a->mem + a->used)`), linked in
 * a list whose head is a static.  struct session grows in version 2: the
 * sessions, bytes of the arena's flexible array of chars, cannot be
 * converted where they are; the update must roll back naming the block
 * and the fix (an STF_ALLOCATOR function handing them out), never commit
 * with version 2 reading the old layout. */
#include <stdint.h>
#include <stdlib.h>
#include "xt.h"

struct arena {
	size_t used, cap;
	char mem[];
};

struct session {
	struct session *next;
#ifdef V2
	long started; /* new in 2 */
#endif
	int uid;
	char token[12];
};

static struct arena *arena;
static struct session *sessions;

static void init(void)
{
	arena = malloc(sizeof(*arena) + 1024);
	arena->used = 0;
	arena->cap = 1024;
	for (int i = 0; i < 6; i++) {
		struct session *s = (struct session *)(arena->mem + arena->used);
		arena->used += (sizeof(*s) + 15) & ~(size_t)15;
		s->uid = 500 + i;
		snprintf(s->token, sizeof(s->token), "tok%d", i);
		s->next = sessions;
		sessions = s;
	}
}

static void check(void)
{
	int n = 0;
	for (struct session *s = sessions; s; s = s->next, n++) {
		char want[12];
		snprintf(want, sizeof(want), "tok%d", s->uid - 500);
		CHECK(s->uid == 505 - n && !strcmp(s->token, want));
	}
	CHECK(n == 6 && arena->used <= arena->cap);
}

XT_MAIN_CHECKED(init, check)
