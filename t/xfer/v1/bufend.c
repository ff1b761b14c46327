/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Buffers with end pointers one past an array member: the member after
 * it starts there, or the struct ends there. */
#include "xt.h"

struct obuf {
	char data[16];
	char *end;       /* data + sizeof(data) */
	char *wp;        /* write position, here at the end: full */
	size_t used;
};

struct msg {
	int n;
	short vals[4];
};

static struct obuf ob;
static struct obuf *heap_ob;
static struct msg *msgs;
static short *vals_end;      /* msgs[1].vals + 4: the end of msgs[1] */
static struct msg *msgs_end;

static __attribute__((noinline)) void init(void)
{
	memset(ob.data, 'a', sizeof(ob.data));
	ob.end = ob.data + sizeof(ob.data);
	ob.wp = ob.end;
	ob.used = sizeof(ob.data);
	heap_ob = calloc(1, sizeof(*heap_ob));
	memcpy(heap_ob->data, "hello", 5);
	heap_ob->end = heap_ob->data + sizeof(heap_ob->data);
	heap_ob->wp = heap_ob->data + 5;
	heap_ob->used = 5;
	msgs = calloc(2, sizeof(*msgs));
	for (int i = 0; i < 2; i++) {
		msgs[i].n = 4;
		for (int k = 0; k < 4; k++)
			msgs[i].vals[k] = (short)(i * 10 + k);
	}
	vals_end = msgs[1].vals + 4;
	msgs_end = msgs + 2;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
