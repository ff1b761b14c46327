/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The same as v1/mmap.c, updated to a version where the records in the
 * mapping changed type (see v2/mmap-changed.c).  State in anonymous
 * mappings: an array of records in a mapping (typed by
 * its allocation site), linked to each other, pointed into from a static
 * and from a heap object; a read-only mapping of numbers; a
 * mapping of text.  Each is re-created in the new version with the same
 * size and protection. */
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
static struct rec *page; /* one page of records: grows to two in v2 */

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

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
