/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of flextail.c: the bundle's header gains a member, the
 * responses are unchanged; the block keeps its size and its bytes after
 * the last whole response. */
#include "xt.h"

#define BUFSZ 4096

struct resp {
	struct resp *next;
	int free;
	char wbuf[180];
};

struct bundle {
	unsigned char refcount;
	unsigned char next_check;
	struct bundle *next;
	struct resp r[];
};

#define NRESP ((BUFSZ - sizeof(struct bundle)) / sizeof(struct resp))

static struct bundle *open_bundle;
static struct resp *first_busy;

static __attribute__((noinline)) struct bundle *bundle_new(void)
{
	struct bundle *b = malloc(BUFSZ);
	memset(b, 0, BUFSZ);
	memset((char *)b + BUFSZ - 40, 'z', 40);
	return b;
}

static __attribute__((noinline)) void init(void)
{
	open_bundle = bundle_new();
}

int main(void)
{
	XT_V2_RECEIVE(init);
	struct stf_object_info info;
	CHECK(stf_lookup(open_bundle, &info) == 0 && info.size == BUFSZ);
	CHECK(open_bundle->refcount == 2 && open_bundle->next_check == 0);
	for (unsigned i = 0; i < NRESP; i++)
		CHECK(open_bundle->r[i].free == (i != 3 && i != 7));
	CHECK(!strcmp(open_bundle->r[3].wbuf, "VALUE k 0 5"));
	CHECK(first_busy == &open_bundle->r[7] && first_busy->next == &open_bundle->r[3]);
	for (int i = 1; i <= 40; i++)
		CHECK(((char *)open_bundle)[BUFSZ - i] == 'z');
	XT_V2_RESULT();
}
