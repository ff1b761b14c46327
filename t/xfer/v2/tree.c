/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: nodes gain a height and a size, the key widens, children
 * become an array, the static local counter widens. */
#include "xt.h"

struct tnode {
	struct tnode *parent;
	long key;
	int height;
	const char *label;
	struct tnode *left, *right;
	unsigned size;
};

static struct tnode *root;
static struct tnode *minimum;
static long *deep_key;
static long *counter_seen;

static __attribute__((noinline)) struct tnode *insert(long key, const char *label)
{
	static long inserted;
	counter_seen = &inserted;
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

static int count, ordered = 1;
static long last = -1;

static void walk(struct tnode *n, struct tnode *parent)
{
	if (!n)
		return;
	CHECK(n->parent == parent);
	CHECK(n->height == 0 && n->size == 0);
	walk(n->left, n);
	if (n->key <= last)
		ordered = 0;
	last = n->key;
	count++;
	walk(n->right, n);
}

static const int keys[] = { 50, 30, 70, 20, 40, 60, 80, 35, 45, 65 };

static struct tnode *find(long key)
{
	struct tnode *n = root;
	while (n && n->key != key)
		n = key < n->key ? n->left : n->right;
	return n;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	walk(root, NULL);
	CHECK(count == 10 && ordered);
	CHECK(root && root->key == 50);
	CHECK(minimum && minimum->key == 20 && minimum == root->left->left);
	for (int i = 0; i < 10; i++) {
		struct tnode *n = find(keys[i]);
		CHECK(n && !strcmp(n->label, i % 2 ? "odd" : "even"));
	}
	CHECK(deep_key == &find(45)->key);
	/* the static local kept its value: one more insert counts 11 */
	insert(90, "new");
	CHECK(counter_seen && *counter_seen == 11);
	XT_V2_RESULT();
}
