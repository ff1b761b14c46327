/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A memcached-like cache (its slabs.c and items.c in miniature): classes
 * of slot sizes growing by a factor of 1.25 from 64 bytes (slabclass[],
 * class 0 unused), each with pages of PAGE bytes split into its free list
 * as they come (split_page: memcached's split_slab_page_into_freelist)
 * and the list of its pages (slab_list, grown by realloc);
 * slabs_alloc(size, id), declared STF_ALLOCATOR, takes a slot off class
 * id's free list, slabs_free(ptr, size, id) puts one back (its partner by
 * name).  Items (a header, then the key and the value) of sizes spread
 * over several classes, the class chosen by the computed size
 * slabs_clsid(sizeof(struct item) + nkey + 1 + nbytes), are chained in
 * hash buckets (h_next) and in one doubly linked LRU list.  Version 2
 * (built with -DV2) grows the item header by 16 bytes (a cas and client
 * flags), unless built with -DSAME: every item leaves its class for a
 * slot of the class its new size chooses, relocated in its bucket and the
 * LRU list; the classes keep the new startup's state, the old pages left
 * behind; version 2 then looks every key up, and frees and allocates
 * items through the classes.  With -DCLSID the item keeps its class in a
 * member (memcached's slabs_clsid), which its free goes by: each moved
 * item's member must name its new class, never a class of smaller slots;
 * with -DONECLASS all items are in one class, where that member cannot be
 * told from a count equal to it: the update rolls back naming it.
 * -DPAGE=N sets the page size (memcached's is 1 MiB). */
#include "xt.h"
#include <stdint.h>

#define MAX_CLASSES 16
#ifndef PAGE
#define PAGE 4096
#endif
#define HASH 64
#define NITEMS 160

struct slabclass {
	unsigned size;            /* slot size */
	unsigned perslab;         /* slots per page */
	void *slots;              /* free list */
	unsigned sl_curr;         /* free slots */
	unsigned slabs;           /* pages */
	void **slab_list;         /* the pages */
	unsigned list_size;
	unsigned long requested;  /* bytes handed out */
};

struct slabclass slabclass[MAX_CLASSES]; /* not static: kept at -O2 */
int power_largest;

struct item {
	struct item *next, *prev; /* LRU */
	struct item *h_next;      /* hash chain */
	unsigned nbytes;          /* value bytes */
	uint8_t nkey;             /* key bytes, then a NUL */
#ifdef CLSID
	uint8_t slabs_clsid;
#endif
#if defined(V2) && !defined(SAME)
	uint64_t cas;             /* new */
	uint32_t client_flags;    /* new */
#endif
	char data[];              /* key, NUL, value */
};

struct item *hashtable[HASH];
struct item *lru_head, *lru_tail;
unsigned long curr_items;

static void slabs_init(void)
{
	unsigned size = 64;
	int i = 1;
	for (; i < MAX_CLASSES - 1 && size <= PAGE / 2; i++) {
		slabclass[i].size = size;
		slabclass[i].perslab = PAGE / size;
		size = (size * 5 / 4 + 7) & ~7u;
	}
	power_largest = i - 1;
}

static unsigned slabs_clsid(size_t size)
{
	for (int i = 1; i <= power_largest; i++)
		if (size <= slabclass[i].size)
			return (unsigned)i;
	return 0;
}

/* Whether ptr is a slot of a page of class id (a slot of a smaller class
 * freed there would be handed out again too small). */
static int owned(const char *ptr, unsigned id)
{
	const struct slabclass *p = &slabclass[id];
	for (unsigned k = 0; k < p->slabs; k++) {
		const char *page = p->slab_list[k];
		if (ptr >= page && ptr < page + p->perslab * p->size)
			return (size_t)(ptr - page) % p->size == 0;
	}
	return 0;
}

void slabs_free(void *ptr, size_t size, unsigned id);
void slabs_free(void *ptr, size_t size, unsigned id)
{
	struct slabclass *p = &slabclass[id];
	CHECK(owned(ptr, id) && size <= p->size);
	p->requested -= size;
	*(void **)ptr = p->slots;
	p->slots = ptr;
	p->sl_curr++;
}

static void split_page(unsigned id, char *page)
{
	struct slabclass *p = &slabclass[id];
	for (unsigned k = 0; k < p->perslab; k++) {
		*(void **)(page + k * p->size) = p->slots;
		p->slots = page + k * p->size;
		p->sl_curr++;
	}
}

static int newslab(unsigned id)
{
	struct slabclass *p = &slabclass[id];
	if (p->slabs == p->list_size) {
		unsigned n = p->list_size ? p->list_size * 2 : 4;
		void **l = realloc(p->slab_list, n * sizeof(*l));
		if (!l)
			return 0;
		p->slab_list = l;
		p->list_size = n;
	}
	char *page = malloc(PAGE);
	if (!page)
		return 0;
	p->slab_list[p->slabs++] = page;
	split_page(id, page);
	return 1;
}

STF_ALLOCATOR void *slabs_alloc(size_t size, unsigned id);
void *slabs_alloc(size_t size, unsigned id)
{
	struct slabclass *p = &slabclass[id];
	if (id < 1 || (int)id > power_largest || size > p->size || (!p->sl_curr && !newslab(id)))
		return NULL;
	void *it = p->slots;
	p->slots = *(void **)it;
	p->sl_curr--;
	p->requested += size;
	return it;
}

static size_t item_ntotal(const struct item *it)
{
	return sizeof(struct item) + it->nkey + 1 + it->nbytes;
}

static unsigned hash(const char *key, size_t n)
{
	unsigned h = 5381;
	while (n--)
		h = h * 33 + (unsigned char)*key++;
	return h % HASH;
}

static struct item *item_get(const char *key)
{
	for (struct item *it = hashtable[hash(key, strlen(key))]; it; it = it->h_next)
		if (it->nkey == strlen(key) && !memcmp(it->data, key, it->nkey))
			return it;
	return NULL;
}

static void item_link(struct item *it)
{
	unsigned h = hash(it->data, it->nkey);
	it->h_next = hashtable[h];
	hashtable[h] = it;
	it->prev = NULL;
	it->next = lru_head;
	if (lru_head)
		lru_head->prev = it;
	lru_head = it;
	if (!lru_tail)
		lru_tail = it;
	curr_items++;
}

static void item_unlink(struct item *it)
{
	struct item **pp = &hashtable[hash(it->data, it->nkey)];
	while (*pp != it)
		pp = &(*pp)->h_next;
	*pp = it->h_next;
	if (it->prev)
		it->prev->next = it->next;
	else
		lru_head = it->next;
	if (it->next)
		it->next->prev = it->prev;
	else
		lru_tail = it->prev;
	curr_items--;
#ifdef CLSID
	slabs_free(it, item_ntotal(it), it->slabs_clsid);
#else
	slabs_free(it, item_ntotal(it), slabs_clsid(item_ntotal(it)));
#endif
}

/* the value of key n: every length from 20 bytes on, so the items
 * spread over several classes and some, grown, count one byte more than a
 * class's slots */
static unsigned value_len(int n)
{
#ifdef ONECLASS
	(void)n;
	return 20;
#else
	return 20 + (unsigned)n;
#endif
}

static struct item *item_set(int n, unsigned extra)
{
	char key[32];
	unsigned nkey = (unsigned)snprintf(key, sizeof(key), "key:%d", n);
	unsigned nbytes = value_len(n) + extra;
	size_t ntotal = sizeof(struct item) + nkey + 1 + nbytes;
	unsigned id = slabs_clsid(ntotal);
	struct item *it = slabs_alloc(ntotal, id);
	if (!it)
		return NULL;
	it->nkey = (uint8_t)nkey;
	it->nbytes = nbytes;
#ifdef CLSID
	it->slabs_clsid = (uint8_t)id;
#endif
	memcpy(it->data, key, nkey + 1);
	memset(it->data + nkey + 1, 'a' + n % 26, nbytes);
	item_link(it);
	return it;
}

static int intact(const struct item *it, int n)
{
	if (it->nbytes < value_len(n))
		return 0;
	for (unsigned k = 0; k < it->nbytes; k++)
		if (it->data[it->nkey + 1 + k] != 'a' + n % 26)
			return 0;
	return 1;
}

static void init(void)
{
	for (int n = 0; n < NITEMS; n++)
		item_set(n, 0);
	for (int n = 0; n < NITEMS; n += 7) {
		char key[32];
		snprintf(key, sizeof(key), "key:%d", n);
		item_unlink(item_get(key));
	}
}

int main(void)
{
	slabs_init();
#ifndef V2
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
#else
	XT_V2_RECEIVE(init);
	CHECK(curr_items == NITEMS - (NITEMS + 6) / 7);
	unsigned n = 0;
	for (struct item *it = lru_head; it; it = it->next, n++)
		CHECK(!it->next || it->next->prev == it);
	CHECK(n == curr_items);
	for (int k = 0; k < NITEMS; k++) {
		char key[32];
		snprintf(key, sizeof(key), "key:%d", k);
		struct item *it = item_get(key);
		CHECK(k % 7 ? it && intact(it, k) : !it);
#ifdef CLSID
		/* the class of its new slot */
		CHECK(!it || (it->slabs_clsid == slabs_clsid(item_ntotal(it)) &&
			      owned((const char *)it, it->slabs_clsid)));
#endif
	}
	/* the items are replaced through the classes, grown and shrunk */
	for (int round = 0; round < 6; round++) {
		for (int k = round; k < NITEMS; k += 3) {
			char key[32];
			snprintf(key, sizeof(key), "key:%d", k);
			struct item *it = item_get(key);
			if (it)
				item_unlink(it);
			CHECK(item_set(k, (unsigned)(round * 41 % 90)) != NULL);
		}
		for (int k = 0; k < NITEMS; k++) {
			char key[32];
			snprintf(key, sizeof(key), "key:%d", k);
			struct item *it = item_get(key);
			CHECK(!it || intact(it, k));
		}
	}
	XT_V2_RESULT();
#endif
}
