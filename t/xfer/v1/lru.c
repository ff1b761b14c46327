/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A doubly-linked LRU cache: head and tail pointers, nodes embedding a
 * stats struct, a pointer to one node's embedded stats member. */
#include "xt.h"

struct stats {
	unsigned hits;
	unsigned misses;
};

struct node {
	struct node *prev, *next;
	int key;
	struct stats st;
	char tag[6];
};

struct lru {
	struct node *head, *tail;
	int size;
	int cap;
};

static struct lru cache = { .cap = 8 };
static unsigned *hot_misses;
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
