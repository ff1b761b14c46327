/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of libref.c: the ops struct reordered, the word grows, the
 * flexible array's header widens. */
#include <errno.h>
#include <getopt.h>
#include <time.h>
#include "xt.h"

struct alloc_ops {
	int (*cmp)(const void *, const void *);
	void (*release)(void *);
	void *(*alloc)(size_t);
	void *(*resize)(void *, size_t);
};

struct strv {
	long n;
	int flags;
	char *v[];
};

struct word {
	int len;
	char text[20];
	struct word *next;
};

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static struct alloc_ops ops;
static int *p_optind;
static FILE **p_stdin;
static char **names;
static char **names_cur;
static struct strv *argvec;
static char **argvec_last;
static struct word *words;
static size_t (*len_fn)(const char *) = strlen;

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	return p;
}

static __attribute__((noinline)) void init(void)
{
	static const char *const src[] = { "ant", "bee", "cat", "dog" };
	ops.alloc = malloc;
	ops.release = free;
	ops.cmp = cmp_int;
	p_optind = &optind;
	p_stdin = &stdin;
	names = malloc(5 * sizeof(*names));
	for (int i = 0; i < 4; i++)
		names[i] = strdup(src[i]);
	names[4] = NULL;
	names_cur = &names[2];
	argvec = malloc(sizeof(*argvec) + 3 * sizeof(char *));
	argvec->n = 3;
	argvec->v[0] = names[3];
	argvec->v[1] = names[0] + 1;
	argvec->v[2] = (char *)"literal";
	argvec_last = &argvec->v[2];
	for (int i = 0; i < 3; i++) {
		struct word *w = xmalloc(sizeof(*w));
		snprintf(w->text, sizeof(w->text), "w%d", i);
		w->next = words;
		words = w;
	}
	len_fn = strlen;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(ops.alloc == malloc && ops.release == free && ops.cmp == cmp_int && !ops.resize);
	int a[3] = { 3, 1, 2 };
	qsort(a, 3, sizeof(int), ops.cmp);
	CHECK(a[0] == 1 && a[2] == 3);
	void *p = ops.alloc(10);
	CHECK(p != NULL);
	ops.release(p);
	CHECK(p_optind == &optind && *p_optind == 1);
	CHECK(p_stdin == &stdin);
	static const char *const want[] = { "ant", "bee", "cat", "dog" };
	for (int i = 0; i < 4; i++)
		CHECK(names[i] && !strcmp(names[i], want[i]));
	CHECK(names[4] == NULL);
	CHECK(names_cur == &names[2]);
	struct stf_object_info info;
	CHECK(stf_lookup(names, &info) == 0 && info.count == 5);
	CHECK(argvec->n == 3 && argvec->flags == 0);
	CHECK(argvec->v[0] == names[3] && argvec->v[1] == names[0] + 1);
	CHECK(!strcmp(argvec->v[2], "literal"));
	CHECK(argvec_last == &argvec->v[2]);
	int n = 0;
	for (struct word *w = words; w; w = w->next, n++) {
		char t[20];
		snprintf(t, sizeof(t), "w%d", 2 - n);
		CHECK(!strcmp(w->text, t) && w->len == 0);
		CHECK(stf_lookup(w, &info) == 0 && info.size >= sizeof(*w));
	}
	CHECK(n == 3);
	CHECK(len_fn == strlen && len_fn("abc") == 3);
	XT_V2_RESULT();
}
