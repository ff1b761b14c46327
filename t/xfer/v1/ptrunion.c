/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A union whose members are all data pointers (pgbouncer's PgSocket: an
 * anonymous union of a DNS request and a cached database) holds one
 * pointer, whichever member was stored: relocated by its target, here
 * heap objects whose type changes, in heap objects whose type changes
 * too. */
#include "xt.h"

struct token {
	int id;
};

struct db {
	char name[16];
	int port;
};

struct client {
	int fd;
	union {
		struct token *token;   /* a request under way */
		struct db *db;         /* or the database it resolved */
	};
};

static struct client *clients;
static struct db *mydb;

static __attribute__((noinline)) void init(void)
{
	struct token *t = malloc(sizeof(*t));
	mydb = malloc(sizeof(*mydb));
	strcpy(mydb->name, "postgres");
	mydb->port = 5432;
	t->id = 7;
	clients = malloc(3 * sizeof(*clients));
	clients[0].fd = 10;
	clients[0].db = mydb;
	clients[1].fd = 11;
	clients[1].token = t;
	clients[2].fd = 12;
	clients[2].db = NULL;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
