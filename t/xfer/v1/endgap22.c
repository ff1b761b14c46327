/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A pool carving 16-byte-aligned objects (t/idioms/regiond's regions):
 * a 24-byte value, then its text (pool_strdup, a wrapper of pool_alloc:
 * bytes of the pool, no object of its own) at the next 16-byte boundary,
 * 8 bytes after the value's end, the value pointing to it.  Version 2 (built
 * with -DV2) grows the value to 32 bytes: it grows where it is, over the
 * alignment gap, up to its text.  Its text pointer then holds the grown
 * value's end, as a pool's cursor at that end would; the way back must
 * keep it pointing to the text (8 bytes past the value's old end), not
 * move it with the end as a cursor.  Version 2 checks the value, its
 * text, and carves more. */
#include <stdint.h>

#include "xt.h"

struct pool {
	char *next;              /* the next free byte */
	char *end;
};

struct value {
	int tag;
	size_t len;
#ifdef V2
	unsigned long reads;     /* new */
#endif
	char *text;
};

struct pool pool;            /* not static: kept at -O2 */
struct value *vals[4];

STF_ALLOCATOR void *pool_alloc(size_t size);
void *pool_alloc(size_t size)
{
	if (!pool.next) {
		pool.next = calloc(1, 4096);
		pool.end = pool.next + 4096;
	}
	char *p = (char *)(((uintptr_t)pool.next + 15) & ~(uintptr_t)15);
	if (p + size > pool.end)
		abort();
	pool.next = p + size;
	return p;
}

STF_ALLOCATOR char *pool_strdup(const char *s);
char *pool_strdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(pool_alloc(n), s, n);
}

static void init(void)
{
	static const char *const words[4] = { "alpha", "beta", "gamma", "delta" };

	for (int i = 0; i < 4; i++) {
		vals[i] = pool_alloc(sizeof(struct value));
		vals[i]->tag = i;
		vals[i]->len = strlen(words[i]);
		vals[i]->text = pool_strdup(words[i]);
	}
}

#ifndef V2
int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
#else
static void check(void)
{
	static const char *const words[4] = { "alpha", "beta", "gamma", "delta" };

	for (int i = 0; i < 4; i++)
		CHECK(vals[i]->tag == i && vals[i]->len == strlen(words[i]) &&
		      !strcmp(vals[i]->text, words[i]) && vals[i]->reads == 0);
}

int main(void)
{
	XT_V2_RECEIVE(init);
	check();
	for (int i = 0; i < 8; i++)
		memset(pool_alloc(24), 0xee, 24);
	check();
	XT_V2_RESULT();
}
#endif
