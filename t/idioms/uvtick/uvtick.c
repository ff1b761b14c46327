/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * uvtick - a key-value server on libuv with a timer in every connection,
 * written as an outside C programmer writes one (wave 15's hunt).  Each
 * session struct embeds its uv_tcp_t and two uv_timer_t: a repeating
 * heartbeat that counts the session's ticks and an idle timeout restarted
 * at every request (uv_timer_again), so libuv's timer heap links the
 * program's sessions to each other (the nodes are inside the embedded
 * timers) and the loop points at the earliest.  Sessions are found from
 * their handles by container_of, not through `data`.  Values are kept as
 * uv_buf_t (base and len), replies are one malloc'd block starting with
 * its uv_write_t.  The update point is the callback of a uv_poll_t on
 * stf_update_fd().
 *
 * Protocol: SET k v, GET k, DEL k, VERSION, VERIFY (every entry, every
 * session's timers active and its heartbeat due within its period),
 * STATS -> STATS sessions=N stalled=M (M: sessions seen by the previous
 * STATS whose heartbeat did not tick since).  REL 2: sessions grow before
 * their timers and beat faster, entries grow; PERIOD -> PERIOD ms, set by
 * the new startup.
 * Usage: uvtick PORT-FILE
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif
#define STR(x) #x
#define XSTR(x) STR(x)
#define container_of(p, T, m) ((T *)((char *)(p) - offsetof(T, m)))

#define NBUCKETS 512
#define IDLE_MS 600000

struct kv {
	struct kv *next;
#if REL >= 2
	uint32_t hash;            /* new in 2: 0 until the next SET */
#endif
	uv_buf_t val;
	char key[];
};

struct session {
	struct session *prev, *next;
	uint64_t opened;          /* loop time */
#if REL >= 2
	uint64_t nreq;            /* new in 2, before the timers */
	char peer[24];
#endif
	uv_timer_t heartbeat;
	uv_timer_t idle;
	uv_tcp_t tcp;
	unsigned long ticks, ticks_seen;
	int seen;                 /* counted by the previous STATS */
	int closed;               /* handles closed (of 3) */
	size_t len;
	char in[1024];
};

struct out {
	uv_write_t req;
	uv_buf_t buf;
	char text[];
};

static uv_loop_t *loop;
static uv_tcp_t listener;
static uv_poll_t update_watch;
static struct session *sessions;
static int nsessions;
static struct kv *table[NBUCKETS];
static unsigned long nkeys;
static unsigned beat_ms = REL == 1 ? 50 : 40;
#if REL >= 2
static unsigned period_reported; /* set by release 2's startup */
#endif

static unsigned hashstr(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void after_write(uv_write_t *req, int status)
{
	(void)status;
	free(container_of(req, struct out, req));
}

static void say(struct session *s, const char *fmt, ...)
{
	va_list ap;
	char tmp[1200];
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof tmp - 2)
		n = sizeof tmp - 2;
	tmp[n++] = '\n';
	struct out *o = malloc(sizeof *o + n);
	memcpy(o->text, tmp, n);
	o->buf = uv_buf_init(o->text, n);
	if (uv_write(&o->req, (uv_stream_t *)&s->tcp, &o->buf, 1, after_write))
		free(o);
}

static struct kv **find(const char *k)
{
	struct kv **pp = &table[hashstr(k) % NBUCKETS];
	while (*pp && strcmp((*pp)->key, k))
		pp = &(*pp)->next;
	return pp;
}

static void verify(struct session *me)
{
	unsigned long n = 0;
	int ns = 0;
	uint64_t now = uv_now(loop);

	for (int b = 0; b < NBUCKETS; b++)
		for (struct kv *e = table[b]; e; e = e->next, n++)
			if (hashstr(e->key) % NBUCKETS != (unsigned)b || !e->val.base || !e->val.len
#if REL >= 2
			    || (e->hash && e->hash != hashstr(e->key))
#endif
			) {
				say(me, "VERIFY bad entry %s", e->key);
				return;
			}
	if (n != nkeys) {
		say(me, "VERIFY bad count %lu of %lu", n, nkeys);
		return;
	}
	for (struct session *s = sessions; s; s = s->next, ns++) {
		if (!uv_is_active((uv_handle_t *)&s->heartbeat) || !uv_is_active((uv_handle_t *)&s->idle) ||
		    container_of(s->heartbeat.data, struct session, heartbeat) != s) {
			say(me, "VERIFY bad session timers (%d)", ns);
			return;
		}
		if (uv_timer_get_due_in(&s->heartbeat) > 2 * beat_ms ||
		    uv_timer_get_due_in(&s->idle) > IDLE_MS || s->opened > now) {
			say(me, "VERIFY bad session due times (%d)", ns);
			return;
		}
	}
	if (ns != nsessions) {
		say(me, "VERIFY bad sessions %d of %d", ns, nsessions);
		return;
	}
	say(me, "VERIFY ok keys=%lu sessions=%d", n, ns);
}

static void stats(struct session *me)
{
	int stalled = 0;
	for (struct session *s = sessions; s; s = s->next) {
		if (s->seen && s->ticks == s->ticks_seen)
			stalled++;
		s->seen = 1;
		s->ticks_seen = s->ticks;
	}
	say(me, "STATS sessions=%d stalled=%d", nsessions, stalled);
}

static void command(struct session *s, char *line)
{
	char *cmd = strtok(line, " "), *k = strtok(NULL, " "), *v = strtok(NULL, "");

#if REL >= 2
	s->nreq++;
#endif
	uv_timer_again(&s->idle);
	if (!cmd) {
		say(s, "ERR empty");
	} else if (!strcmp(cmd, "SET") && k && v) {
		struct kv **pp = find(k), *e = *pp;
		if (!e) {
			e = calloc(1, sizeof *e + strlen(k) + 1);
			strcpy(e->key, k);
			*pp = e;
			nkeys++;
		}
#if REL >= 2
		e->hash = hashstr(k);
#endif
		free(e->val.base);
		e->val.len = strlen(v);
		e->val.base = malloc(e->val.len);
		memcpy(e->val.base, v, e->val.len);
		say(s, "OK");
	} else if (!strcmp(cmd, "GET") && k) {
		struct kv *e = *find(k);
		if (e)
			say(s, "VALUE %.*s", (int)e->val.len, e->val.base);
		else
			say(s, "NONE");
	} else if (!strcmp(cmd, "DEL") && k) {
		struct kv **pp = find(k), *e = *pp;
		if (e) {
			*pp = e->next;
			free(e->val.base);
			free(e);
			nkeys--;
		}
		say(s, e ? "OK" : "NONE");
	} else if (!strcmp(cmd, "VERSION")) {
		say(s, "VERSION uvtick " XSTR(REL));
	} else if (!strcmp(cmd, "VERIFY")) {
		verify(s);
	} else if (!strcmp(cmd, "STATS")) {
		stats(s);
#if REL >= 2
	} else if (!strcmp(cmd, "PERIOD")) {
		say(s, "PERIOD %u", period_reported);
#endif
	} else {
		say(s, "ERR unknown");
	}
}

/* The last of a session's three handles to close frees it. */
static void on_closed(uv_handle_t *h)
{
	struct session *s = h->data;
	if (++s->closed == 3)
		free(s);
}

static void end_session(struct session *s)
{
	if (uv_is_closing((uv_handle_t *)&s->tcp))
		return;
	if (s->prev)
		s->prev->next = s->next;
	else
		sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	nsessions--;
	s->heartbeat.data = s->idle.data = s->tcp.data = s;
	uv_close((uv_handle_t *)&s->heartbeat, on_closed);
	uv_close((uv_handle_t *)&s->idle, on_closed);
	uv_close((uv_handle_t *)&s->tcp, on_closed);
}

static void on_alloc(uv_handle_t *h, size_t want, uv_buf_t *buf)
{
	struct session *s = container_of(h, struct session, tcp);
	(void)want;
	*buf = uv_buf_init(s->in + s->len, sizeof s->in - 1 - s->len);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct session *s = container_of(st, struct session, tcp);
	char *nl;
	(void)buf;

	if (n < 0) {
		end_session(s);
		return;
	}
	s->len += n;
	while ((nl = memchr(s->in, '\n', s->len))) {
		*nl = '\0';
		command(s, s->in);
		s->len -= nl + 1 - s->in;
		memmove(s->in, nl + 1, s->len);
	}
	if (s->len >= sizeof s->in - 1)
		end_session(s);
}

static void on_beat(uv_timer_t *t)
{
	struct session *s = container_of(t, struct session, heartbeat);
	s->ticks++;
}

static void on_idle(uv_timer_t *t)
{
	end_session(container_of(t, struct session, idle));
}

static void on_connection(uv_stream_t *server, int status)
{
	if (status < 0)
		return;
	struct session *s = calloc(1, sizeof *s);
	uv_tcp_init(loop, &s->tcp);
	if (uv_accept(server, (uv_stream_t *)&s->tcp)) {
		s->closed = 2;
		s->tcp.data = s;
		uv_close((uv_handle_t *)&s->tcp, on_closed);
		return;
	}
	s->opened = uv_now(loop);
#if REL >= 2
	struct sockaddr_in peer;
	int plen = sizeof peer;
	if (!uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&peer, &plen))
		uv_ip4_name(&peer, s->peer, sizeof s->peer);
#endif
	uv_timer_init(loop, &s->heartbeat);
	s->heartbeat.data = &s->heartbeat;
	uv_timer_start(&s->heartbeat, on_beat, beat_ms, beat_ms);
	uv_timer_init(loop, &s->idle);
	uv_timer_start(&s->idle, on_idle, IDLE_MS, IDLE_MS);
	s->next = sessions;
	if (sessions)
		sessions->prev = s;
	sessions = s;
	nsessions++;
	uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
}

static void on_update(uv_poll_t *p, int status, int events)
{
	(void)p, (void)status, (void)events;
	stf_update_point();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: uvtick PORT-FILE\n");
		return 2;
	}
#if REL >= 2
	period_reported = beat_ms;
#endif
	if (!stf_is_updating()) {
		struct sockaddr_in sa;
		int namelen = sizeof sa;

		loop = uv_default_loop();
		uv_ip4_addr("127.0.0.1", 0, &sa);
		uv_tcp_init(loop, &listener);
		if (uv_tcp_bind(&listener, (const struct sockaddr *)&sa, 0) ||
		    uv_listen((uv_stream_t *)&listener, 64, on_connection) ||
		    uv_tcp_getsockname(&listener, (struct sockaddr *)&sa, &namelen)) {
			fprintf(stderr, "uvtick: cannot listen\n");
			return 1;
		}
		uv_poll_init(loop, &update_watch, stf_update_fd());
		uv_poll_start(&update_watch, UV_READABLE, on_update);
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	} else {
		on_update(&update_watch, 0, UV_READABLE); /* the state arrives here */
	}
	return uv_run(loop, UV_RUN_DEFAULT);
}
