/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of bufend.c: the buffer grows and moves last, the message's
 * values widen and grow. */
#include "xt.h"

struct obuf {
	size_t used;
	char *wp;
	char *end;
	char data[32];
};

struct msg {
	long n;
	int vals[6];
	int flags;
};

static struct obuf ob;
static struct obuf *heap_ob;
static struct msg *msgs;
static int *vals_end;
static struct msg *msgs_end;

static __attribute__((noinline)) void init(void)
{
	ob.end = ob.data + sizeof(ob.data);
	heap_ob = calloc(1, sizeof(*heap_ob));
	msgs = calloc(2, sizeof(*msgs));
}

int main(void)
{
	XT_V2_RECEIVE(init);
	/* the end pointers keep their index: data + 16, vals + 4 */
	CHECK(ob.used == 16 && ob.end == ob.data + 16 && ob.wp == ob.data + 16);
	CHECK(!memcmp(ob.data, "aaaaaaaaaaaaaaaa", 16) && !ob.data[16]);
	CHECK(heap_ob->end == heap_ob->data + 16 && heap_ob->wp == heap_ob->data + 5);
	CHECK(!strcmp(heap_ob->data, "hello") && heap_ob->used == 5);
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 4; k++)
			CHECK(msgs[i].n == 4 && msgs[i].vals[k] == i * 10 + k);
	CHECK(vals_end == msgs[1].vals + 4);
	CHECK(msgs_end == msgs + 2);
	XT_V2_RESULT();
}
