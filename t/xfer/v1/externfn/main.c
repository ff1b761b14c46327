/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pointers to functions defined in another unit (open.c), whose address
 * no code of their own unit takes (Redis's luaopen_* functions, stored by
 * script_lua.c into Lua's heap): in a static, and in an untyped block
 * (bytes handed out through a `void *` like Lua's allocator's).  They must
 * reach the same functions in the new version, where open.c's functions
 * move. */
#include "xt.h"

int lib_open(int x);
int lib_close(int x);

struct lib {
	const char *name;
	int (*fn)(int);
};

static int (*opener)(int);
static void *block;

static void *raw_alloc(size_t n)
{
	return realloc(NULL, n);
}

static __attribute__((noinline)) void init(void)
{
	struct lib l = { "close", lib_close };
	opener = lib_open;
	block = raw_alloc(64);
	memset(block, 0, 64);
	memcpy((char *)block + 16, &l, sizeof(l));
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
