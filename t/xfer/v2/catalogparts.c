/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of catalogparts: the same types; every record kept must
 * arrive with its key and body, in order (see catalogparts.sh). */
#include "xt.h"

#define N 120000

struct rec {
	struct rec *next;
	long key;
	unsigned char body[];
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
		if (i % 5 == 2) {
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
	XT_V2_RECEIVE(init);
	long i = N;
	for (const struct rec *r = head; r && !xt_fails; r = r->next) {
		while (--i % 5 == 2)
			;
		CHECK(r->key == i);
		size_t len = body_len(i);
		CHECK(r->body[0] == (i & 0xff) && r->body[len - 1] == (i & 0xff) &&
		      !memcmp(r->body, r->body + 1, len - 1));
	}
	CHECK(i == 0);
	XT_V2_RESULT();
}
