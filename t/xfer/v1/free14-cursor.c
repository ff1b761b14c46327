/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A pool carving records one after the other with no rounding:
 * pool_alloc, declared STF_ALLOCATOR, returns its cursor (pool.next, the
 * next free byte) and moves it on by the size asked.  Version 1 carves
 * two 12-byte records, a 20-byte label and a third record, at 0, 12, 24
 * and 44: the cursor is at 56, the end of the last one.  Version 2 (built
 * with -DV2) grows the record to 16 bytes: the first two have no room
 * (the next object follows) and move out to heap blocks of their own;
 * the last one grows where it is, into the pool's free bytes, up to 60.
 * The cursor must move with its grown end: left at 56, the next record
 * carved would overlap it.  Version 2 checks the records, the label, the
 * cursor, and carves more. */
#include "xt.h"

struct pool {
	char *next;              /* the next free byte */
	char *end;
};

struct rec {
	int a, b, c;
#ifdef V2
	int d;                   /* new */
#endif
};

struct label {
	char text[20];
};

struct pool pool;            /* not static: kept at -O2 */
struct rec *recs[3];
struct label *label;

STF_ALLOCATOR void *pool_alloc(size_t size);
void *pool_alloc(size_t size)
{
	if (!pool.next) {
		pool.next = calloc(1, 4096);
		pool.end = pool.next + 4096;
	}
	if ((size_t)(pool.end - pool.next) < size)
		abort();
	void *p = pool.next;
	pool.next += size;
	return p;
}

static void init(void)
{
	for (int i = 0; i < 3; i++) {
		if (i == 2) {
			label = pool_alloc(sizeof(*label));
			strcpy(label->text, "between");
		}
		recs[i] = pool_alloc(sizeof(struct rec));
		recs[i]->a = i;
		recs[i]->b = 10 + i;
		recs[i]->c = 20 + i;
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
	for (int i = 0; i < 3; i++)
		CHECK(recs[i]->a == i && recs[i]->b == 10 + i && recs[i]->c == 20 + i &&
		      recs[i]->d == 0);
	CHECK(!strcmp(label->text, "between"));
	/* the last record grew where it was; the cursor moved with its end */
	CHECK((char *)recs[2] == (char *)(label + 1));
	CHECK(pool.next == (char *)(recs[2] + 1));
	struct rec *more[8];
	for (int i = 0; i < 8; i++) {
		more[i] = pool_alloc(sizeof(struct rec));
		more[i]->a = more[i]->b = more[i]->c = more[i]->d = -1;
	}
	for (int i = 0; i < 3; i++)
		CHECK(recs[i]->a == i && recs[i]->b == 10 + i && recs[i]->c == 20 + i &&
		      recs[i]->d == 0);
	CHECK(!strcmp(label->text, "between"));
	XT_V2_RESULT();
}
#endif
