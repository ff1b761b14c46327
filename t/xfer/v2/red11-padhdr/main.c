/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of red11-padhdr: struct kv gains a member after its hash. */
#include <string.h>
#include "xt.h"

STF_ALLOCATOR void *xmalloc(size_t n);
void xfree(void *p);

struct kv {
	unsigned hash;
	unsigned long hits; /* new in 2 */
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
	int i = 15;
	XT_V2_RECEIVE(init);
	for (struct kv *kv = keys; kv; kv = kv->next, i--) {
		char want[8] = "keya";
		want[3] = 'a' + i;
		CHECK(kv->hash == 1000u + i && kv->hits == 0 && !kv->val && !strcmp(kv->key, want));
	}
	CHECK(i == -1);
	XT_V2_RESULT();
}
