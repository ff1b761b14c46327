/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * gkvw - an idiom test server of ttst (t/idioms/gkvw.sh) on GLib with
 * worker threads, each running a GMainLoop on a GMainContext of its own
 * (g_main_context_new, pushed as the thread's default): the main thread's
 * loop accepts (a GIOChannel watch made by g_io_add_watch), counts the
 * accepted connections in a g_idle_add callback and hands each connection
 * to a worker with g_main_context_invoke (an idle source in the worker's
 * context); the worker serves it through a GIOChannel watch attached to
 * its context.  Every thread's update point is in a source callback: the
 * update descriptor's (g_unix_fd_add in the main context, a
 * g_unix_fd_source_new attached to each worker's context); in the new
 * version main starts the workers, which call that callback before their
 * loop, as main does.  A 50 ms timeout ticks in every context.  The store
 * is one GHashTable and a GQueue of the last operations, under a GMutex.
 * Release 2 adds a member in the middle of struct entry, struct conn and
 * struct worker.  VERIFY checks every entry, the history and the serving
 * worker's connections, and reports the ticks of the main context and
 * the fewest of any worker's.
 *
 * Built twice, with -DREL=1 and -DREL=2.
 *
 * Usage: gkvw PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>
#include "../port-listener.h"

#define STR(x) #x
#define XSTR(x) STR(x)
#define VERSION "VERSION " XSTR(REL)
#define NWORKERS 2

struct entry {
	char *value;          /* g_strdup */
#if REL == 2
	unsigned long ngets;  /* new in 2 */
#endif
	unsigned long nsets;
};

#if REL == 1
struct hist { int op; char key[32]; };
#else
struct hist { int op; long stamp; char key[32]; };
#endif

struct worker {
	int id;
	GMainContext *ctx;
	GMainLoop *loop;
#if REL == 2
	unsigned long nadopted; /* new in 2 */
#endif
	unsigned long ticks;    /* its 50 ms timeout; read by the others */
	GHashTable *conns;      /* GINT_TO_POINTER(fd) -> struct conn *; its thread's */
};

struct conn {
	int fd;
	GIOChannel *chan;
	struct worker *w;
#if REL == 2
	unsigned long nbytes; /* new in 2 */
#endif
	unsigned long nreq;
	GString *in;
};

static GMainLoop *loop;
static struct worker workers[NWORKERS];
static GMutex store_lock;      /* table, history, nops */
static GHashTable *table;      /* char * -> struct entry * */
static GQueue *history;        /* struct hist *, at most 100 */
static unsigned long nops;
static unsigned long ticks;    /* the main context's 50 ms timeout */
static unsigned long naccepts, accepted_idle;
static unsigned next_worker;
static int listen_fd;

static void entry_free(gpointer p)
{
	struct entry *e = p;
	g_free(e->value);
	g_free(e);
}

/* store_lock held */
static void remember(int op, const char *key)
{
	struct hist *h = g_new0(struct hist, 1);
	h->op = op;
#if REL == 2
	h->stamp = (long)nops;
#endif
	g_strlcpy(h->key, key, sizeof h->key);
	g_queue_push_head(history, h);
	if (g_queue_get_length(history) > 100)
		g_free(g_queue_pop_tail(history));
	nops++;
}

static void say(struct conn *c, const char *s)
{
	/* one write per reply: a second small one would wait for the
	 * client's delayed acknowledgement */
	char *line = g_strconcat(s, "\n", NULL);
	if (write(c->fd, line, strlen(line)) < 0) {}
	g_free(line);
}

static unsigned long fewest_worker_ticks(void)
{
	unsigned long fewest = ~0ul;
	for (int i = 0; i < NWORKERS; i++) {
		unsigned long t = __atomic_load_n(&workers[i].ticks, __ATOMIC_RELAXED);
		fewest = t < fewest ? t : fewest;
	}
	return fewest;
}

/* store_lock held */
static const char *check_store(unsigned long *nkeys)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, table);
	for (*nkeys = 0; g_hash_table_iter_next(&it, &k, &v); ++*nkeys) {
		struct entry *e = v;
		if (!e->value || e->nsets < 1)
			return "bad entry";
	}
	for (GList *l = history->head; l; l = l->next) {
		struct hist *h = l->data;
		if (h->op < 0 || h->op > 2 || !h->key[0])
			return "bad history";
	}
	return NULL;
}

