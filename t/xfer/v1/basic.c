/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unchanged types: scalars, arrays, nested structs, a heap list with
 * interior pointers, pointers to statics, string literals, functions and
 * library data (stdout) all survive the update. */
#include "xt.h"

struct node {
	struct node *next;
	int key;
	long val;
	char name[12];
};

int counter = 7;
static long big = -1234567890123L;
static double ratio = 0.25;
static short table[5] = { 1, -2, 3, -4, 5 };
static struct node *head;
static struct node *tail_p;
static int *into_table_end;
static long *p_big;
static const char *greeting;
static int twice(int v) { return 2 * v; }
static int (*op)(int) = twice;
static FILE *out;
static char *dup_name;
static long *val_of_second;
static struct node *with_tail;

/* not inlined: its allocation sites are identical in both versions */
static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 10; i++) {
		struct node *n = malloc(sizeof(*n));
		n->next = head;
		n->key = i;
		n->val = i * 1000L;
		snprintf(n->name, sizeof(n->name), "node%d", i);
		head = n;
	}
	for (tail_p = head; tail_p->next; tail_p = tail_p->next)
		;
	into_table_end = (int *)(table + 5);
	p_big = &big;
	greeting = "hello, world";
	out = stdout;
	dup_name = strdup("duplicated");
	val_of_second = &head->next->val;
	with_tail = malloc(sizeof(*with_tail) + 6); /* a node and 6 more bytes */
	with_tail->key = -1;
	memcpy(with_tail + 1, "tail!", 6);
	counter++;
	ratio *= 1;
	big += 0;
	table[1] += 0;
	op = twice;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
