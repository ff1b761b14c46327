/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/ptrunion.c; struct db and struct token gain a member before
 * their old ones, struct client one before the union. */
#include "xt.h"

struct token {
	long started;
	int id;
};

struct db {
	long pool_size;
	char name[16];
	int port;
};

struct client {
	int fd;
	long requests;
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
	XT_V2_RECEIVE(init);
	CHECK(clients[0].fd == 10 && clients[0].db == mydb);
	CHECK(!strcmp(clients[0].db->name, "postgres") && clients[0].db->port == 5432);
	CHECK(clients[1].fd == 11 && clients[1].token && clients[1].token->id == 7);
	CHECK(clients[2].fd == 12 && clients[2].db == NULL);
	XT_V2_RESULT();
}