static void verify(struct conn *c)
{
	GHashTableIter it;
	gpointer k, v;
	unsigned long nkeys;
	char out[160];

	g_hash_table_iter_init(&it, c->w->conns);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct conn *o = v;
		if (o->w != c->w || GPOINTER_TO_INT(k) != o->fd || !o->in) {
			say(c, "VERIFY bad conn");
			return;
		}
	}
	g_mutex_lock(&store_lock);
	const char *bad = check_store(&nkeys);
	unsigned long n = nops;
	g_mutex_unlock(&store_lock);
	if (bad) {
		snprintf(out, sizeof out, "VERIFY %s", bad);
		say(c, out);
		return;
	}
	snprintf(out, sizeof out, "VERIFY ok keys %lu conns %u ops %lu accepted %lu ticks=%lu wticks=%lu",
		 nkeys, g_hash_table_size(c->w->conns), n,
		 __atomic_load_n(&accepted_idle, __ATOMIC_RELAXED),
		 __atomic_load_n(&ticks, __ATOMIC_RELAXED), fewest_worker_ticks());
	say(c, out);
}

static void request(struct conn *c, char *line)
{
	char *key, *val, *sp;

	c->nreq++;
	if (strncmp(line, "SET ", 4) == 0 && (sp = strchr(line + 4, ' '))) {
		*sp = 0;
		key = line + 4;
		val = sp + 1;
		g_mutex_lock(&store_lock);
		struct entry *e = g_hash_table_lookup(table, key);
		if (!e) {
			e = g_new0(struct entry, 1);
			g_hash_table_insert(table, g_strdup(key), e);
		} else
			g_free(e->value);
		e->value = g_strdup(val);
		e->nsets++;
		remember(0, key);
		g_mutex_unlock(&store_lock);
		say(c, "OK");
	} else if (strncmp(line, "GET ", 4) == 0) {
		char *reply = NULL;
		g_mutex_lock(&store_lock);
		struct entry *e = g_hash_table_lookup(table, line + 4);
		if (e) {
#if REL == 2
			e->ngets++;
#endif
			reply = g_strconcat("VALUE ", e->value, NULL);
		}
		remember(1, line + 4);
		g_mutex_unlock(&store_lock);
		say(c, reply ? reply : "NONE");
		g_free(reply);
	} else if (strncmp(line, "DEL ", 4) == 0) {
		g_mutex_lock(&store_lock);
		gboolean had = g_hash_table_remove(table, line + 4);
		remember(2, line + 4);
		g_mutex_unlock(&store_lock);
		say(c, had ? "OK" : "NONE");
	} else if (strcmp(line, "VERIFY") == 0)
		verify(c);
	else if (strcmp(line, "VERSION") == 0)
		say(c, VERSION);
	else
		say(c, "ERROR");
}

/* In the connection's worker. */
static void conn_close(struct conn *c)
{
	g_hash_table_remove(c->w->conns, GINT_TO_POINTER(c->fd));
	g_io_channel_unref(c->chan); /* the watch holds it until it is removed */
	g_string_free(c->in, TRUE);
	g_free(c);
}

static gboolean on_read(GIOChannel *chan, GIOCondition cond, gpointer arg)
{
	struct conn *c = arg;
	char buf[4096];
	gsize n = 0;
	GIOStatus st = g_io_channel_read_chars(chan, buf, sizeof buf, &n, NULL);

	(void)cond;
	if (st == G_IO_STATUS_AGAIN)
		return G_SOURCE_CONTINUE;
	if (st != G_IO_STATUS_NORMAL) {
		conn_close(c);
		return G_SOURCE_REMOVE;
	}
#if REL == 2
	c->nbytes += n;
#endif
	g_string_append_len(c->in, buf, (gssize)n);
	char *nl;
	while ((nl = memchr(c->in->str, '\n', c->in->len))) {
		*nl = 0;
		if (nl > c->in->str && nl[-1] == '\r') nl[-1] = 0;
		request(c, c->in->str);
		g_string_erase(c->in, 0, nl - c->in->str + 1);
	}
	return G_SOURCE_CONTINUE;
}

