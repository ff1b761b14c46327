/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of kvs2: struct ent gains hits, widens value and renames nxt
 * to next; once updated the loop checks the table, the LRU order and its
 * own locals once, against a model built from scratch. */
#include "kvs.h"

static int started_normally, checked;

static __attribute__((noinline)) void init(void)
{
	char key[16];
	for (int i = 0; i < 23; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		put(key, i * 11 - 50);
	}
	put("key-3", 3333);
	get("key-7");
	get("key-0");
}

static unsigned hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static long model(int i)
{
	return i == 3 ? 3333 : i * 11 - 50;
}

static __attribute__((noinline)) void check(unsigned long want, unsigned long turns,
					    struct ent *cursor, unsigned bucket)
{
	char key[16];
	CHECK(tab.count == 23 && tab.nbuckets == 32);
	struct stf_object_info info;
	CHECK(stf_lookup(tab.buckets, &info) == 0 && info.count == 32);
	int seen[23] = { 0 }, cursor_found = !cursor;
	for (unsigned b = 0; b < tab.nbuckets; b++)
		for (struct ent *e = tab.buckets[b]; e; e = e->next) {
			int i = atoi(e->key + 4);
			CHECK(i >= 0 && i < 23 && hash(e->key) % 32 == b);
			if (i < 0 || i >= 23)
				continue;
			seen[i]++;
			CHECK(e->value == model(i) && e->hits == 0);
			if (e == cursor)
				cursor_found = 1;
		}
	for (int i = 0; i < 23; i++)
		CHECK(seen[i] == 1);
	static const int head[] = { 0, 7, 3 };
	int pos = 0, order[23];
	for (int i = 0; i < 3; i++)
		order[pos++] = head[i];
	for (int i = 22; i >= 0; i--)
		if (i != 0 && i != 7 && i != 3)
			order[pos++] = i;
	pos = 0;
	struct lnode *n;
	for (n = lru_head.next; n != &lru_head && pos < 23; n = n->next, pos++) {
		struct ent *e = (struct ent *)((char *)n - __builtin_offsetof(struct ent, lru));
		snprintf(key, sizeof(key), "key-%d", order[pos]);
		CHECK(!strcmp(e->key, key));
		CHECK(n->next->prev == n);
	}
	CHECK(pos == 23 && n == &lru_head && lru_head.prev->next == &lru_head);
	CHECK(cursor_found && bucket < 32);
	CHECK(turns > 0 && want == checksum());
	checked = 1;
	XT_V2_RESULT();
}

int main(void)
{
	unsigned long want = 0, turns = 0;
	struct ent *cursor = NULL;
	unsigned bucket = 0;

	if (!stf_is_updating()) {
		started_normally = 1;
		init();
		want = checksum();
	} else {
		stf_rename(STF_RENAME_MEMBER, "struct ent.nxt", "next");
	}
	for (;;) {
		stf_update_point();
		if (!started_normally && !checked) {
			check(want, turns, cursor, bucket);
		}
		if (checksum() != want)
			abort();
		if (cursor && cursor->next) {
			cursor = cursor->next;
		} else {
			cursor = NULL;
			for (unsigned n = 0; n < tab.nbuckets && !cursor; n++) {
				bucket = (bucket + 1) % tab.nbuckets;
				cursor = tab.buckets[bucket];
			}
		}
		if (cursor && cursor->key[0] != 'k')
			abort();
		turns++;
		usleep(1000);
	}
}
