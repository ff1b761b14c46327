/* SPDX-License-Identifier: GPL-3.0-or-later */
/* State in anonymous mappings: an array of records in a mapping (typed by
 * its allocation site), linked to each other, pointed into from a static
 * and from a heap object; a read-only mapping of numbers; a
 * mapping of text.  Each is re-created in the new version with the same
 * size and protection (argv[1] "mixed": one with pages of different
 * protections, "shared": a shared one, which are refused). */
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

int main(int argc, char **argv)
{
	if (!stf_is_updating()) {
		init();
		/* pages of one mapping with different protections */
		if (argc > 1 && !strcmp(argv[1], "mixed"))
			mprotect(table, 4096, PROT_READ);
		/* a mapping shared with other processes */
		if (argc > 1 && !strcmp(argv[1], "shared")) {
			text = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
			strcpy(text, "hello from a mapping");
		}
	}
	XT_V1_LOOP();
}
