/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Messages `struct msg { size_t len; unsigned char data[]; }` from a
 * cache that keeps given-back ones on a free list threaded through their
 * first word (`*(void **)m = free_msgs`, t/idioms/blobq's msg_free): a
 * dead message's len holds the next dead one's address.  Items behind
 * the live messages grow in version 2 (built with -DV2).  Version 2
 * walks the free list (every dead message found, each one of the cache's
 * blocks) and takes messages from it. */
#include "xt.h"

struct msg {
	size_t len;
	unsigned char data[];
};

struct item {
	int id;
#ifdef V2
	long hits;               /* new */
#endif
	void *val;               /* a struct msg */
};

#define MSG_BLOCK 64
#define NMSGS 24

void *free_msgs;             /* not static: kept at -O2 */
size_t cached;
struct item *items[NMSGS];

#ifdef MSG_DECLARED
STF_ALLOCATOR void *msg_new(const char *s);
void *msg_new(const char *s)
#else
static void *msg_new(const char *s)
#endif
{
	struct msg *m = free_msgs;

	if (m) {
		free_msgs = *(void **)m;
		cached--;
	} else {
		m = malloc(MSG_BLOCK);
	}
	m->len = strlen(s);
	memcpy(m->data, s, m->len);
	return m;
}

static void msg_free(void *p)
{
	*(void **)p = free_msgs;
	free_msgs = p;
	cached++;
}

static void init(void)
{
	char text[16];

	for (int i = 0; i < NMSGS; i++) {
		items[i] = calloc(1, sizeof(struct item));
		items[i]->id = i;
		snprintf(text, sizeof(text), "msg%d", i);
		items[i]->val = msg_new(text);
	}
	for (int i = 0; i < NMSGS; i += 2) { /* every other one given back */
		msg_free(items[i]->val);
		items[i]->val = NULL;
	}
}

#ifndef V2
int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
#else
int main(void)
{
	XT_V2_RECEIVE(init);
	size_t n = 0;
	for (void *m = free_msgs; m && n <= NMSGS; m = *(void **)m) {
		int live = 0;
		for (int i = 0; i < NMSGS; i++)
			live |= items[i]->val == m;
		CHECK(!live);
		n++;
	}
	CHECK(n == cached && n == NMSGS / 2);
	for (int i = 1; i < NMSGS; i += 2) {
		struct msg *m = items[i]->val;
		char text[16];
		snprintf(text, sizeof(text), "msg%d", i);
		CHECK(m->len == strlen(text) && !memcmp(m->data, text, m->len));
	}
	for (int i = 0; i < NMSGS; i += 2)
		items[i]->val = msg_new("again");
	CHECK(cached == 0 && !free_msgs);
	XT_V2_RESULT();
}
#endif
