/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "xt.h"

void *xmalloc(size_t n) STF_ALLOCATOR;
void *xrealloc(void *p, size_t n) STF_ALLOCATOR;
char *xstrdup(const char *s) STF_ALLOCATOR;

struct lnode {
	struct lnode *prev, *next;
};

struct ent {
	char *key;
	unsigned hits;           /* new */
	long value;              /* was int */
	struct ent *next;        /* bucket chain (was nxt) */
	struct lnode lru;        /* most recent first */
};

struct table {
	struct ent **buckets;
	unsigned nbuckets, count;
};

extern struct table tab;
extern struct lnode lru_head;

void put(const char *key, int value);
struct ent *get(const char *key);
unsigned long checksum(void);
