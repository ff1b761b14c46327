/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pointers to libc functions and data, argv-like arrays of strings, a
 * flexible array of pointers, an allocator wrapper. */
#include <errno.h>
#include <getopt.h>
#include <time.h>
#include "xt.h"

struct alloc_ops {
	void *(*alloc)(size_t);
	void (*release)(void *);
	int (*cmp)(const void *, const void *);
};

struct strv {
	int n;
	char *v[];
};

struct word {
	struct word *next;
	char text[12];
};

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static struct alloc_ops ops;
static int *p_optind;
static FILE **p_stdin;
static char **names;          /* NULL-terminated, malloc'ed */
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
