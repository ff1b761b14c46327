/* A size-class allocator in memcached's shape: slabs_alloc(size, id),
 * declared STF_ALLOCATOR, hands out a slot of class id (a static table of
 * classes, each with a free list and a cursor into its newest page);
 * slabs_free(ptr, size, id) gives it back.  Items take their whole class
 * size (memcached's item header, key and value).  Version 2 (built with
 * -DV2) grows the item header, unless built with -DSAME: a grown item no
 * longer fits its slot, and moved out to a heap block of its own it
 * would later be given back to the allocator as one of its slots (a
 * block smaller than the class it is freed into: items overwrote each
 * other, then v2 crashed).  Now the update rolls back naming the item and
 * slabs_alloc.  With -DSAME the items keep their places and come and go
 * through the classes after the commit. */
#define V2
#include "xt.h"

#define NCLASS 6
#define PAGE 4096

struct slabclass {
	size_t size;
	void *free;
	char *cur;
	size_t left;
	unsigned out;
};
static struct slabclass slabclass[NCLASS];

struct item {
	struct item *next;
	long key;
	unsigned nbytes;          /* bytes of data after the header */
	long cas;
#if defined(V2) && !defined(SAME)
	char flags[24];           /* new */
#endif
	char data[];
};

struct item *items;           /* not static: kept at -O2 */

static void slabs_init(void)
{
	size_t size = 48;
	for (int i = 0; i < NCLASS; i++, size *= 2)
		slabclass[i].size = size;
}

static unsigned slabs_clsid(size_t size)
{
	for (unsigned i = 0; i < NCLASS; i++)
		if (size <= slabclass[i].size)
			return i;
	return NCLASS - 1;
}

STF_ALLOCATOR void *slabs_alloc(size_t size, unsigned id);
void *slabs_alloc(size_t size, unsigned id)
{
	struct slabclass *c = &slabclass[id];
	if (size > c->size)
		return NULL;
	c->out++;
	if (c->free) {
		void *p = c->free;
		c->free = *(void **)p;
		return p;
	}
	if (c->left < c->size) {
		c->cur = malloc(PAGE);
		c->left = PAGE;
	}
	void *p = c->cur;
	c->cur += c->size;
	c->left -= c->size;
	return p;
}

void slabs_free(void *ptr, size_t size, unsigned id);
void slabs_free(void *ptr, size_t size, unsigned id)
{
	(void)size;
	slabclass[id].out--;
	*(void **)ptr = slabclass[id].free;
	slabclass[id].free = ptr;
}

static struct item *item_new(long key, unsigned nbytes)
{
	size_t total = sizeof(struct item) + nbytes;
	unsigned id = slabs_clsid(total);
	struct item *it = slabs_alloc(slabclass[id].size, id);
	it->key = key;
	it->nbytes = (unsigned)(slabclass[id].size - sizeof(struct item));
	memset(it->data, (int)(key & 0x7f), it->nbytes);
	it->cas = key;
	return it;
}

static void item_free(struct item *it)
{
	size_t total = sizeof(struct item) + it->nbytes;
	slabs_free(it, total, slabs_clsid(total));
}

static int intact(const struct item *it)
{
	for (unsigned k = 0; k < it->nbytes; k++)
		if (it->data[k] != (char)(it->key & 0x7f))
			return 0;
	return 1;
}

static void init(void)
{
	struct item *all[40];
	for (int i = 0; i < 40; i++)
		all[i] = item_new(i, (unsigned)(i % 4) * 20);
	for (int i = 0; i < 40; i++) {
		if (i % 5 == 2) {
			item_free(all[i]);
			continue;
		}
		all[i]->next = items;
		items = all[i];
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
	int n = 0;
	for (struct item *it = items; it; it = it->next, n++) {
		CHECK(it->key % 5 != 2 && intact(it));
		it->cas = it->key;
	}
	CHECK(n == 32);
	/* the items are freed and allocated again through the classes */
	for (int round = 0; round < 10; round++) {
		struct item *head = items;
		items = NULL;
		for (struct item *it = head, *next; it; it = next) {
			next = it->next;
			long key = it->key;
			CHECK(intact(it));
			item_free(it);
			struct item *fresh = item_new(key, (unsigned)(key % 4) * 20 + (unsigned)round);
			fresh->next = items;
			items = fresh;
		}
		for (struct item *it = items; it; it = it->next)
			CHECK(intact(it) && it->cas == it->key);
	}
	XT_V2_RESULT();
#endif
}
