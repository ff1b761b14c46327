/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pointers of many shapes: a heap argv (strdup'ed strings grown with
 * realloc), pointers into string literals at an offset, a pointer to a
 * function's static local, a circular list with a static sentinel, a
 * struct holding pointers to its own elements, calloc(n, size) with n
 * from a variable, a renamed static pointed to from the heap. */
#include "xt.h"

struct node {
	int key;
	struct node *prev, *next;
};

struct item {
	int v;
};

struct pool {
	int n;
	struct item items[6];
	struct item *byrank[6];
};

struct rec {
	short a;
	char tag[5];
	struct rec *self;
};

struct holder {
	int id;
	int *counter;
};

static struct node head = { -1, &head, &head };
static struct node *third;
static char **args;
static size_t nargs, capargs;
static char **args_mid;
static char *arg4_tail;
static const char *hello_tail = "hello" + 2;
static const char *lit;
static int *calls_p;
static struct pool pool;
static struct item **rank2;
static int nrec = 7;
static struct rec *recs;
static struct rec *rec_last;
static int total_hits;
static struct holder *holder;

static __attribute__((noinline)) int bump(void)
{
	static int calls;
	calls += 10;
	calls_p = &calls;
	return calls;
}

static __attribute__((noinline)) void add_arg(const char *s)
{
	if (nargs == capargs) {
		capargs = capargs ? capargs * 2 : 1;
		args = realloc(args, capargs * sizeof(*args));
	}
	args[nargs++] = strdup(s);
}

static __attribute__((noinline)) void push(int key)
{
	struct node *n = malloc(sizeof(*n));
	n->key = key;
	n->next = &head;
	n->prev = head.prev;
	head.prev->next = n;
	head.prev = n;
	if (key == 3)
		third = n;
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 1; i <= 5; i++)
		push(i);
	static const char *words[] = { "prog", "-v", "--level=3", "input.txt",
				       "output.dat", "extra" };
	for (int i = 0; i < 6; i++)
		add_arg(words[i]);
	args_mid = &args[3];
	arg4_tail = args[4] + 2;
	lit = "world wide" + 6;
	bump();
	bump();
	pool.n = 6;
	for (int i = 0; i < 6; i++) {
		pool.items[i].v = 100 + i;
		pool.byrank[i] = &pool.items[5 - i];
	}
	rank2 = &pool.byrank[2];
	recs = calloc(nrec, sizeof(*recs));
	for (int i = 0; i < nrec; i++) {
		recs[i].a = (short)(i * 7);
		snprintf(recs[i].tag, sizeof(recs[i].tag), "r%d", i);
		recs[i].self = &recs[i];
	}
	rec_last = &recs[nrec - 1];
	total_hits = 77;
	holder = malloc(sizeof(*holder));
	holder->id = 5;
	holder->counter = &total_hits;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
