/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "kvs.h"

struct table tab;
struct lnode lru_head = { &lru_head, &lru_head };

static unsigned hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void lru_touch(struct lnode *n)
{
	if (n->next) {
		n->prev->next = n->next;
		n->next->prev = n->prev;
	}
	n->next = lru_head.next;
	n->prev = &lru_head;
	lru_head.next->prev = n;
	lru_head.next = n;
}

static void grow(void)
{
	unsigned nb = tab.nbuckets ? tab.nbuckets * 2 : 4;
	struct ent **b = xmalloc(nb * sizeof(*b));
	memset(b, 0, nb * sizeof(*b));
	for (unsigned i = 0; i < tab.nbuckets; i++) {
		struct ent *e = tab.buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			unsigned h = hash(e->key) % nb;
			e->next = b[h];
			b[h] = e;
		}
	}
	free(tab.buckets);
	tab.buckets = b;
	tab.nbuckets = nb;
}

struct ent *get(const char *key)
{
	if (!tab.nbuckets)
		return NULL;
	for (struct ent *e = tab.buckets[hash(key) % tab.nbuckets]; e; e = e->next)
		if (!strcmp(e->key, key)) {
			lru_touch(&e->lru);
			return e;
		}
	return NULL;
}

void put(const char *key, int value)
{
	struct ent *e = get(key);
	if (e) {
		e->value = value;
		return;
	}
	if (tab.count >= tab.nbuckets)
		grow();
	e = xmalloc(sizeof(*e));
	e->key = xstrdup(key);
	e->value = value;
	unsigned h = hash(key) % tab.nbuckets;
	e->next = tab.buckets[h];
	tab.buckets[h] = e;
	e->lru.next = e->lru.prev = NULL;
	lru_touch(&e->lru);
	tab.count++;
}

unsigned long checksum(void)
{
	unsigned long sum = tab.count;
	for (unsigned i = 0; i < tab.nbuckets; i++)
		for (struct ent *e = tab.buckets[i]; e; e = e->next)
			sum += (unsigned long)e->value * (i + 1) + strlen(e->key);
	unsigned long pos = 1;
	for (struct lnode *n = lru_head.next; n != &lru_head; n = n->next, pos++) {
		struct ent *e = (struct ent *)((char *)n - __builtin_offsetof(struct ent, lru));
		sum += pos * (unsigned long)e->value;
	}
	return sum;
}
