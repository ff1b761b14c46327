/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/mmap.c: struct rec gained a member and a longer name, so the
 * mapping of records grows; every record and pointer into it follows, and
 * the round trip back to the old layout must give the same state. */
#include <sys/mman.h>
#include "xt.h"

#define NREC 100

struct rec {
	long key;
	int flags;
	struct rec *next;
	char name[24];
};

struct holder {
	struct rec *at;
	long *keyp;
	char *end; /* one past the last record */
};

static struct rec *table;
static struct rec *cursor;
static struct holder *holder;
static const long *ro;
static char *text;
static struct rec *page; /* one page of records: grows to two in v2 */

#define CHECK_NEW_MEMBERS(i) CHECK(table[i].flags == 0)

static __attribute__((noinline)) void init(void)
{
	table = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < NREC; i++) {
		table[i].key = 10 * i;
		table[i].next = i + 1 < NREC ? &table[i + 1] : NULL;
		snprintf(table[i].name, sizeof(table[i].name), "rec%d", i);
	}
	cursor = &table[5];
	holder = malloc(sizeof(*holder));
	holder->at = &table[42];
	holder->keyp = &table[7].key;
	holder->end = (char *)&table[NREC];
	long *numbers = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
	for (int i = 0; i < 512; i++)
		numbers[i] = i * i;
	mprotect(numbers, 4096, PROT_READ);
	ro = numbers;
	text = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(text, "hello from a mapping");
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page[0].key = 1;
	page[0].next = &page[1];
	page[1].key = 2;
	page[1].next = &table[3];
}

/* The protection of the mapping holding p, from /proc/self/maps. */
static int perms_of(const void *p, char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;
	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    (unsigned long)p >= lo && (unsigned long)p < hi)
			found = 1;
	}
	if (f)
		fclose(f);
	return found;
}

int main(void)
{
	char perms[5];
	XT_V2_RECEIVE(init);
	CHECK(table != NULL);
	if (!table)
		XT_V2_RESULT();
	for (int i = 0; i < NREC; i++) {
		char want[16];
		snprintf(want, sizeof(want), "rec%d", i);
		CHECK(table[i].key == 10 * i);
		CHECK(table[i].next == (i + 1 < NREC ? &table[i + 1] : NULL));
		CHECK(!strcmp(table[i].name, want));
		CHECK_NEW_MEMBERS(i);
	}
	CHECK(cursor == &table[5]);
	CHECK(holder != NULL);
	if (holder) {
		CHECK(holder->at == &table[42]);
		CHECK(holder->keyp == &table[7].key);
		CHECK(holder->end == (char *)&table[NREC]);
	}
	CHECK(perms_of(table, perms) && !strcmp(perms, "rw-p"));
	CHECK(perms_of((char *)table + 3 * 4096 - 1, perms)); /* 256 records of 48 bytes */
	CHECK(ro != NULL);
	if (ro) {
		for (int i = 0; i < 512; i++)
			CHECK(ro[i] == (long)i * i);
		CHECK(perms_of(ro, perms) && !strcmp(perms, "r--p"));
	}
	CHECK(text && !strcmp(text, "hello from a mapping"));
	CHECK(page && page[0].key == 1 && page[0].next == &page[1]);
	CHECK(page && page[1].key == 2 && page[1].next == &table[3]);
	/* 128 records of 48 bytes: two pages, given back one in the round trip */
	CHECK(page && perms_of((char *)page + 2 * 4096 - 1, perms));
	XT_V2_RESULT();
}
