/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/mmap.c: the same types; the state arrives in new mappings. */
#include <sys/mman.h>
#include "xt.h"

#define NREC 100

struct rec {
	long key;
	struct rec *next;
	char name[16];
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

#define CHECK_NEW_MEMBERS(i) ((void)(i))

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
	CHECK(ro != NULL);
	if (ro) {
		for (int i = 0; i < 512; i++)
			CHECK(ro[i] == (long)i * i);
		CHECK(perms_of(ro, perms) && !strcmp(perms, "r--p"));
	}
	CHECK(text && !strcmp(text, "hello from a mapping"));
	XT_V2_RESULT();
}
