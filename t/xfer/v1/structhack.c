/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The struct hack: a struct ending in `char name[1]`, allocated with
 * offsetof(struct node, name) + the name's length, so a short name makes
 * the block smaller than the struct (nginx's location tree nodes).  The
 * pointers of such a block all lie within it.
 */
#include <stddef.h>
#include "xt.h"

struct conf {
	int port;
	char root[24];
};

struct node {
	struct node *left;
	struct node *right;
	struct conf *inclusive;
	unsigned char len;
	char name[1];
};

static struct node *tree;
static struct conf *confs;

static struct node *node_new(const char *name, struct conf *c)
{
	size_t len = strlen(name);
	struct node *n = malloc(offsetof(struct node, name) + len);
	n->left = n->right = NULL;
	n->inclusive = c;
	n->len = (unsigned char)len;
	memcpy(n->name, name, len);
	return n;
}

static __attribute__((noinline)) void init(void)
{
	confs = calloc(3, sizeof(*confs));
	for (int i = 0; i < 3; i++) {
		confs[i].port = 8080 + i;
		snprintf(confs[i].root, sizeof(confs[i].root), "/srv/%d", i);
	}
	tree = node_new("/", &confs[0]);
	tree->left = node_new("/a", &confs[1]);
	tree->right = node_new("/static/", &confs[2]);
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
