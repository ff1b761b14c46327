/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A chained hash table with strdup'ed keys, a cursor into one key and a
 * pointer to one entry's value; version 2 reorders and widens the entry. */
#include "xt.h"

struct entry {
	char *key;
	int value;
	struct entry *next;
};

struct table {
	unsigned nbuckets;
	unsigned count;
	struct entry **buckets;
};

static struct table tab;
static const char *last_op = "none";
static char *cursor;
static int *watched;
static struct entry *recent;

static unsigned hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static __attribute__((noinline)) struct entry *put(const char *key, int value)
{
	unsigned b = hash(key) % tab.nbuckets;
	struct entry *e = malloc(sizeof(*e));
	e->key = strdup(key);
	e->value = value;
	e->next = tab.buckets[b];
	tab.buckets[b] = e;
	tab.count++;
	last_op = "put";
	return e;
}

static __attribute__((noinline)) void init(void)
{
	static const char *const words[] = { "alpha", "bravo", "charlie", "delta",
		"echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo" };
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

/* what a request does: look keys up (keeps the state alive at -O2) */
static __attribute__((noinline)) long serve(void)
{
	long sum = 0;
	for (unsigned b = 0; b < tab.nbuckets; b++)
		for (struct entry *e = tab.buckets[b]; e; e = e->next)
			sum += e->value + (long)strlen(e->key);
	return sum + *watched + (long)strlen(cursor) + recent->value + (long)strlen(last_op) +
	       tab.count;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	long want = stf_is_updating() ? 0 : serve();
	for (;;) {
		stf_update_point();
		if (want && serve() != want)
			abort();
		usleep(2000);
	}
}
