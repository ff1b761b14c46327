/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * gtpkv - a key-value server that hands work to a GLib GThreadPool, an
 * idiom test server of ttst (t/idioms/gtpkv.sh): the store is a
 * GHashTable of items (g_new0'd, their value a g_strdup'd string behind a
 * `gpointer`), and DIGEST k pushes a job to a pool of two worker threads
 * GLib starts and keeps (g_thread_pool_new(..., 2, FALSE, ...)), which
 * computes the value's SHA-256 with g_compute_checksum_for_string and
 * writes the reply itself.  The pool's idle workers wait in GLib (its
 * async queue) for the next job.  Release 2 grows the item in its middle.
 * The update point is at the top of the poll loop, stf_update_fd() in the
 * set.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * DIGEST k -> DIGEST hex | NONE (from a worker), JOBS -> JOBS n (jobs
 * done), VERSION, VERIFY.
 * Usage: gtpkv PORT-FILE
 */
#define _GNU_SOURCE

#ifndef REL
#define REL 1
#endif

#include <errno.h>
#include <glib.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <stf.h>

#include "../port-listener.h"

#define INBUF 1024
#define MAXCONNS 64

struct item {
	gchar *value;
#if REL >= 2
	guint sets; /* new in 2 */
#endif
	guint gets;
};

struct conn {
	int fd;
	gint refs; /* the loop's and each pending job's */
	GMutex write_lock; /* the workers reply too */
	size_t inlen;
	char in[INBUF];
};
#include "../line-conn.h"

struct job {
	struct conn *c;
	gchar *text;
};

static GHashTable *store;
static GMutex store_lock;
static GThreadPool *workers;
static struct conn *conns[MAXCONNS];
static int listen_fd = -1;
static gint jobs_done;

static void locked_reply(struct conn *c, const char *text)
{
	g_mutex_lock(&c->write_lock);
	reply(c, "%s", text);
	g_mutex_unlock(&c->write_lock);
}

/* The connection closed when its loop and its jobs are done with it. */
static void conn_unref(struct conn *c)
{
	if (!g_atomic_int_dec_and_test(&c->refs))
		return;
	close(c->fd);
	g_mutex_clear(&c->write_lock);
	g_free(c);
}

static void run_job(gpointer data, gpointer user)
{
	struct job *j = data;
	gchar *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, j->text, -1);
	gchar *line = g_strdup_printf("DIGEST %s\n", sum);

	(void)user;
	locked_reply(j->c, line);
	g_atomic_int_inc(&jobs_done);
	conn_unref(j->c);
	g_free(line);
	g_free(sum);
	g_free(j->text);
	g_free(j);
}

static void command(struct conn *c, char *line)
{
	char *av[4] = { 0 }, *p = line, out[INBUF + 64];
	struct item *it;
	int ac = 0;

	while (ac < 4 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	g_mutex_lock(&store_lock);
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		snprintf(out, sizeof out, "VERSION gtpkv %d\n", REL);
	} else if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		GHashTableIter iter;
		gpointer k, v;
		guint n = 0, bad = 0;
		g_hash_table_iter_init(&iter, store);
		while (g_hash_table_iter_next(&iter, &k, &v)) {
			n++;
			bad += !((struct item *)v)->value;
		}
		snprintf(out, sizeof out, bad ? "VERIFY bad %u items without a value\n" :
			 "VERIFY ok items=%u workers=%u\n", bad ? bad : n,
			 g_thread_pool_get_num_threads(workers));
	} else if (ac == 1 && !strcmp(av[0], "JOBS")) {
		snprintf(out, sizeof out, "JOBS %d\n", g_atomic_int_get(&jobs_done));
	} else if (ac == 3 && !strcmp(av[0], "SET")) {
		if (!(it = g_hash_table_lookup(store, av[1]))) {
			it = g_new0(struct item, 1);
			g_hash_table_insert(store, g_strdup(av[1]), it);
		}
		g_free(it->value);
		it->value = g_strdup(av[2]);
#if REL >= 2
		it->sets++;
#endif
		snprintf(out, sizeof out, "OK\n");
	} else if (ac == 2 && !strcmp(av[0], "GET")) {
		it = g_hash_table_lookup(store, av[1]);
		if (it)
			it->gets++;
		snprintf(out, sizeof out, it ? "VALUE %s\n" : "NONE\n", it ? it->value : "");
	} else if (ac == 2 && !strcmp(av[0], "DEL")) {
		snprintf(out, sizeof out, g_hash_table_remove(store, av[1]) ? "OK\n" : "NONE\n");
	} else if (ac == 2 && !strcmp(av[0], "DIGEST")) {
		it = g_hash_table_lookup(store, av[1]);
		if (it) {
			struct job *j = g_new(struct job, 1);
			j->c = c;
			g_atomic_int_inc(&c->refs);
			j->text = g_strdup(it->value);
			g_thread_pool_push(workers, j, NULL);
			*out = 0; /* the worker replies */
		} else {
			snprintf(out, sizeof out, "NONE\n");
		}
	} else {
		snprintf(out, sizeof out, "ERROR unknown\n");
	}
	g_mutex_unlock(&store_lock);
	if (*out)
		locked_reply(c, out);
}

static void free_item(gpointer p)
{
	struct item *it = p;

	g_free(it->value);
	g_free(it);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gtpkv PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		listen_fd = listen_loopback("gtpkv", SOCK_STREAM | SOCK_NONBLOCK, argv[1]);
		store = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_item);
		workers = g_thread_pool_new(run_job, NULL, 2, FALSE, NULL);
	}
	for (;;) {
		struct pollfd pf[MAXCONNS + 2];
		int map[MAXCONNS + 2], n = 0;

		stf_update_point();
		pf[n] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		map[n++] = -1;
		pf[n] = (struct pollfd){ .fd = stf_update_fd(), .events = POLLIN };
		map[n++] = -2;
		for (int k = 0; k < MAXCONNS; k++)
			if (conns[k]) {
				pf[n] = (struct pollfd){ .fd = conns[k]->fd, .events = POLLIN };
				map[n++] = k;
			}
		if (poll(pf, (nfds_t)n, 1000) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (!pf[i].revents || map[i] == -2)
				continue;
			if (map[i] == -1) {
				int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
				int k = 0;
				while (fd >= 0 && k < MAXCONNS && conns[k])
					k++;
				if (fd >= 0 && k == MAXCONNS)
					close(fd);
				else if (fd >= 0) {
					conns[k] = g_new0(struct conn, 1);
					conns[k]->fd = fd;
					conns[k]->refs = 1;
					g_mutex_init(&conns[k]->write_lock);
				}
				continue;
			}
			struct conn *c = conns[map[i]];
			if (read_lines(c, c->in, &c->inlen, INBUF, command) < 0) {
				conns[map[i]] = NULL;
				conn_unref(c);
			}
		}
	}
}
