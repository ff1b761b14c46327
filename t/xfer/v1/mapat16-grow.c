/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A mapping of records (typed by its site) that version 2 grows by a
 * member, and a heap block of bytes holding, among its text, the
 * mapping's address: that word keeps the mapping at its address, where it
 * grows over the free pages after it; its first record stays where the
 * word points.  With argument "clash", another mapping follows the
 * records: the grown mapping cannot keep its address (rolled back,
 * naming both).
 */
#include <sys/mman.h>
#include "xt.h"

struct rec {
	long key;
	struct rec *next;
#ifdef V2
	long extra;
#endif
};

#define NREC 256
static struct rec *table;
static char *msg, *after;

static void init(int clash)
{
	/* three pages, the last two given back: free after the records */
	table = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap((char *)table + 4096, 2 * 4096);
	if (clash)
		after = mmap((char *)table + 4096, 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	for (int i = 0; i < NREC; i++) {
		table[i].key = i;
		table[i].next = i ? &table[i - 1] : NULL;
	}
	msg = malloc(32);
	strcpy(msg, "table:");
	memcpy(msg + 8, &table, sizeof table);
}

int main(int argc, char **argv)
{
#ifndef V2
	init(argc > 1 && !strcmp(argv[1], "clash"));
	XT_V1_LOOP();
#else
	if (!stf_is_updating()) {
		init(argc > 1 && !strcmp(argv[1], "clash"));
		XT_V1_LOOP();
	}
	stf_update_point();
	struct rec *r;
	memcpy(&r, msg + 8, sizeof r);
	CHECK(r == table && !strcmp(msg, "table:"));
	for (int i = NREC - 1; i >= 0; i--)
		CHECK(table[i].key == i && table[i].extra == 0 &&
		      table[i].next == (i ? &table[i - 1] : NULL));
	XT_V2_RESULT();
#endif
}
