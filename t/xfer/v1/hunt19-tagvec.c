/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A generic vector of `void *` (items, len, cap, grown with realloc)
 * whose elements are of three struct types told apart by a leading int
 * tag, made by one constructor for all (`make(tag, size)`: calloc, the
 * tag stored through an int *), so the allocation site has no type; the
 * elements are read through a switch on the tag.  All three structs grow
 * in version 2 (a member after the tag): every element must be converted
 * as its type, else the update rolls back naming it. */
#include <stdlib.h>
#include <string.h>
#include "xt.h"

enum tag { T_FILE = 11, T_SOCK = 12, T_PIPE = 13 };

struct file {
	int tag;
#ifdef V2
	int mode; /* new in 2 */
#endif
	char path[20];
	long size;
};

struct sock {
	int tag;
#ifdef V2
	long rtt; /* new in 2 */
#endif
	int port;
	struct file *log;
};

struct pipe {
	int tag;
#ifdef V2
	short prio; /* new in 2 */
#endif
	struct sock *reader;
	struct sock *writer;
};

struct vec {
	void **items;
	size_t len, cap;
};

static struct vec handles;

static void *make(int tag, size_t n)
{
	int *p = calloc(1, n);
	if (!p)
		abort();
	*p = tag;
	return p;
}

static void vec_push(struct vec *v, void *item)
{
	if (v->len == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 2;
		v->items = realloc(v->items, v->cap * sizeof(*v->items));
	}
	v->items[v->len++] = item;
}

static void init(void)
{
	for (int i = 0; i < 3; i++) {
		struct file *f = make(T_FILE, sizeof(*f));
		snprintf(f->path, sizeof(f->path), "/var/log/%d", i);
		f->size = 4096 * i;
		struct sock *r = make(T_SOCK, sizeof(*r));
		r->port = 8000 + i;
		r->log = f;
		struct sock *w = make(T_SOCK, sizeof(*w));
		w->port = 9000 + i;
		w->log = f;
		struct pipe *p = make(T_PIPE, sizeof(*p));
		p->reader = r;
		p->writer = w;
		vec_push(&handles, f);
		vec_push(&handles, r);
		vec_push(&handles, w);
		vec_push(&handles, p);
	}
}

static int item_ok(size_t i)
{
	void *item = handles.items[i];
	int k = (int)(i / 4);
	char path[20];
	snprintf(path, sizeof(path), "/var/log/%d", k);
	switch (*(int *)item) {
	case T_FILE: {
		struct file *f = item;
		return i % 4 == 0 && !strcmp(f->path, path) && f->size == 4096 * k;
	}
	case T_SOCK: {
		struct sock *s = item;
		return (i % 4 == 1 || i % 4 == 2) && s->port == (i % 4 == 1 ? 8000 : 9000) + k &&
		       s->log == handles.items[4 * k];
	}
	case T_PIPE: {
		struct pipe *p = item;
		return i % 4 == 3 && p->reader == handles.items[i - 2] &&
		       p->writer == handles.items[i - 1] && p->reader->tag == T_SOCK;
	}
	}
	return 0;
}

static void check(void)
{
	CHECK(handles.len == 12);
	for (size_t i = 0; i < handles.len; i++)
		CHECK(item_ok(i));
}

XT_MAIN_CHECKED(init, check)
