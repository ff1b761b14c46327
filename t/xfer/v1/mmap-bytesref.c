/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A heap block of bytes (`char *`) holding, among its text, the address
 * of a record in a typed mapping (a message that carries its record).
 * The mapping is re-created at another address, the word of bytes is
 * kept as it is.  Version 2 is the same program.
 */
#include <sys/mman.h>
#include "xt.h"
struct rec {
	long key;
	struct rec *next;
};
struct rec *table; /* not static: kept at -O2 */
char *msg;
static void init(void)
{
	table = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < 10; i++) {
		table[i].key = i;
		table[i].next = i ? &table[i - 1] : NULL;
	}
	msg = malloc(32);
	struct rec *r = &table[3];
	memcpy(msg, "rec:", 5);
	memcpy(msg + 8, &r, sizeof r);
}
int main(void)
{
	init();
	XT_V1_LOOP();
}
