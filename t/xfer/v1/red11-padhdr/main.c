/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Keys from a size-prefixing wrapper in another unit (STF_ALLOCATOR), in
 * blocks that held text before (malloc does not clear them): the padding
 * after the key's 4-byte hash holds the text's bytes.  Version 2 adds a
 * member after the hash (t/idioms/jobd's struct kv): the keys are
 * converted, the round trip must not compare the padding. */
#include <string.h>
#include "xt.h"

STF_ALLOCATOR void *xmalloc(size_t n);
void xfree(void *p);

struct kv {
	unsigned hash;
	struct kv *next;
	char *val;
	char key[];
};

static struct kv *keys;

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 16; i++) {
		char *text = xmalloc(sizeof(struct kv) + 8);
		memset(text, '2', sizeof(struct kv) + 7);
		text[sizeof(struct kv) + 7] = '\0';
		xfree(text);
		struct kv *kv = xmalloc(sizeof *kv + 8);
		kv->hash = 1000 + i;
		kv->val = NULL;
		strcpy(kv->key, "key");
		kv->key[3] = 'a' + i;
		kv->key[4] = '\0';
		kv->next = keys;
		keys = kv;
	}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
