/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Function pointer arrays (one function renamed, argv[1] "gone" stores one
 * that version 2 removes), a type callback and member callbacks on the
 * same type, a new static array initialized by callback, STF_IXFER and
 * STF_PXFER members of heap objects, argv[1] "dropptr" fills a member
 * holding a pointer that version 2 drops. */
#include <stdint.h>
#include "xt.h"

typedef int (*op_fn)(int, int);

struct acct {
	int id;
	int ms;
	int cents;
	struct acct *peer;
};

struct blob {
	int len;
	uintptr_t where STF_PXFER;
	char *junk STF_IXFER;
	char *cache;
};

static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul_old(int a, int b) { return a * b; }
static int legacy(int a, int b) { return a % b; }

static op_fn ops[4];
static op_fn *op_mul = &ops[2];
static struct acct *accts;
static int target[3] = { 5, 6, 7 };
static struct blob *blob;

static __attribute__((noinline)) void init(const char *mode)
{
	ops[0] = add;
	ops[1] = sub;
	ops[2] = mul_old;
	ops[3] = !strcmp(mode, "gone") ? legacy : add;
	op_mul = &ops[2];
	accts = malloc(3 * sizeof(*accts));
	for (int i = 0; i < 3; i++) {
		accts[i].id = i;
		accts[i].ms = 1000 * (i + 1);
		accts[i].cents = 150 * i;
		accts[i].peer = &accts[(i + 1) % 3];
	}
	blob = malloc(sizeof(*blob));
	blob->len = 11;
	blob->where = (uintptr_t)&target[1];
	blob->junk = (char *)(uintptr_t)0xdeadbeef;
	blob->cache = !strcmp(mode, "dropptr") ? strdup("cached") : NULL;
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "");
	XT_V1_LOOP();
}
