/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A binary search tree with parent pointers, a pointer to the minimum,
 * a pointer to a node's key member and a static local counter. */
#include "xt.h"

struct tnode {
	int key;
	struct tnode *left, *right, *parent;
	const char *label;
};

static struct tnode *root;
static struct tnode *minimum;
static int *deep_key;

static __attribute__((noinline)) struct tnode *insert(int key, const char *label)
{
	static int inserted;
	struct tnode **link = &root, *parent = NULL;
	while (*link) {
		parent = *link;
		link = key < parent->key ? &parent->left : &parent->right;
	}
	struct tnode *n = malloc(sizeof(*n));
	n->key = key;
	n->left = n->right = NULL;
	n->parent = parent;
	n->label = label;
	*link = n;
	inserted++;
	return n;
}

static __attribute__((noinline)) void init(void)
{
	static const int keys[] = { 50, 30, 70, 20, 40, 60, 80, 35, 45, 65 };
	for (int i = 0; i < 10; i++) {
		struct tnode *n = insert(keys[i], i % 2 ? "odd" : "even");
		if (keys[i] == 45)
			deep_key = &n->key;
	}
	for (minimum = root; minimum->left; minimum = minimum->left)
		;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
