/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * aprd - a key-value server on Debian's real APR (libapr-1), written as
 * an APR user writes one (issue 8: pools in an uninstrumented library).
 * All the program's memory comes from APR pools: a long-lived store pool
 * holding an apr_hash_t of records and an apr_table_t of names, every
 * record in a sub-pool of its own (destroyed by DEL, replaced by a fresh
 * one when its value was set often), every connection in a sub-pool of the
 * connections' pool.  Cleanups registered with apr_pool_cleanup_register
 * run the program's callbacks on the program's data (a record's, a
 * connection's) when their pool goes.  Records, connections and their
 * strings are apr_palloc'd; nothing is annotated.  The update point is at
 * the top of the epoll loop, stf_update_fd() in the set.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * NAME n v -> OK (into the table), NAMEOF n -> NAME v | NONE, VERSION,
 * VERIFY.  REL 2: struct record grows in its middle and at its end;
 * REVS k -> REVS n (SETs of the key counted by release 2).
 * Usage: aprd PORT-FILE
 */
#ifndef _GNU_SOURCE /* apr-1.pc defines it */
#define _GNU_SOURCE
#endif
#include <apr_general.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>
#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

#define RECORD_MAGIC 0x7265636fu
#define COMPACT_AFTER 8
#define INBUF 1024

struct record {
	unsigned magic;
	apr_pool_t *pool;
#if REL >= 2
	unsigned long revs;
#endif
	const char *key;
	char *val;
	int sets;           /* since the record's pool was made */
#if REL >= 2
	int rel;
#endif
};

struct conn {
	int fd;
	apr_pool_t *pool;
	char *in;
	size_t inlen;
	unsigned long nreq;
	struct conn *next;
};
#include "../line-conn.h"

struct stats {
	unsigned long records_made, records_gone; /* counted by the cleanups */
	unsigned long conns_gone;
};

static apr_pool_t *root, *store_pool, *conn_pool;
static apr_hash_t *records;
static apr_table_t *names;
static int nnames;
static struct conn *conns;
static struct stats stats;
static int epfd = -1, listen_fd = -1;

static apr_status_t record_gone(void *data)
{
	struct record *r = data;

	if (r->magic == RECORD_MAGIC)
		stats.records_gone++;
	r->magic = 0;
	return APR_SUCCESS;
}

static struct record *record_new(const char *key, const char *val)
{
	apr_pool_t *p;
	struct record *r;

	apr_pool_create(&p, store_pool);
	r = apr_pcalloc(p, sizeof *r);
	r->magic = RECORD_MAGIC;
	r->pool = p;
	r->key = apr_pstrdup(p, key);
	r->val = apr_pstrdup(p, val);
#if REL >= 2
	r->rel = REL;
#endif
	apr_pool_cleanup_register(p, r, record_gone, apr_pool_cleanup_null);
	stats.records_made++;
	return r;
}

static void record_drop(struct record *r)
{
	apr_hash_set(records, r->key, APR_HASH_KEY_STRING, NULL);
	apr_pool_destroy(r->pool);
}

static void verify(struct conn *c)
{
	apr_hash_index_t *hi;
	unsigned long n = 0, nconns = 0;
	struct conn *k;

	for (hi = apr_hash_first(NULL, records); hi; hi = apr_hash_next(hi)) {
		const void *key;
		void *val;
		struct record *r;

		apr_hash_this(hi, &key, NULL, &val);
		r = val;
		if (r->magic != RECORD_MAGIC || strcmp(key, r->key) || apr_pool_parent_get(r->pool) != store_pool ||
		    r->sets < 0 || r->sets >= COMPACT_AFTER
#if REL >= 2
		    || (r->rel != 0 && r->rel != 2) /* 0: made by release 1 */
#endif
		) {
			reply(c, "VERIFY bad record %s\n", (const char *)key);
			return;
		}
		n++;
	}
	for (k = conns; k; k = k->next) {
		if (apr_pool_parent_get(k->pool) != conn_pool || k->inlen >= INBUF) {
			reply(c, "VERIFY bad connection %d\n", k->fd);
			return;
		}
		nconns++;
	}
	if (n != apr_hash_count(records) || n != stats.records_made - stats.records_gone ||
	    apr_table_elts(names)->nelts != nnames) {
		reply(c, "VERIFY bad counts %lu/%u records, %lu made, %lu gone, %d/%d names\n", n,
		      apr_hash_count(records), stats.records_made, stats.records_gone,
		      apr_table_elts(names)->nelts, nnames);
		return;
	}
	reply(c, "VERIFY ok records=%lu conns=%lu names=%d gone=%lu\n", n, nconns, nnames, stats.records_gone);
}

static void command(struct conn *c, char *line)
{
	char *av[3] = { 0 }, *p = line;
	int ac = 0;
	struct record *r;

	while (ac < 3 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	c->nreq++;
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		reply(c, "VERSION aprd %d\n", REL);
		return;
	}
	if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		verify(c);
		return;
	}
	if (ac == 3 && !strcmp(av[0], "NAME")) {
		if (!apr_table_get(names, av[1]))
			nnames++;
		apr_table_set(names, av[1], av[2]);
		reply(c, "OK\n");
		return;
	}
	if (ac == 2 && !strcmp(av[0], "NAMEOF")) {
		const char *v = apr_table_get(names, av[1]);
		if (v)
			reply(c, "NAME %s\n", v);
		else
			reply(c, "NONE\n");
		return;
	}
	if (ac < 2) {
		reply(c, "ERROR args\n");
		return;
	}
	r = apr_hash_get(records, av[1], APR_HASH_KEY_STRING);
	if (ac == 3 && !strcmp(av[0], "SET")) {
		if (!r) {
			r = record_new(av[1], av[2]);
		} else if (++r->sets < COMPACT_AFTER) {
			r->val = apr_pstrdup(r->pool, av[2]); /* the old value stays in the pool */
		} else {
			/* set often: the record moves into a fresh pool */
			struct record *old = r;
			r = record_new(old->key, av[2]);
#if REL >= 2
			r->revs = old->revs;
#endif
			record_drop(old);
		}
#if REL >= 2
		r->revs++;
#endif
		apr_hash_set(records, r->key, APR_HASH_KEY_STRING, r);
		reply(c, "OK\n");
	} else if (!r) {
		reply(c, "NONE\n");
	} else if (ac == 2 && !strcmp(av[0], "GET")) {
		reply(c, "VALUE %s\n", r->val);
	} else if (ac == 2 && !strcmp(av[0], "DEL")) {
		record_drop(r);
		reply(c, "OK\n");
#if REL >= 2
	} else if (ac == 2 && !strcmp(av[0], "REVS")) {
		reply(c, "REVS %lu\n", r->revs);
#endif
	} else {
		reply(c, "ERROR unknown\n");
	}
}

