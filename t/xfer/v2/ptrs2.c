/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of ptrs2.c: struct node gains a member in the middle, struct
 * item and struct rec gain members in front, total_hits is renamed hits. */
#include "xt.h"

struct node {
	int key;
	long stamp;
	struct node *prev, *next;
};

struct item {
	long tag;
	int v;
};

struct pool {
	int n;
	struct item items[6];
	struct item *byrank[6];
};

struct rec {
	double w;
	short a;
	char tag[5];
	struct rec *self;
};

struct holder {
	int id;
	int *counter;
};

static struct node head = { -1, 0, &head, &head };
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
static int hits;
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
	n->stamp = 0;
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
	hits = 77;
	holder = malloc(sizeof(*holder));
	holder->id = 5;
	holder->counter = &hits;
}

int main(void)
{
	if (stf_is_updating())
		stf_rename(STF_RENAME_OBJECT, "ptrs2.c:total_hits", "ptrs2.c:hits");
	XT_V2_RECEIVE(init);
	struct stf_object_info info;
	/* circular list */
	int k = 1;
	struct node *n;
	for (n = head.next; n != &head; n = n->next, k++) {
		CHECK(n->key == k && n->stamp == 0);
		CHECK(n->next->prev == n && n->prev->next == n);
		if (k == 3)
			CHECK(third == n);
	}
	CHECK(k == 6 && head.key == -1 && head.prev->key == 5);
	/* argv */
	static const char *words[] = { "prog", "-v", "--level=3", "input.txt",
				       "output.dat", "extra" };
	CHECK(nargs == 6 && capargs == 8);
	CHECK(stf_lookup(args, &info) == 0 && info.count == 8);
	for (int i = 0; i < 6; i++)
		CHECK(!strcmp(args[i], words[i]));
	CHECK(args_mid == &args[3]);
	CHECK(arg4_tail == args[4] + 2 && !strcmp(arg4_tail, "tput.dat"));
	CHECK(!strcmp(hello_tail, "llo"));
	CHECK(lit && !strcmp(lit, "wide"));
	/* static local */
	CHECK(calls_p && *calls_p == 20);
	CHECK(bump() == 30 && *calls_p == 30);
	/* self-pointing pool */
	CHECK(pool.n == 6);
	for (int i = 0; i < 6; i++) {
		CHECK(pool.items[i].v == 100 + i && pool.items[i].tag == 0);
		CHECK(pool.byrank[i] == &pool.items[5 - i]);
	}
	CHECK(rank2 == &pool.byrank[2]);
	/* calloc(nrec, ...) */
	CHECK(nrec == 7);
	CHECK(stf_lookup(recs, &info) == 0 && info.count == 7);
	for (int i = 0; i < 7; i++) {
		char want[5];
		snprintf(want, sizeof(want), "r%d", i);
		CHECK(recs[i].a == i * 7 && !strcmp(recs[i].tag, want) &&
		      recs[i].self == &recs[i] && recs[i].w == 0);
	}
	CHECK(rec_last == &recs[6]);
	/* renamed static */
	CHECK(hits == 77 && holder->id == 5 && holder->counter == &hits);
	XT_V2_RESULT();
}
