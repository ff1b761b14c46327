/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * addrkeys.c - pointers converted to integers: the addresses a program
 * keeps (hashed and stored, a slot chosen by them, a hash function's
 * result) and those it does not (alignment tests, printing, a tagged
 * address in a uintptr_t, differences, rounding back to a pointer).  Only
 * struct hashed and struct viavoid (through a `void *` parameter) are
 * address keys.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct hashed { int a; };
struct viavoid { int b; };
struct aligned { int c; };
struct printed { int d; };
struct tagged { int e; };
struct diffed { int f[4]; };
struct rounded { int g; };

static uintptr_t slots[64];
static uintptr_t tag;
static long span;

static void keep_hashed(struct hashed *h)
{
	uintptr_t k = ((uintptr_t)h >> 4) * 0x9E3779B97F4A7C15ull;
	slots[k % 64] = k;
}

static uint64_t hash_void(const void *p)
{
	return (uint64_t)(uintptr_t)p * 31;
}

static int check_aligned(struct aligned *a)
{
	return ((uintptr_t)a & 15) == 0;
}

static void print_it(struct printed *p)
{
	printf("%lx\n", (unsigned long)p);
}

static void tag_it(struct tagged *t)
{
	tag = (uintptr_t)t | 1;
}

static void measure(struct diffed *d)
{
	span = (long)((uintptr_t)&d->f[3] - (uintptr_t)d);
}

static struct rounded *round_up(struct rounded *r)
{
	return (struct rounded *)(((uintptr_t)r + 15) & ~(uintptr_t)15);
}

int main(void)
{
	struct hashed *h = malloc(sizeof *h);
	struct viavoid *v = malloc(sizeof *v);
	struct aligned *a = malloc(sizeof *a);
	struct printed *p = malloc(sizeof *p);
	struct tagged *t = malloc(sizeof *t);
	struct diffed *d = malloc(sizeof *d);
	struct rounded *r = malloc(sizeof *r);
	keep_hashed(h);
	slots[hash_void(v) % 64] = 1;
	print_it(p);
	tag_it(t);
	measure(d);
	return check_aligned(a) + (round_up(r) == r) + (int)span;
}
