/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Program for the stf-meta tests: one of every kind of type and object.
 * -DWIDE_PAIR changes the layout of struct pair (the verify test swaps
 * the DWARF of such a build into a normal one). */
#include <stdlib.h>
#include <string.h>

#include "stf.h"

enum color { RED, GREEN = 5, BLUE = -2 };
struct flags { unsigned a : 3, b : 5; int c : 7; };
typedef struct entry {
	int key;
	char *val;
	struct entry *next;
	struct flags f;
	enum color col;
} entry_t;
struct buf { unsigned len; char data[]; };
struct pair {
	int first;
#ifdef WIDE_PAIR
	long second;
#else
	int second;
#endif
};
union num { int i; float f; };

static entry_t *table[16];
long counter = 3;
int grid[4][2];
static void (*hook)(int, ...);
union num num;
struct pair pair_obj;
double ratio = 0.5;
unsigned char bytes[3];
_Bool ready;

int helper_count(void); /* prog2.c */

static void on_event(int code, ...)
{
	counter += code;
}

struct entry *put(int key, const char *val)
{
	static int calls;
	entry_t *e = malloc(sizeof *e);

	e->key = key;
	e->val = strdup(val);
	e->next = table[key % 16];
	e->col = GREEN;
	table[key % 16] = e;
	calls++;
	return e;
}

int main(int argc, char **argv)
{
	struct buf *b = malloc(sizeof *b + 10);
	int rounds;

	(void)argv;
	for (rounds = 0; rounds < 1; rounds++)
		stf_update_point();
	hook = on_event;
	hook(1);
	put(argc, "x");
	b->len = 10;
	b->data[0] = 0;
	ready = 1;
	return (int)counter + grid[1][1] + num.i + b->data[0] + pair_obj.first +
	       (int)pair_obj.second + (int)ratio + bytes[1] + helper_count() > 1000;
}
