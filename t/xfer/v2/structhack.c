/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of structhack.c: the nodes smaller than their struct arrive
 * with their pointers relocated and their names intact.
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

static int node_is(const struct node *n, const char *name, const struct conf *c)
{
	return n && n->len == strlen(name) && !memcmp(n->name, name, n->len) &&
	       n->inclusive == c;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(node_is(tree, "/", &confs[0]));
	CHECK(node_is(tree->left, "/a", &confs[1]));
	CHECK(node_is(tree->right, "/static/", &confs[2]));
	CHECK(confs[2].port == 8082 && !strcmp(confs[2].root, "/srv/2"));
	XT_V2_RESULT();
}
