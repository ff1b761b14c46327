/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: entry members reordered, value widened, a hash cached;
 * table members reordered and one added. */
#include "xt.h"

struct entry {
	struct entry *next;
	unsigned hash;
	long value;
	char *key;
};

struct table {
	struct entry **buckets;
	unsigned long resizes;
	unsigned count;
	unsigned nbuckets;
};

static struct table tab;
static const char *last_op = "none";
static char *cursor;
static long *watched;
static struct entry *recent;

static unsigned hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static __attribute__((noinline)) struct entry *put(const char *key, long value)
{
	unsigned b = hash(key) % tab.nbuckets;
	struct entry *e = malloc(sizeof(*e));
	e->key = strdup(key);
	e->value = value;
	e->hash = hash(key);
	e->next = tab.buckets[b];
	tab.buckets[b] = e;
	tab.count++;
	last_op = "put";
	return e;
}

static const char *const words[] = { "alpha", "bravo", "charlie", "delta",
	"echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo" };

static __attribute__((noinline)) void init(void)
{
	tab.nbuckets = 7;
	tab.buckets = calloc(tab.nbuckets, sizeof(struct entry *));
	for (int i = 0; i < 11; i++) {
		struct entry *e = put(words[i], i * 111 - 500);
		if (i == 4)
			cursor = e->key + 2;
		if (i == 9)
			watched = &e->value;
		if (i == 10)
			recent = e;
	}
}

static struct entry *find(const char *key)
{
	for (struct entry *e = tab.buckets[hash(key) % tab.nbuckets]; e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(tab.nbuckets == 7 && tab.count == 11 && tab.resizes == 0);
	CHECK(!strcmp(last_op, "put"));
	unsigned n = 0;
	for (unsigned b = 0; b < tab.nbuckets; b++)
		for (struct entry *e = tab.buckets[b]; e; e = e->next) {
			CHECK(hash(e->key) % 7 == b);
			CHECK(e->hash == 0);
			n++;
		}
	CHECK(n == 11);
	for (int i = 0; i < 11; i++) {
		struct entry *e = find(words[i]);
		CHECK(e && e->value == i * 111 - 500);
		if (!e)
			continue;
		if (i == 4)
			CHECK(cursor == e->key + 2 && !strcmp(cursor, "ho"));
		if (i == 9)
			CHECK(watched == &e->value && *watched == 499);
		if (i == 10)
			CHECK(recent == e);
	}
	XT_V2_RESULT();
}
