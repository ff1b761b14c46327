/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of voiddict: struct user gains a member in the middle and
 * struct session's members swap places; the values behind `void *val`
 * must arrive converted. */
#include "xt.h"

struct user {
	char name[16];
	long karma;
	long id;
	struct user *friend;
};

struct session {
	long expires;
	struct session *next;
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
			u->karma = 0;
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
	XT_V2_RECEIVE(init);
	int n = 0, users = 0, sessions = 0;
	for (struct dict_entry *e = dict; e; e = e->next, n++) {
		int i = atoi(e->key + 1);
		CHECK(e->kind == i % 3);
		if (e->kind == 0) {
			struct user *u = e->val;
			char want[16];
			snprintf(want, sizeof(want), "user%d", i);
			CHECK(!strcmp(u->name, want) && u->id == i && u->karma == 0);
			CHECK(i == 0 ? !u->friend : u->friend && u->friend->id == i - 3);
			users++;
		} else if (e->kind == 1) {
			struct session *s = e->val;
			CHECK(s->expires == 1000L * i);
			CHECK(i == 1 ? !s->next : s->next && s->next->expires == 1000L * (i - 3));
			sessions++;
		} else {
			CHECK(((struct counter *)e->val)->hits == 7L * i);
		}
	}
	CHECK(n == 12 && users == 4 && sessions == 4);
	XT_V2_RESULT();
}
