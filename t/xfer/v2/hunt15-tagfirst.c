/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tagged pointers: a value slot holds a pointer to a heap struct with its
 * kind in the two low bits (the struct is 8-byte aligned), untagged with
 * `& ~3` before use.  Version 2 adds a member at the start of the struct:
 * a tagged word is one to three bytes into the struct's first member,
 * which moves, yet after the update it must still untag to the struct's
 * start, with its tag.
 */
#include <stdint.h>
#include "xt.h"

struct num {
	unsigned refs;      /* new in 2, first */
	struct num *next;
	long value;
};

struct text {
	unsigned refs;      /* new in 2, first */
	char *str;
	size_t len;
};

#define TAG_NUM 1
#define TAG_TEXT 2
#define NSLOTS 16

static uintptr_t slots[NSLOTS];

static void init(void)
{
	for (int i = 0; i < NSLOTS; i++) {
		if (i % 2) {
			struct num *n = calloc(1, sizeof *n);
			n->value = 1000 + i;
			slots[i] = (uintptr_t)n | TAG_NUM;
		} else {
			struct text *t = calloc(1, sizeof *t);
			t->str = strdup("hello");
			t->len = 5;
			slots[i] = (uintptr_t)t | TAG_TEXT;
		}
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (int i = 0; i < NSLOTS; i++) {
		if (i % 2) {
			CHECK((slots[i] & 3) == TAG_NUM);
			struct num *n = (struct num *)(slots[i] & ~(uintptr_t)3);
			CHECK(n->refs == 0 && n->next == NULL && n->value == 1000 + i);
		} else {
			CHECK((slots[i] & 3) == TAG_TEXT);
			struct text *t = (struct text *)(slots[i] & ~(uintptr_t)3);
			CHECK(t->refs == 0 && t->len == 5 && t->str && !strcmp(t->str, "hello"));
		}
	}
	XT_V2_RESULT();
}
