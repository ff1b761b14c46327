/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Linux-style lists whose heads are inside heap objects, walked by
 * list_for_each_entry with the cursor kept in another heap object: once a
 * walk is over its cursor holds container_of(head, struct conn, member),
 * the head minus the member's offset.  The server's head follows another
 * member, so its cursor points to the start of the server (a struct
 * server where a struct conn * points); the registry's head is its first
 * member, so its cursor points before the registry (into the object
 * before it, or where none is).  Version 2 (built with -DV2) adds a member
 * to struct conn before both list members: each cursor must come to point
 * at version 2's container_of of its head (a walk resumed from it ends at
 * once), or the update must refuse.  Before, only heads in statics were
 * recognised: the server's cursor kept its old offset (the update
 * committed with the cursor 8 bytes short of version 2's
 * container_of). */
#include <stddef.h>
#include "xt.h"

struct list_head {
	struct list_head *next, *prev;
};

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define list_for_each_entry(pos, head, member)                                         \
	for (pos = container_of((head)->next, __typeof__(*pos), member); &pos->member != (head); \
	     pos = container_of(pos->member.next, __typeof__(*pos), member))

static void list_init(struct list_head *h)
{
	h->next = h->prev = h;
}

static void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

struct conn {
	int fd;
#ifdef V2
	long serial;              /* new: moves both list members */
#endif
	struct list_head node;    /* on the server's list */
	struct list_head link;    /* on the registry's list */
	unsigned long hits;
};

struct server {
	int nconns;
	struct list_head conns;   /* after another member */
};

struct stats {                    /* allocated right before the registry */
	long opened, closed, bytes;
};

struct registry {
	struct list_head all;     /* first member: its cursor points before it */
	long generation;
};

struct walk {                     /* where the walks keep their cursors */
	struct conn *in_server;
	struct conn *in_registry;
	unsigned long rounds;
};

struct server *srv;
struct stats *stats;
struct registry *reg;
struct walk *walk;

static void walk_all(void)
{
	list_for_each_entry(walk->in_server, &srv->conns, node)
		walk->in_server->hits++;
	list_for_each_entry(walk->in_registry, &reg->all, link)
		walk->in_registry->hits++;
	walk->rounds++;
}

static __attribute__((noinline)) void init(void)
{
	srv = calloc(1, sizeof *srv);
	list_init(&srv->conns);
	stats = calloc(1, sizeof *stats);
	reg = calloc(1, sizeof *reg);
	list_init(&reg->all);
	walk = calloc(1, sizeof *walk);
	for (int i = 0; i < 3; i++) {
		struct conn *c = calloc(1, sizeof *c);
		c->fd = 10 + i;
		list_add_tail(&c->node, &srv->conns);
		list_add_tail(&c->link, &reg->all);
		srv->nconns++;
	}
	walk_all();
}

int main(void)
{
#ifndef V2
	if (!stf_is_updating())
		init();
	for (;;) {
		stf_update_point();
		walk_all();
		usleep(2000);
	}
#else
	XT_V2_RECEIVE(init);
	CHECK(&walk->in_server->node == &srv->conns);
	CHECK(&walk->in_registry->link == &reg->all);
	if (&walk->in_server->node != &srv->conns)
		fprintf(stderr, "FAIL: the server's cursor is %td bytes off\n",
			(char *)&walk->in_server->node - (char *)&srv->conns);
	if (&walk->in_registry->link != &reg->all)
		fprintf(stderr, "FAIL: the registry's cursor is %td bytes off\n",
			(char *)&walk->in_registry->link - (char *)&reg->all);
	CHECK(srv->nconns == 3);
	unsigned long hits = 0;
	int n = 0;
	list_for_each_entry(walk->in_server, &srv->conns, node) {
		CHECK(walk->in_server->fd == 10 + n && walk->in_server->serial == 0);
		hits += walk->in_server->hits;
		n++;
	}
	CHECK(n == 3 && hits == 3 * 2 * walk->rounds);
	XT_V2_RESULT();
#endif
}
