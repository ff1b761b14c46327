/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A pool destroyed and recreated between updates: a session pool (a
 * child of the store pool) holds either three struct session or a list
 * of struct token, each set apr_pcalloc'd after a string of a different
 * length, so that the objects of the destroyed pool, still in libstf's
 * registry, overlap the new ones at other offsets of the node APR hands
 * the recreated pool again.  Version 1 builds sessions, destroys their
 * pool and builds tokens; version 2 (this file with V2 defined) grows
 * both structs, checks what it received, and turns the pool over again
 * (tokens to sessions, sessions to tokens) before each next update:
 * 1 -> 2 -> 2, every update after a turn. */
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "xt.h"

#define NSESS 3
#define NTOKENS 4

struct session {
	int id;
#ifdef V2
	int flags;
	long seen;
#endif
	long stamp;
	char user[16];
};

struct token {
	long serial;
#ifdef V2
	long uses;
#endif
	char tag[24];
	struct token *next;
};

static apr_pool_t *store, *sess;
static struct session *sessions[NSESS];
static struct token *tokens;
static const char *label; /* the string allocated first */
static int turns;

__attribute__((constructor)) static void start_apr(void)
{
	apr_initialize();
}

/* The session pool destroyed and created again, holding the other set. */
static void turn(void)
{
	if (sess)
		apr_pool_destroy(sess);
	apr_pool_create(&sess, store);
	memset(sessions, 0, sizeof(sessions));
	tokens = NULL;
	turns++;
	if (turns % 2) {
		label = apr_pstrdup(sess, "sessions");
		for (int k = 0; k < NSESS; k++) {
			struct session *s = apr_pcalloc(sess, sizeof(*s));
			s->id = k;
			s->stamp = 1000L * k + turns;
			snprintf(s->user, sizeof(s->user), "user%d", k);
			sessions[k] = s;
		}
	} else {
		label = apr_pstrdup(sess, "tok");
		for (int k = NTOKENS - 1; k >= 0; k--) {
			struct token *t = apr_pcalloc(sess, sizeof(*t));
			t->serial = 7L * k + turns;
			snprintf(t->tag, sizeof(t->tag), "tag-%d", k);
			t->next = tokens;
			tokens = t;
		}
	}
}

static void init(void)
{
	apr_pool_create(&store, NULL);
	turn(); /* sessions */
	turn(); /* their pool destroyed, tokens */
}

static void check(void)
{
	CHECK(apr_pool_parent_get(sess) == store);
	if (turns % 2) {
		CHECK(!tokens && !strcmp(label, "sessions"));
		for (int k = 0; k < NSESS; k++)
			CHECK(sessions[k] && sessions[k]->id == k &&
			      sessions[k]->stamp == 1000L * k + turns &&
			      !strncmp(sessions[k]->user, "user", 4));
		return;
	}
	CHECK(!sessions[0] && !strcmp(label, "tok"));
	int k = 0;
	for (const struct token *t = tokens; t; t = t->next, k++) {
		char tag[24];
		snprintf(tag, sizeof(tag), "tag-%d", k);
		CHECK(k < NTOKENS && t->serial == 7L * k + turns && !strcmp(t->tag, tag));
#ifdef V2
		CHECK(t->uses == 0);
#endif
	}
	CHECK(k == NTOKENS);
}

int main(void)
{
	if (!stf_is_updating())
		init();
#ifdef V2
	else {
		stf_update_point();
		check();
		turn(); /* the pool turned over before the next update */
		check();
		XT_V2_RESULT();
	}
#endif
	for (;;) {
		stf_update_point();
		usleep(2000);
		check();
	}
}
