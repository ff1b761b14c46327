/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: stats grows and moves its members, node reorders members,
 * the list head gains a member. */
#include "xt.h"

struct stats {
	unsigned long evictions;
	unsigned long misses;
	unsigned long hits;
};

struct node {
	int key;
	char tag[10];
	struct stats st;
	struct node *next, *prev;
	long stamp;
};

struct lru {
	int cap;
	long generation;
	struct node *tail, *head;
	int size;
};

static struct lru cache = { .cap = 8 };
static unsigned long *hot_misses;
static struct stats *hot_stats;
static char *tag_of_tail;

static __attribute__((noinline)) void push_front(int key)
{
	struct node *n = calloc(1, sizeof(*n));
	n->key = key;
	n->st.hits = (unsigned)key * 3;
	n->st.misses = (unsigned)key + 1;
	snprintf(n->tag, sizeof(n->tag), "k%d", key);
	n->next = cache.head;
	if (cache.head)
		cache.head->prev = n;
	cache.head = n;
	if (!cache.tail)
		cache.tail = n;
	cache.size++;
}

static __attribute__((noinline)) void init(void)
{
	for (int k = 1; k <= 6; k++)
		push_front(k * 10);
	hot_misses = &cache.head->next->st.misses;
	hot_stats = &cache.tail->prev->st;
	tag_of_tail = &cache.tail->tag[1];
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(cache.cap == 8 && cache.size == 6 && cache.generation == 0);
	int k = 60, n = 0;
	struct node *prev = NULL;
	for (struct node *p = cache.head; p; prev = p, p = p->next, k -= 10, n++) {
		CHECK(p->key == k);
		CHECK(p->prev == prev);
		CHECK(p->st.hits == (unsigned long)k * 3 && p->st.misses == (unsigned long)k + 1);
		CHECK(p->st.evictions == 0 && p->stamp == 0);
		char want[10];
		snprintf(want, sizeof(want), "k%d", k);
		CHECK(!strcmp(p->tag, want));
	}
	CHECK(n == 6);
	CHECK(cache.tail == prev && cache.tail->key == 10);
	CHECK(hot_misses == &cache.head->next->st.misses && *hot_misses == 51);
	CHECK(hot_stats == &cache.tail->prev->st && hot_stats->hits == 60);
	CHECK(tag_of_tail == &cache.tail->tag[1] && !strcmp(tag_of_tail, "10"));
	XT_V2_RESULT();
}
