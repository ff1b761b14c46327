/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Records of 500 B allocated after 7 of every 8 tags of 100 B were
 * freed: libstf places them over the freed tags' objects (several each,
 * runtime/wide.c); they are transferred by the size their metadata
 * says, with a pointer into one of them. */
#include <stdint.h>
#include "xt.h"

struct tag {
	int id;
	char name[96];
};

struct rec {
	long key;
	struct tag *tag;
	struct rec *next;
	char body[476];
};

#define TAGS 2048
#define RECS 64

static struct tag *kept[TAGS / 8];
static struct rec *recs;
static char *cursor;
static int wide_seen;   /* records inside the tags' range */

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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
