/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * giokv - a key-value server on GIO, written as a GLib programmer writes
 * one (wave 15's hunt): a GSocketService whose "incoming" signal hands
 * each GSocketConnection to a handler that keeps it (g_object_ref) in a
 * session struct and reads with g_input_stream_read_async into the
 * session's own buffer, the session the callback's user data: between two
 * requests every session has a read pending inside GIO, whose objects
 * point at the program's buffer and session.  Replies are written with
 * g_output_stream_write_all (blocking; they are short).  The store is a
 * GHashTable of g_strdup'd keys to GString values; the sessions are in a
 * GHashTable keyed by their address (g_direct_hash) and in a GQueue.
 * The update point is the callback of a g_unix_fd_add source on
 * stf_update_fd(), which main calls in the new version before its loop.
 *
 * Protocol: SET k v, GET k, DEL k, VERSION, VERIFY (every value, every
 * session in both containers with its read pending), STATS ->
 * STATS sessions=N requests=R.  REL 2: sessions grow before their buffer,
 * a greeting only the new startup sets (HELLO).
 * Usage: giokv PORT-FILE
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif
#define STR(x) #x
#define XSTR(x) STR(x)

struct session {
	GSocketConnection *conn;
	GInputStream *in;
	GOutputStream *out;
	GCancellable *cancel;
	gboolean reading;         /* a read is pending in GIO */
	unsigned long requests;
#if REL >= 2
	gint64 last_request;      /* new in 2, before the buffer */
#endif
	gsize len;
	char buf[1024];
};

static GSocketService *service;
static GHashTable *store;        /* char * -> GString * */
static GHashTable *sessions;     /* struct session * set */
static GQueue *session_queue;    /* struct session *, oldest first */
static unsigned long total_requests;
static GMainLoop *loop;
#if REL >= 2
static char *greeting;           /* set by release 2's startup */
#endif

static void read_more(struct session *s);

static void reply(struct session *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void reply(struct session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	char *line = g_strconcat(text, "\n", NULL);
	g_output_stream_write_all(s->out, line, strlen(line), NULL, NULL, NULL);
	g_free(line);
	g_free(text);
}

static void verify(struct session *me)
{
	GHashTableIter it;
	gpointer k, v;
	guint n = 0;

	g_hash_table_iter_init(&it, store);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		GString *val = v;
		if (!val->len || val->len != strlen(val->str)) {
			reply(me, "VERIFY bad value of %s", (char *)k);
			return;
		}
		n++;
	}
	if (g_queue_get_length(session_queue) != g_hash_table_size(sessions)) {
		reply(me, "VERIFY bad sessions %u of %u", g_queue_get_length(session_queue),
		      g_hash_table_size(sessions));
		return;
	}
	for (GList *l = session_queue->head; l; l = l->next) {
		struct session *s = l->data;
		if (!g_hash_table_contains(sessions, s)) {
			reply(me, "VERIFY session not in the table");
			return;
		}
		if (s != me && !s->reading) {
			reply(me, "VERIFY session without a read");
			return;
		}
	}
	reply(me, "VERIFY ok keys=%u sessions=%u", n, g_queue_get_length(session_queue));
}

static void command(struct session *s, char *line)
{
	char **w = g_strsplit(line, " ", 3);
	const char *cmd = w[0], *k = cmd ? w[1] : NULL, *v = k ? w[2] : NULL;

	s->requests++;
	total_requests++;
#if REL >= 2
	s->last_request = g_get_monotonic_time();
#endif
	if (!cmd) {
		reply(s, "ERR empty");
	} else if (!strcmp(cmd, "SET") && k && v) {
		g_hash_table_replace(store, g_strdup(k), g_string_new(v));
		reply(s, "OK");
	} else if (!strcmp(cmd, "GET") && k) {
		GString *val = g_hash_table_lookup(store, k);
		if (val)
			reply(s, "VALUE %s", val->str);
		else
			reply(s, "NONE");
	} else if (!strcmp(cmd, "DEL") && k) {
		reply(s, g_hash_table_remove(store, k) ? "OK" : "NONE");
	} else if (!strcmp(cmd, "VERSION")) {
		reply(s, "VERSION giokv " XSTR(REL));
	} else if (!strcmp(cmd, "VERIFY")) {
		verify(s);
	} else if (!strcmp(cmd, "STATS")) {
		reply(s, "STATS sessions=%u requests=%lu", g_hash_table_size(sessions), total_requests);
#if REL >= 2
	} else if (!strcmp(cmd, "HELLO")) {
		reply(s, "HELLO %s", greeting);
#endif
	} else {
		reply(s, "ERR unknown");
	}
	g_strfreev(w);
}

static void end_session(struct session *s)
{
	g_hash_table_remove(sessions, s);
	g_queue_remove(session_queue, s);
	g_io_stream_close(G_IO_STREAM(s->conn), NULL, NULL);
	g_object_unref(s->cancel);
	g_object_unref(s->conn);
	g_free(s);
}

static void on_read(GObject *src, GAsyncResult *res, gpointer data)
{
	struct session *s = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, NULL);
	char *nl;

	s->reading = FALSE;
	if (n <= 0) {
		end_session(s);
		return;
	}
	s->len += n;
	while ((nl = memchr(s->buf, '\n', s->len))) {
		*nl = '\0';
		command(s, s->buf);
		s->len -= nl + 1 - s->buf;
		memmove(s->buf, nl + 1, s->len);
	}
	if (s->len >= sizeof s->buf - 1) {
		end_session(s);
		return;
	}
	read_more(s);
}