static apr_status_t conn_gone(void *data)
{
	struct conn *c = data, **pp;

	for (pp = &conns; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	stats.conns_gone++;
	return APR_SUCCESS;
}

static void conn_read(struct conn *c)
{
	if (read_lines(c, c->in, &c->inlen, INBUF, command) < 0)
		apr_pool_destroy(c->pool); /* conn_gone closes it */
}

static void conn_open(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN };
	apr_pool_t *p;
	struct conn *c;

	if (fd < 0)
		return;
	apr_pool_create(&p, conn_pool);
	c = apr_pcalloc(p, sizeof *c);
	c->fd = fd;
	c->pool = p;
	c->in = apr_palloc(p, INBUF);
	c->next = conns;
	conns = c;
	apr_pool_cleanup_register(p, c, conn_gone, apr_pool_cleanup_null);
	ev.data.ptr = c;
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void serve(void)
{
	struct epoll_event evs[32];
	int n, i;

	for (;;) {
		stf_update_point();
		n = epoll_wait(epfd, evs, 32, 1000);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &listen_fd)
				conn_open();
			else if (evs[i].data.ptr != &epfd) /* stf_update_fd(): the loop's top takes it */
				conn_read(evs[i].data.ptr);
		}
	}
}

static void start(const char *port_file)
{
	struct epoll_event ev = { .events = EPOLLIN };

	apr_pool_create(&root, NULL);
	apr_pool_create(&store_pool, root);
	apr_pool_create(&conn_pool, root);
	records = apr_hash_make(store_pool);
	names = apr_table_make(store_pool, 8);
	listen_fd = listen_loopback("aprd", SOCK_STREAM | SOCK_NONBLOCK, port_file);
	epfd = epoll_create1(0);
	ev.data.ptr = &listen_fd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
	ev.data.ptr = &epfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, stf_update_fd(), &ev);
}

int main(int argc, const char *const *argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: aprd PORT-FILE\n");
		return 2;
	}
	apr_app_initialize(&argc, &argv, NULL);
	if (!stf_is_updating())
		start(argv[1]);
	serve();
	return 1;
}
