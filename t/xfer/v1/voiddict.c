/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A dictionary of `void *` values of several struct types (Redis' dict,
 * beanstalkd's ms): each value is allocated into a local of its own type
 * (`struct user *u = malloc (sizeof *u)`), filled, then kept in the
 * entry's `void *val`.  The local says the block's type: the block is
 * typed by its site, not left untyped because it ends up behind `void *`. */
#include "xt.h"

struct user {
	char name[16];
	long id;
	struct user *friend;
};

struct session {
	struct session *next;
	long expires;
};

struct counter {
	long hits;
};

struct dict_entry {
	char key[12];
	int kind;
	void *val;
	struct dict_entry *next;
};

static struct dict_entry *dict;

static __attribute__((noinline)) void init(void)
{
	struct user *last = NULL;
	struct session *sessions = NULL;
	for (int i = 0; i < 12; i++) {
		struct dict_entry *e = malloc(sizeof *e);
		snprintf(e->key, sizeof(e->key), "k%d", i);
		e->kind = i % 3;
		switch (i % 3) {
		case 0: {
			struct user *u = malloc(sizeof *u);
			snprintf(u->name, sizeof(u->name), "user%d", i);
			u->id = i;
			u->friend = last;
			last = u;
			e->val = u;
			break;
		}
		case 1: {
			struct session *s = malloc(sizeof *s);
			s->next = sessions;
			s->expires = 1000L * i;
			sessions = s;
			e->val = s;
			break;
		}
		default: {
			struct counter *c = malloc(sizeof *c);
			c->hits = 7L * i;
			e->val = c;
		}
		}
		e->next = dict;
		dict = e;
	}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
