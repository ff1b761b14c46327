/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 120,000 heap objects of five sizes (four small size classes and 64 KiB
 * buffers), allocated interleaved and one in five freed: enough for the
 * catalog of the heap to be cut in several parts read at once, with
 * spans of every kind and holes in them (see catalogparts.sh). */
#include "xt.h"

#define N 120000

struct rec {
	struct rec *next;
	long key;
	unsigned char body[]; /* key's low byte, repeated */
};

static struct rec *head;

static size_t body_len(long i)
{
	static const size_t len[] = { 8, 40, 100, 300, 65536 };
	return len[i % 997 == 0 ? 4 : i % 4];
}

static __attribute__((noinline)) void init(void)
{
	struct rec *gone = NULL;
	for (long i = 0; i < N; i++) {
		struct rec *r = malloc(sizeof(*r) + body_len(i));
		r->key = i;
		memset(r->body, (int)(i & 0xff), body_len(i));
		if (i % 5 == 2) { /* freed below: holes all over the spans */
			r->next = gone;
			gone = r;
			continue;
		}
		r->next = head;
		head = r;
	}
	while (gone) {
		struct rec *n = gone->next;
		free(gone);
		gone = n;
	}
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
