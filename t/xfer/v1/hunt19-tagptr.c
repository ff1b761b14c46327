/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tagged pointers kept in `void *` (not integers): a heap table of
 * `void *` slots, each a pointer to a struct with its kind in the low
 * bit (1: a string object, 0: a number object), untagged before use.
 * Both structs gain a member first in version 2: each slot must still
 * untag to its struct's start, with its tag (a pointer to byte 1 of the
 * struct is no pointer to byte 1 of its first member). */
#include <stdint.h>
#include <stdlib.h>
#include "xt.h"

#define NSLOTS 6

struct num {
#ifdef V2
	unsigned refs; /* new in 2, first */
#endif
	long value;
};

struct str {
#ifdef V2
	unsigned refs; /* new in 2, first */
#endif
	char text[16];
};

static void **slots;

static void init(void)
{
	slots = calloc(NSLOTS, sizeof(*slots));
	for (int i = 0; i < NSLOTS; i++) {
		if (i % 2) {
			struct str *s = malloc(sizeof(*s));
			snprintf(s->text, sizeof(s->text), "s%d", i);
			slots[i] = (void *)((uintptr_t)s | 1);
		} else {
			struct num *n = malloc(sizeof(*n));
			n->value = 7 * i;
			slots[i] = n;
		}
	}
}

static void check(void)
{
	for (int i = 0; i < NSLOTS; i++) {
		uintptr_t w = (uintptr_t)slots[i];
		CHECK((int)(w & 1) == i % 2);
		if (w & 1) {
			struct str *s = (struct str *)(w & ~(uintptr_t)1);
			char want[16];
			snprintf(want, sizeof(want), "s%d", i);
			CHECK(!strcmp(s->text, want));
		} else {
			CHECK(((struct num *)w)->value == 7 * i);
		}
	}
}

XT_MAIN_CHECKED(init, check)
