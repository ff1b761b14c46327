/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 100,000 string values shaped as Redis's embedded strings: one block
 * holding an object (struct robj) and, after it, its string's header and
 * characters, the object's ptr pointing into its own block; the bytes
 * after the struct no type describes (the transfer checks that no word
 * there points into the old version).  Enough objects for the transform
 * to be cut in parts run at once (see tailparts.sh).  Types do not
 * change: version 2 checks every value.  Built with -DTAIL_POINTER, one
 * value in the middle also holds the address of another after its
 * characters, which no type says is a pointer: the update must refuse
 * it. */
#include <stdint.h>

#include "xt.h"

#define NVALUES 100000
/* -DTAIL_POINTER: the value with an address after its characters, a
 * short one: its block (8 bytes past a multiple of the struct's) is one
 * struct and bytes, not an array of structs with a pointer member there */
#define PTR_VALUE (NVALUES / 2 + 1)

struct robj {
	unsigned type : 4, encoding : 4, lru : 24;
	int refcount;
	void *ptr;
};

static struct robj **values;

/* the characters of value i: short, or long enough for whole words */
static void text_of(long i, char *buf, size_t len)
{
	snprintf(buf, len, i % 2 ? "v%ld" : "value number %ld", i);
}

static __attribute__((noinline)) void init(void)
{
	char text[32];
	values = malloc(NVALUES * sizeof(*values));
	for (long i = 0; i < NVALUES; i++) {
		text_of(i, text, sizeof(text));
		size_t len = strlen(text);
		/* the object, then the string's header (length, allocated,
		 * flags) and characters */
		size_t size = sizeof(struct robj) + 3 + len + 1;
#ifdef TAIL_POINTER
		size_t at = (size + 7) & ~(size_t)7;
		if (i == PTR_VALUE)
			size = at + 8;
#endif
		struct robj *o = malloc(size);
		uint8_t *sh = (uint8_t *)(o + 1);
		o->type = 0;
		o->encoding = 8;
		o->lru = (unsigned)i;
		o->refcount = 1;
		sh[0] = (uint8_t)len;
		sh[1] = (uint8_t)len;
		sh[2] = 1;
		memcpy(sh + 3, text, len + 1);
		o->ptr = sh + 3;
#ifdef TAIL_POINTER
		if (i == PTR_VALUE)
			memcpy((uint8_t *)o + at, &values[0], sizeof(values[0]));
#endif
		values[i] = o;
	}
}

static void check(void)
{
	char want[32];
	for (long i = 0; i < NVALUES && !xt_fails; i++) {
		const struct robj *o = values[i];
		text_of(i, want, sizeof(want));
		CHECK(o->ptr == (const uint8_t *)(o + 1) + 3);
		CHECK(o->encoding == 8 && o->lru == (unsigned)i && o->refcount == 1);
		CHECK(((const uint8_t *)o->ptr)[-3] == strlen(want) && !strcmp(o->ptr, want));
	}
}

XT_MAIN_CHECKED(init, check)
