/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * gkv - an idiom test server of ttst (t/idioms/gkv.sh) on GLib: its
 * loop is GLib's main loop (descriptor sources made by g_unix_fd_add, the
 * update descriptor's among them, whose callback main calls in the new
 * version), its state in GLib's containers, all of them blocks GLib
 * allocates: a GHashTable of g_strdup'd keys to struct entry *, each
 * entry's older values in a GList, a GQueue of struct hist * (g_new0), the
 * connections in a GHashTable keyed by GINT_TO_POINTER(fd) (integers in
 * pointer slots) and in a GPtrArray, their input in GStrings.  GLib keeps
 * per-thread state behind pthread keys it creates lazily (GPrivate).
 * Release 2 adds a member in the middle of struct entry, of struct hist
 * and of struct conn.  VERIFY checks every entry, the history and that
 * each connection is in both containers; it counts the ticks of a 50 ms
 * GLib timeout.
 *
 * Built twice, with -DREL=1 and -DREL=2.
 *
 * Usage: gkv PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <glib-unix.h>
#include <netinet/in.h>
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

struct entry {
	char *value;          /* g_strdup */
#if REL == 2
	unsigned long ngets;  /* new in 2 */
#endif
	unsigned long nsets;
	GList *older;         /* g_strdup'd older values, newest first */
};

#if REL == 1
struct hist { int op; char key[32]; };
#else
struct hist { int op; long stamp; char key[32]; };
#endif

struct conn {
	int fd;
	guint watch;
#if REL == 2
	unsigned long nbytes; /* new in 2 */
#endif
	unsigned long nreq;
	GString *in;
};

static GMainLoop *loop;
static GHashTable *table;      /* char * -> struct entry * */
static GHashTable *conns;      /* GINT_TO_POINTER(fd) -> struct conn * */
static GPtrArray *all_conns;
static GQueue *history;        /* struct hist *, at most 100 */
static unsigned long nops;
static unsigned long ticks;   /* a 50 ms GLib timeout */
static int listen_fd;

static void entry_free(gpointer p)
{
	struct entry *e = p;
	g_free(e->value);
	g_list_free_full(e->older, g_free);
	g_free(e);
}

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

static void verify(struct conn *c)
{
	GHashTableIter it;
	gpointer k, v;
	unsigned long n = 0;
	char out[128];

	g_hash_table_iter_init(&it, table);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct entry *e = v;
		if (!e->value || e->nsets < 1 || g_list_length(e->older) + 1 > e->nsets + 0) {
			snprintf(out, sizeof out, "VERIFY bad entry %s", (char *)k);
			say(c, out);
			return;
		}
		n++;
	}
	for (GList *l = history->head; l; l = l->next) {
		struct hist *h = l->data;
		if (h->op < 0 || h->op > 2 || !h->key[0]) { say(c, "VERIFY bad history"); return; }
	}
	for (guint i = 0; i < all_conns->len; i++) {
		struct conn *o = g_ptr_array_index(all_conns, i);
		if (g_hash_table_lookup(conns, GINT_TO_POINTER(o->fd)) != o) {
			say(c, "VERIFY bad conn");
			return;
		}
	}
	snprintf(out, sizeof out, "VERIFY ok keys %lu conns %u ops %lu ticks=%lu", n, all_conns->len,
		 nops, ticks);
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
		struct entry *e = g_hash_table_lookup(table, key);
		if (!e) {
			e = g_new0(struct entry, 1);
			g_hash_table_insert(table, g_strdup(key), e);
		} else {
			e->older = g_list_prepend(e->older, e->value);
			if (g_list_length(e->older) > 3) {
				GList *last = g_list_last(e->older);
				g_free(last->data);
				e->older = g_list_delete_link(e->older, last);
			}
		}
		e->value = g_strdup(val);
		e->nsets++;
		remember(0, key);
		say(c, "OK");
	} else if (strncmp(line, "GET ", 4) == 0) {
		struct entry *e = g_hash_table_lookup(table, line + 4);
		if (e) {
#if REL == 2
			e->ngets++;
#endif
			char *s = g_strconcat("VALUE ", e->value, NULL);
			say(c, s);
			g_free(s);
		} else
			say(c, "NONE");
		remember(1, line + 4);
	} else if (strncmp(line, "DEL ", 4) == 0) {
		say(c, g_hash_table_remove(table, line + 4) ? "OK" : "NONE");
		remember(2, line + 4);
	} else if (strcmp(line, "VERIFY") == 0)
		verify(c);
	else if (strcmp(line, "VERSION") == 0)
		say(c, VERSION);
	else
		say(c, "ERROR");
}

static gboolean on_read(gint fd, GIOCondition cond, gpointer arg)
{
	struct conn *c = arg;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof buf);

	(void)cond;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		c->watch = 0;
		g_hash_table_remove(conns, GINT_TO_POINTER(c->fd));
		g_ptr_array_remove_fast(all_conns, c);
		close(c->fd);
		g_string_free(c->in, TRUE);
		g_free(c);
		return G_SOURCE_REMOVE;
	}
#if REL == 2
	c->nbytes += (unsigned long)n;
#endif
	g_string_append_len(c->in, buf, n);
	char *nl;
	while ((nl = memchr(c->in->str, '\n', c->in->len))) {
		*nl = 0;
		if (nl > c->in->str && nl[-1] == '\r') nl[-1] = 0;
		request(c, c->in->str);
		g_string_erase(c->in, 0, nl - c->in->str + 1);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer arg)
{
	(void)cond; (void)arg;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK);
	if (cfd < 0)
		return G_SOURCE_CONTINUE;
	struct conn *c = g_new0(struct conn, 1);
	c->fd = cfd;
	c->in = g_string_sized_new(256);
	c->watch = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_read, c);
	g_hash_table_insert(conns, GINT_TO_POINTER(cfd), c);
	g_ptr_array_add(all_conns, c);
	return G_SOURCE_CONTINUE;
}

static gboolean on_tick(gpointer arg)
{
	(void)arg;
	ticks++;
	return G_SOURCE_CONTINUE;
}

static gboolean on_update(gint fd, GIOCondition cond, gpointer arg)
{
	(void)fd; (void)cond; (void)arg;
	stf_update_point();
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gkv PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		loop = g_main_loop_new(NULL, FALSE);
		table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
		conns = g_hash_table_new(g_direct_hash, g_direct_equal);
		all_conns = g_ptr_array_new();
		history = g_queue_new();
		listen_fd = listen_loopback("gkv", SOCK_STREAM | SOCK_NONBLOCK, argv[1]);
		g_unix_fd_add(listen_fd, G_IO_IN, on_accept, NULL);
		g_unix_fd_add(stf_update_fd(), G_IO_IN, on_update, NULL);
		g_timeout_add(50, on_tick, NULL);
	} else
		on_update(-1, 0, NULL);
	g_main_loop_run(loop);
	return 1;
}
