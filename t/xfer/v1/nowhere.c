/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Values in pointer slots that point nowhere: integers kept in pointer
 * fields, a stale pointer to a freed block left in a dead slot, the
 * uninitialized capacity of an array beyond its length.  They keep their
 * value (ttst-ctl update --strict refuses them).  argv[1] says which;
 * "three" makes three independent problems for --strict. */
#include "xt.h"

struct slot {
	int id;
	void *data;         /* an integer tag or a pointer */
	struct slot *next;  /* stale once the next slot is freed */
};

struct vec {
	size_t len, cap;
	struct slot **items; /* items[len..cap) never written */
};

static struct slot *head;
static struct vec vec;
static void *tag = (void *)0x10000000;  /* an integer, above the lowest mappable address */

static __attribute__((noinline)) void init(const char *mode)
{
	head = malloc(sizeof(*head));
	head->id = 1;
	head->data = NULL;
	head->next = NULL;
	vec.cap = 16;
	vec.items = malloc(vec.cap * sizeof(*vec.items));
	for (vec.len = 0; vec.len < 4; vec.len++) {
		vec.items[vec.len] = malloc(sizeof(struct slot));
		vec.items[vec.len]->id = (int)vec.len;
		vec.items[vec.len]->data = NULL;
		vec.items[vec.len]->next = NULL;
	}
	if (!strcmp(mode, "freed") || !strcmp(mode, "three")) {
		/* a dead slot keeps a pointer to the block freed before it */
		struct slot *gone = malloc(sizeof(*gone));
		head->next = gone;
		free(gone);
	}
	if (!strcmp(mode, "garbage") || !strcmp(mode, "three")) {
		/* the capacity beyond the length: leftovers of earlier use */
		for (size_t k = vec.len; k < vec.cap; k++)
			vec.items[k] = (struct slot *)(uintptr_t)(0x123456789000ULL + k * 0x40);
	} else {
		memset(vec.items + vec.len, 0, (vec.cap - vec.len) * sizeof(*vec.items));
	}
	if (strcmp(mode, "ints") && strcmp(mode, "three"))
		tag = NULL;
	else
		head->data = (void *)123456; /* an integer: a user ID */
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "");
	XT_V1_LOOP();
}