static void read_more(struct session *s)
{
	s->reading = TRUE;
	g_input_stream_read_async(s->in, s->buf + s->len, sizeof s->buf - 1 - s->len,
				  G_PRIORITY_DEFAULT, s->cancel, on_read, s);
}

static gboolean on_incoming(GSocketService *svc, GSocketConnection *conn, GObject *src,
			    gpointer data)
{
	(void)svc, (void)src, (void)data;
	struct session *s = g_new0(struct session, 1);
	s->conn = g_object_ref(conn);
	s->in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
	s->out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
	s->cancel = g_cancellable_new();
	g_hash_table_add(sessions, s);
	g_queue_push_tail(session_queue, s);
	read_more(s);
	return TRUE;
}

static gboolean on_update(gint fd, GIOCondition cond, gpointer data)
{
	(void)fd, (void)cond, (void)data;
	stf_update_point();
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: giokv PORT-FILE\n");
		return 2;
	}
#if REL >= 2
	greeting = g_strdup_printf("giokv %d at your service", REL);
#endif
	if (!stf_is_updating()) {
		GError *err = NULL;
		store = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		sessions = g_hash_table_new(g_direct_hash, g_direct_equal);
		session_queue = g_queue_new();
		service = g_socket_service_new();
		GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
		GSocketAddress *want = g_inet_socket_address_new(lo, 0);
		GSocketAddress *got = NULL;
		if (!g_socket_listener_add_address(G_SOCKET_LISTENER(service), want, G_SOCKET_TYPE_STREAM,
						   G_SOCKET_PROTOCOL_TCP, NULL, &got, &err)) {
			fprintf(stderr, "giokv: %s\n", err->message);
			return 1;
		}
		g_signal_connect(service, "incoming", G_CALLBACK(on_incoming), NULL);
		g_socket_service_start(service);
		g_unix_fd_add(stf_update_fd(), G_IO_IN, on_update, NULL);
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%u\n", g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(got))) < 0 ||
		    fclose(f)) {
			perror(argv[1]);
			return 1;
		}
		g_object_unref(got);
		g_object_unref(want);
		g_object_unref(lo);
		loop = g_main_loop_new(NULL, FALSE);
	} else {
		on_update(stf_update_fd(), G_IO_IN, NULL); /* the state arrives here */
	}
	g_main_loop_run(loop);
	return 0;
}
