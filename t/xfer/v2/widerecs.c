/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of widerecs.c: struct rec gains a member; the records placed
 * over several freed tags arrive whole, their pointers and a pointer
 * into one of them kept. */
#include <stdint.h>
#include "xt.h"

struct tag {
	int id;
	char name[96];
};

struct rec {
	long key;
	int hits;
	struct tag *tag;
	struct rec *next;
	char body[476];
};

#define TAGS 2048
#define RECS 64

static struct tag *kept[TAGS / 8];
static struct rec *recs;
static char *cursor;
static int wide_seen;

static __attribute__((noinline)) void init(void)
{
	static struct tag *t[TAGS];
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	for (int i = 0; i < TAGS; i++) {
		t[i] = malloc(sizeof(struct tag));
		t[i]->id = i;
		snprintf(t[i]->name, sizeof t[i]->name, "tag-%d", i);
		lo = (uintptr_t)t[i] < lo ? (uintptr_t)t[i] : lo;
		hi = (uintptr_t)t[i] > hi ? (uintptr_t)t[i] : hi;
	}
	for (int i = 0; i < TAGS; i++)
		if (i % 8)
			free(t[i]);
		else
			kept[i / 8] = t[i];
	for (int i = RECS; i-- > 0;) {
		struct rec *r = malloc(sizeof(struct rec));
		r->key = 1000 + i;
		r->tag = kept[i];
		r->next = recs;
		memset(r->body, 'a' + i % 26, sizeof r->body);
		recs = r;
		wide_seen += (uintptr_t)r > lo && (uintptr_t)r < hi;
	}
	cursor = recs->next->body + 300;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(wide_seen >= RECS / 2);
	int n = 0;
	for (struct rec *r = recs; r; r = r->next, n++) {
		CHECK(r->key == 1000 + n && r->hits == 0);
		CHECK(r->tag == kept[n] && r->tag->id == 8 * n);
		char name[16];
		snprintf(name, sizeof name, "tag-%d", 8 * n);
		CHECK(!strcmp(r->tag->name, name));
		for (size_t k = 0; k < sizeof r->body; k++)
			if (r->body[k] != 'a' + n % 26) {
				CHECK(r->body[k] == 'a' + n % 26);
				break;
			}
	}
	CHECK(n == RECS);
	CHECK(cursor == recs->next->body + 300);
	struct stf_object_info info;
	CHECK(stf_lookup(recs, &info) == 0 && info.count == 1);
	XT_V2_RESULT();
}
