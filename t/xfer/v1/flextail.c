/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A bundle of responses carved out of a fixed-size buffer (memcached's
 * mc_resp_bundle in its 16 KiB read buffers): a struct with a flexible
 * array member whose block is not a whole number of elements, so bytes
 * are left after the last whole element (here text of an earlier use of
 * the buffer). */
#include "xt.h"

#define BUFSZ 4096

struct resp {
	struct resp *next;
	int free;
	char wbuf[180];
};

struct bundle {
	unsigned char refcount;
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
	/* the buffer's earlier life: text reaching into its last bytes */
	memset((char *)b + BUFSZ - 40, 'z', 40);
	return b;
}

static __attribute__((noinline)) void init(void)
{
	open_bundle = bundle_new();
	open_bundle->refcount = 2;
	for (unsigned i = 0; i < NRESP; i++)
		open_bundle->r[i].free = 1;
	open_bundle->r[3].free = 0;
	strcpy(open_bundle->r[3].wbuf, "VALUE k 0 5");
	open_bundle->r[7].free = 0;
	open_bundle->r[7].next = &open_bundle->r[3];
	first_busy = &open_bundle->r[7];
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