/* g_main_context_invoke'd in the connection's worker. */
static gboolean adopt(gpointer arg)
{
	struct conn *c = arg;
	GSource *watch;

	c->chan = g_io_channel_unix_new(c->fd);
	g_io_channel_set_close_on_unref(c->chan, TRUE);
	g_io_channel_set_encoding(c->chan, NULL, NULL);
	g_io_channel_set_buffered(c->chan, FALSE);
	g_io_channel_set_flags(c->chan, G_IO_FLAG_NONBLOCK, NULL);
	watch = g_io_create_watch(c->chan, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(watch, (GSourceFunc)(void (*)(void))on_read, c, NULL);
	g_source_attach(watch, c->w->ctx);
	g_source_unref(watch);
	g_hash_table_insert(c->w->conns, GINT_TO_POINTER(c->fd), c);
#if REL == 2
	c->w->nadopted++;
#endif
	return G_SOURCE_REMOVE;
}

static gboolean count_accepted(gpointer arg)
{
	(void)arg;
	__atomic_add_fetch(&accepted_idle, 1, __ATOMIC_RELAXED);
	return G_SOURCE_REMOVE;
}

static gboolean on_accept(GIOChannel *chan, GIOCondition cond, gpointer arg)
{
	(void)cond; (void)arg;
	int cfd = accept4(g_io_channel_unix_get_fd(chan), NULL, NULL, SOCK_NONBLOCK);
	if (cfd < 0)
		return G_SOURCE_CONTINUE;
	struct conn *c = g_new0(struct conn, 1);
	c->fd = cfd;
	c->in = g_string_sized_new(256);
	c->w = &workers[next_worker++ % NWORKERS];
	naccepts++;
	g_idle_add(count_accepted, NULL);
	g_main_context_invoke(c->w->ctx, adopt, c);
	return G_SOURCE_CONTINUE;
}

static gboolean on_tick(gpointer arg)
{
	unsigned long *counter = arg;
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
	return G_SOURCE_CONTINUE;
}

static gboolean on_update(gint fd, GIOCondition cond, gpointer arg)
{
	(void)fd; (void)cond; (void)arg;
	stf_update_point();
	return G_SOURCE_CONTINUE;
}

/* The update descriptor's source in a worker's context. */
static gboolean on_worker_update(gint fd, GIOCondition cond, gpointer arg)
{
	(void)fd; (void)cond; (void)arg;
	stf_update_point();
	return G_SOURCE_CONTINUE;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (stf_is_updating())
		/* its state, and its thread's GLib data, arrive here */
		on_worker_update(-1, 0, w);
	else
		g_main_context_push_thread_default(w->ctx);
	g_main_loop_run(w->loop);
	return NULL;
}

static void start_workers(void)
{
	for (int i = 0; i < NWORKERS; i++) {
		pthread_t th;
		if (pthread_create(&th, NULL, worker_main, &workers[i]) != 0) {
			fprintf(stderr, "gkvw: cannot start worker %d\n", i);
			exit(1);
		}
		pthread_detach(th);
	}
}

static void add_to(GMainContext *ctx, GSource *s, GSourceFunc fn, gpointer arg)
{
	g_source_set_callback(s, fn, arg, NULL);
	g_source_attach(s, ctx);
	g_source_unref(s);
}

static void setup_worker(struct worker *w, int id)
{
	w->id = id;
	w->ctx = g_main_context_new();
	w->loop = g_main_loop_new(w->ctx, FALSE);
	w->conns = g_hash_table_new(g_direct_hash, g_direct_equal);
	add_to(w->ctx, g_unix_fd_source_new(stf_update_fd(), G_IO_IN),
	       (GSourceFunc)(void (*)(void))on_worker_update, w);
	add_to(w->ctx, g_timeout_source_new(50), on_tick, &w->ticks);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gkvw PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		loop = g_main_loop_new(NULL, FALSE);
		table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
		history = g_queue_new();
		for (int i = 0; i < NWORKERS; i++)
			setup_worker(&workers[i], i);
		start_workers();
		listen_fd = listen_loopback("gkvw", SOCK_STREAM | SOCK_NONBLOCK, argv[1]);
		g_io_add_watch(g_io_channel_unix_new(listen_fd), G_IO_IN, on_accept, NULL);
		g_unix_fd_add(stf_update_fd(), G_IO_IN, on_update, NULL);
		g_timeout_add(50, on_tick, &ticks);
	} else {
		start_workers();
		on_update(-1, 0, NULL);
	}
	g_main_loop_run(loop);
	return 1;
}
