/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A set shaped as Redis 7.2's (a dict without values): 20,000 members
 * whose keys are sds strings (a 3-byte header, then the characters, in a
 * block typed as bytes), each held by the bucket array itself, a
 * `struct entry *` slot holding the key's odd address, or, in a bucket
 * already taken, by an entry linked from the bucket by its address + 2.
 * Types do not change: version 2 finds every member.  setkeys.sh counts
 * how often the transfer works out the checks of such a pointer. */
#include <stdint.h>

#include "xt.h"

#define NMEMBERS 20000
#define NBUCKETS 32768

struct entry {
	void *key;          /* an sds */
	struct entry *next; /* an odd sds or an entry + 2 */
};

static struct entry **table;

static char *new_sds(const char *text)
{
	size_t len = strlen(text);
	uint8_t *sh = malloc(3 + len + 1);
	sh[0] = (uint8_t)len;
	sh[1] = (uint8_t)len;
	sh[2] = 1;
	memcpy(sh + 3, text, len + 1);
	return (char *)sh + 3;
}

static size_t bucket_of(long i)
{
	return (size_t)((uint64_t)i * 0x9e3779b97f4a7c15ull >> 24) & (NBUCKETS - 1);
}

static __attribute__((noinline)) void init(void)
{
	char text[32];
	table = calloc(NBUCKETS, sizeof(*table));
	for (long i = 0; i < NMEMBERS; i++) {
		snprintf(text, sizeof(text), "member:%ld", i);
		char *key = new_sds(text);
		struct entry **b = &table[bucket_of(i)];
		if (!*b) {
			*b = (struct entry *)key;
			continue;
		}
		struct entry *e = malloc(sizeof(*e));
		e->key = key;
		e->next = *b;
		*b = (struct entry *)((uintptr_t)e | 2);
	}
}

/* Is the member with these characters in its bucket? */
static int member(size_t b, const char *want)
{
	uintptr_t p = (uintptr_t)table[b];
	while (p) {
		if (p & 1)
			return !strcmp((const char *)p, want);
		const struct entry *e = (const struct entry *)(p & ~(uintptr_t)2);
		CHECK(p & 2);
		if (!strcmp(e->key, want))
			return 1;
		p = (uintptr_t)e->next;
	}
	return 0;
}

static void check(void)
{
	char want[32];
	for (long i = 0; i < NMEMBERS && !xt_fails; i++) {
		snprintf(want, sizeof(want), "member:%ld", i);
		CHECK(member(bucket_of(i), want));
	}
}

XT_MAIN_CHECKED(init, check)
