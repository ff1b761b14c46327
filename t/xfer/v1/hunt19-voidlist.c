/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A generic linked list of `void *data` whose nodes say what the data is
 * in a member of the node (not in the data), holding users and sessions
 * allocated by a helper of its own (new_user, new_session: malloc into a
 * typed local), plus a generic map whose `void *` values are either
 * small integers cast to `void *` (counters) or pointers to users.  Both
 * structs grow in version 2 (a member first): every data pointer must
 * follow its object, converted, and the small integers stay as they
 * are. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xt.h"

enum kind { K_USER = 1, K_SESSION = 2 };

struct node {
	struct node *next;
	enum kind kind;
	void *data;
};

struct user {
#ifdef V2
	long created; /* new in 2 */
#endif
	int id;
	char name[16];
};

struct session {
#ifdef V2
	void *extra; /* new in 2 */
#endif
	struct user *owner;
	long expires;
};

struct mapent {
	struct mapent *next;
	char key[16];
	void *val; /* a (void *)(intptr_t) counter for keys "n:...", else a struct user */
};

#define NBUCKETS 8

static struct node *list;
static struct mapent *buckets[NBUCKETS];

static void push(enum kind kind, void *data)
{
	struct node *n = malloc(sizeof(*n));
	n->kind = kind;
	n->data = data;
	n->next = list;
	list = n;
}

static struct user *new_user(int id)
{
	struct user *u = malloc(sizeof(*u));
	u->id = id;
	snprintf(u->name, sizeof(u->name), "user%d", id);
	return u;
}

static struct session *new_session(struct user *owner, long expires)
{
	struct session *s = malloc(sizeof(*s));
	s->owner = owner;
	s->expires = expires;
	return s;
}

static unsigned hash(const char *k)
{
	unsigned h = 5381;
	while (*k)
		h = h * 33 + (unsigned char)*k++;
	return h % NBUCKETS;
}

static void map_put(const char *key, void *val)
{
	struct mapent *e = malloc(sizeof(*e));
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->val = val;
	e->next = buckets[hash(key)];
	buckets[hash(key)] = e;
}

static void *map_get(const char *key)
{
	for (struct mapent *e = buckets[hash(key)]; e; e = e->next)
		if (!strcmp(e->key, key))
			return e->val;
	return NULL;
}

static void init(void)
{
	char key[16];
	for (int i = 0; i < 5; i++) {
		struct user *u = new_user(i);
		push(K_USER, u);
		push(K_SESSION, new_session(u, 1000 + i));
		snprintf(key, sizeof(key), "u:%d", i);
		map_put(key, u);
		snprintf(key, sizeof(key), "n:%d", i);
		map_put(key, (void *)(intptr_t)(7 * i + 3));
	}
}

static void check(void)
{
	int users = 0, sessions = 0;
	char key[16], name[16];
	for (struct node *n = list; n; n = n->next) {
		switch (n->kind) {
		case K_USER: {
			struct user *u = n->data;
			snprintf(name, sizeof(name), "user%d", u->id);
			CHECK(!strcmp(u->name, name));
			snprintf(key, sizeof(key), "u:%d", u->id);
			CHECK(map_get(key) == u);
			snprintf(key, sizeof(key), "n:%d", u->id);
			CHECK((intptr_t)map_get(key) == 7 * u->id + 3);
			users++;
			break;
		}
		case K_SESSION: {
			struct session *s = n->data;
			CHECK(s->expires == 1000 + s->owner->id);
			sessions++;
			break;
		}
		}
	}
	CHECK(users == 5 && sessions == 5);
}

XT_MAIN_CHECKED(init, check)
