/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Allocation sites; prints the site libstf attributes to each block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "stf.h"

struct conn {
	int fd;
	char *buf;
	struct conn *next;
};

struct node {
	int v;
	struct node *l, *r;
};

/* Two allocations at one source position (one macro expansion). */
#define TWO(p, q) do { p = malloc(sizeof *p); q = malloc(sizeof *q); } while (0)

struct conn *conns;
struct node *twin_a;
struct conn *twin_b;
static struct conn *pool;
char *spare, *backup;
void *held_text, *held_copy;

static inline STF_ALLOCATOR __attribute__((alloc_size(1))) void *xalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	return p;
}

static char *copy(const char *s)
{
	return strdup(s);
}

/* A string constructor taking the length (Redis's createStringObject(ptr,
 * len)): it keeps the block in a `char *` and copies bytes into it, so it
 * hands out bytes, as strdup does. */
static void *bytes_new(const char *s, size_t n)
{
	char *o = xalloc(n);
	memcpy(o, s, n);
	return o;
}

/* The same from a `const void *`: a generic copy of any object. */
static void *mem_dup(const void *s, size_t n)
{
	char *o = xalloc(n);
	memcpy(o, s, n);
	return o;
}

static struct node *make_node(int v)
{
	struct node *n = xalloc(sizeof *n);
	n->v = v;
	n->l = n->r = NULL;
	return n;
}

static void show(const char *label, const void *p)
{
	struct stf_object_info info;
	if (stf_lookup(p, &info) == 0)
		printf("%s %s\n", label, info.id ? info.id : "(none)");
	else
		printf("%s (untracked)\n", label);
}

int main(int argc, char **argv)
{
	conns = calloc(4, sizeof *conns);
	conns[0].buf = malloc(64);
	pool = xalloc(3 * sizeof *pool);
	char *name = copy(argc > 5 ? argv[1] : "conn-name");
	int *nums = reallocarray(NULL, 10, sizeof(int));
	char *dup = strndup(name, 4);
	void *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct node *root = make_node(argc);
	held_text = bytes_new("text", 4);
	held_copy = mem_dup(&argc, sizeof argc);
	/* Stored twice: the first store in the source names the site. */
	backup = spare = malloc(32);
	TWO(twin_a, twin_b);
	struct node *aligned = aligned_alloc(64, 4 * sizeof *aligned);
	struct conn *pm = NULL;
	if (posix_memalign((void **)&pm, 32, 2 * sizeof *pm))
		return 1;
	show("conns", conns);
	show("buf", conns[0].buf);
	show("pool", pool);
	show("name", name);
	show("nums", nums);
	show("dup", dup);
	show("root", root);
	show("spare", backup);
	show("aligned", aligned);
	show("twin_a", twin_a);
	show("twin_b", twin_b);
	show("pm", pm);
	conns = realloc(conns, 8 * sizeof *conns);
	show("conns2", conns);
	munmap(map, 4096);
	free(held_copy);
	free(held_text);
	free(twin_a);
	free(twin_b);
	free(pm);
	free(aligned);
	free(spare);
	free(root);
	free(dup);
	free(nums);
	free(name);
	free(pool);
	free(conns[0].buf);
	free(conns);
	return 0;
}
