/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * chatd 1 - a small publish/subscribe chat server, the second server of
 * ttst's live-update tests (t/live/chatd-updates.sh), release 1 of 3.
 * Single-threaded, poll(), one text line per request:
 *
 *   NICK name        -> OK        names the client
 *   JOIN channel     -> OK seq    seq: number of the channel's last message
 *   PUB channel text -> OK seq    each member gets: MSG channel seq nick text
 *   TIMER ms text    -> OK        ms milliseconds later: TIMER text
 *   PING             -> PONG n    n: requests of this client so far
 *   STATS            -> STATS version=1 counter=n ...
 *   VERIFY           -> VERIFY ok clients=n channels=n members=n timers=n
 *                       queued=n, or VERIFY bad <what is inconsistent>
 *
 * Why it is a good test, unlike kvd (one hash table of flat entries, epoll,
 * fixed output buffers): its state is a web of small heap objects pointing
 * at each other.  Each client owns a strdup'ed nickname, a linked queue of
 * output messages whose texts vasprintf (libc) allocated, with a tail
 * pointer into the queue, and pointers to the channels it joined; the
 * channel hash table holds channels whose member lists point back at the
 * clients (cycles); the timer list is sorted by due time and points at
 * clients.  VERIFY checks every one of these links, PING every client's own
 * request counter, and the message numbers let clients see a single lost
 * or repeated message.
 *
 * Releases (each is a file named chatd.c in its own directory: ttst pairs
 * static state by file name, so the name stays from one release to the
 * next):
 *
 * 1  the first.
 * 2  reorders the members of struct message and struct client, widens
 *    client.requests from 32 to 64 bits, grows the input buffer from 512 to
 *    1024 bytes (longer lines are accepted), adds a configuration variable,
 *    max_queue (a new object: it keeps its initializer), with a MAXQUEUE
 *    request, and an AWAY state: enum client_state gains CS_AWAY in front
 *    of CS_NAMED, renamed CS_REGISTERED.  ttst maps enumerators by name, so
 *    a member callback converts client.state in both directions; built with
 *    -DCHATD_BUG_FORGOT_STATE_MAP (chatd-2-bad) it lacks the callback and
 *    an update from 1 to it must roll back, naming the member.
 * 3  grows clients[] (more clients) and client.joined[] (more channels per
 *    client), widens the statistics from 32 to 64 bits, raises the default
 *    of max_queue (the running value must survive) and adds
 *    channel.nmembers, computed from the transferred member lists by a
 *    transformer (VERIFY checks it).
 *
 * Live update: the event loop calls stf_update_point(); the listening
 * socket is made only when the process is not started as the new version
 * of an update (stf_is_updating()), and is a local of main, which holds
 * the update point, so it is transferred with main's frame.
 *
 * Usage: chatd PORT-FILE (listens on 127.0.0.1, any free port, written to
 * PORT-FILE).
 */
#define _GNU_SOURCE   /* accept4, vasprintf */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <stf.h>

#define CHATD_VERSION "1"
#define MAX_CLIENTS 128   /* connections beyond are refused */
#define NBUCKETS 64       /* channel hash table */
#define MAX_JOINED 4      /* channels one client may join */
#define INBUF 512         /* longest request line, newline included */
#define MAX_TIMER_MS 86400000   /* a day */

/* One line queued for a client; freed once written. */
struct message {
	struct message *next;
	char *text;
	size_t len;    /* bytes of text */
	size_t sent;   /* bytes of text already written */
};

enum client_state {
	CS_CONNECTED,  /* no nickname yet: may not publish */
	CS_NAMED,
};

struct channel;

struct client {
	int fd;
	enum client_state state;
	char *nick;
	struct message *qhead, *qtail;   /* output queue */
	unsigned qlen;
	unsigned requests;
	struct channel *joined[MAX_JOINED];
	int njoined;
	size_t inlen;                    /* bytes buffered in in[] */
	char in[INBUF];
};

struct member {
	struct member *next;
	struct client *client;
};

struct channel {
	struct channel *next;            /* hash chain */
	char *name;
	struct member *members;
	unsigned long seq;               /* number of the last message */
};

struct timer {
	struct timer *next;              /* the list is sorted by due_ms */
	long long due_ms;                /* CLOCK_MONOTONIC */
	struct client *client;
	char *text;
};

struct stats {
	unsigned requests;
	unsigned published;
	unsigned delivered;              /* MSG lines queued */
	unsigned joins;
	unsigned timers;                 /* timers fired */
	unsigned accepted;
	unsigned closed;
};

static struct client *clients[MAX_CLIENTS];
static struct channel *channels[NBUCKETS];
static struct timer *timers;
static struct stats stats;

static void die(const char *what)
{
	fprintf(stderr, "chatd: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *xcalloc(size_t size)
{
	void *p = calloc(1, size);

	if (!p)
		die("calloc");
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die("strdup");
	return p;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static unsigned hash_name(const char *s)
{
	unsigned h = 5381;   /* djb2 */

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct channel *find_channel(const char *name)
{
	struct channel *ch;

	for (ch = channels[hash_name(name) % NBUCKETS]; ch; ch = ch->next)
		if (strcmp(ch->name, name) == 0)
			return ch;
	return NULL;
}

static struct channel *create_channel(const char *name)
{
	unsigned b = hash_name(name) % NBUCKETS;
	struct channel *ch = xcalloc(sizeof *ch);

	ch->name = xstrdup(name);
	ch->next = channels[b];
	channels[b] = ch;
	return ch;
}

/* Queue one line for the client. */
static void send_line(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void send_line(struct client *c, const char *fmt, ...)
{
	struct message *m = xcalloc(sizeof *m);
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&m->text, fmt, ap);
	va_end(ap);
	if (len < 0)
		die("vasprintf");
	m->len = len;
	if (c->qtail)
		c->qtail->next = m;
	else
		c->qhead = m;
	c->qtail = m;
	c->qlen++;
}

static int has_joined(const struct client *c, const struct channel *ch)
{
	for (int i = 0; i < c->njoined; i++)
		if (c->joined[i] == ch)
			return 1;
	return 0;
}

static void join(struct client *c, const char *name)
{
	struct channel *ch = find_channel(name);
	struct member *m;

	if (ch && has_joined(c, ch)) {
		send_line(c, "OK %lu\n", ch->seq);
		return;
	}
	if (c->njoined == MAX_JOINED) {
		send_line(c, "ERR too many channels\n");
		return;
	}
	if (!ch)
		ch = create_channel(name);
	m = xcalloc(sizeof *m);
	m->client = c;
	m->next = ch->members;
	ch->members = m;
	c->joined[c->njoined++] = ch;
	stats.joins++;
	send_line(c, "OK %lu\n", ch->seq);
}

static void publish(struct client *c, const char *name, const char *text)
{
	struct channel *ch = find_channel(name);
	struct member *m;

	if (c->state != CS_NAMED) {
		send_line(c, "ERR no nickname\n");
		return;
	}
	if (!ch) {
		send_line(c, "ERR no such channel\n");
		return;
	}
	ch->seq++;
	stats.published++;
	send_line(c, "OK %lu\n", ch->seq);
	for (m = ch->members; m; m = m->next) {
		send_line(m->client, "MSG %s %lu %s %s\n", ch->name, ch->seq, c->nick, text);
		stats.delivered++;
	}
}

static void add_timer(struct client *c, long ms, const char *text)
{
	struct timer *t = xcalloc(sizeof *t), **link;

	t->due_ms = now_ms() + ms;
	t->client = c;
	t->text = xstrdup(text);
	/* After the timers due at the same time: they fire in request order. */
	for (link = &timers; *link && (*link)->due_ms <= t->due_ms; link = &(*link)->next)
		;
	t->next = *link;
	*link = t;
}

static void fire_timers(void)
{
	long long now = now_ms();
	struct timer *t;

	while ((t = timers) && t->due_ms <= now) {
		timers = t->next;
		send_line(t->client, "TIMER %s\n", t->text);
		stats.timers++;
		free(t->text);
		free(t);
	}
}

static int client_slot(const struct client *c)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i] && clients[i] == c)
			return i;
	return -1;
}

/* Format a VERIFY failure. */
static const char *bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *bad(const char *fmt, ...)
{
	static char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return why;
}

struct census {
	unsigned clients, channels, members, timers, queued;
};

/*
 * Check every link of the state: queues (length, tail, texts), nicknames,
 * memberships seen from both sides, channels in the bucket of their name,
 * timers sorted and owned by connected clients, the connection counters.
 * NULL when all hold, else what does not.
 */
static const char *check_state(struct census *n)
{
	memset(n, 0, sizeof *n);
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = clients[i];
		struct message *m, *last = NULL;
		unsigned len = 0;

		if (!c)
			continue;
		n->clients++;
		if ((c->state == CS_NAMED) != (c->nick != NULL))
			return bad("client %d: state %d, nick %s", i, c->state, c->nick ? c->nick : "none");
		for (m = c->qhead; m; last = m, m = m->next, len++)
			if (m->sent >= m->len || strlen(m->text) != m->len)
				return bad("client %d: message %u: %zu of %zu bytes sent", i, len, m->sent, m->len);
		if (len != c->qlen || last != c->qtail)
			return bad("client %d: queue of %u messages, qlen %u%s", i, len, c->qlen,
				   last != c->qtail ? ", wrong tail" : "");
		n->queued += len;
		for (int j = 0; j < c->njoined; j++) {
			unsigned seen = 0;

			for (struct member *mb = c->joined[j]->members; mb; mb = mb->next)
				seen += mb->client == c;
			if (seen != 1)
				return bad("client %d: listed %u times in %s", i, seen, c->joined[j]->name);
		}
	}
	for (unsigned b = 0; b < NBUCKETS; b++) {
		for (struct channel *ch = channels[b]; ch; ch = ch->next) {
			n->channels++;
			if (hash_name(ch->name) % NBUCKETS != b)
				return bad("channel %s in bucket %u", ch->name, b);
			for (struct member *mb = ch->members; mb; mb = mb->next, n->members++)
				if (client_slot(mb->client) < 0 || !has_joined(mb->client, ch))
					return bad("channel %s: member not a client in it", ch->name);
		}
	}
	for (struct timer *t = timers; t; t = t->next) {
		n->timers++;
		if (t->next && t->next->due_ms < t->due_ms)
			return bad("timers not sorted at '%s'", t->text);
		if (client_slot(t->client) < 0)
			return bad("timer '%s' of no client", t->text);
	}
	if (stats.accepted - stats.closed != n->clients)
		return bad("%u clients, %u accepted - %u closed", n->clients, stats.accepted, stats.closed);
	return NULL;
}

/* Execute one request line (NUL-terminated, without its newline). */
static void handle_request(struct client *c, char *line)
{
	char *arg = strchr(line, ' '), *text = NULL, *end;

	c->requests++;
	stats.requests++;
	if (arg) {
		*arg++ = '\0';
		text = strchr(arg, ' ');
		if (text)
			*text++ = '\0';
	}
	if (strcmp(line, "NICK") == 0 && arg && *arg) {
		free(c->nick);
		c->nick = xstrdup(arg);
		c->state = CS_NAMED;
		send_line(c, "OK\n");
	} else if (strcmp(line, "JOIN") == 0 && arg && *arg) {
		join(c, arg);
	} else if (strcmp(line, "PUB") == 0 && arg && text) {
		publish(c, arg, text);
	} else if (strcmp(line, "TIMER") == 0 && arg && text) {
		long ms = strtol(arg, &end, 10);

		if (*end || ms < 0 || ms > MAX_TIMER_MS) {
			send_line(c, "ERR bad delay\n");
			return;
		}
		add_timer(c, ms, text);
		send_line(c, "OK\n");
	} else if (strcmp(line, "PING") == 0) {
		send_line(c, "PONG %u\n", c->requests);
	} else if (strcmp(line, "STATS") == 0) {
		send_line(c, "STATS version=" CHATD_VERSION " requests=%u published=%u"
			  " delivered=%u joins=%u timers=%u accepted=%u closed=%u\n",
			  stats.requests, stats.published, stats.delivered, stats.joins,
			  stats.timers, stats.accepted, stats.closed);
	} else if (strcmp(line, "VERIFY") == 0) {
		struct census n;
		const char *why = check_state(&n);

		if (why)
			send_line(c, "VERIFY bad %s\n", why);
		else
			send_line(c, "VERIFY ok clients=%u channels=%u members=%u timers=%u queued=%u\n",
				  n.clients, n.channels, n.members, n.timers, n.queued);
	} else {
		send_line(c, "ERR bad request\n");
	}
}

static void client_close(int slot)
{
	struct client *c = clients[slot];
	struct timer **tlink, *t;
	struct message *m;

	for (int i = 0; i < c->njoined; i++) {
		struct member **link = &c->joined[i]->members, *mb;

		while ((mb = *link)) {
			if (mb->client == c) {
				*link = mb->next;
				free(mb);
			} else {
				link = &mb->next;
			}
		}
	}
	for (tlink = &timers; (t = *tlink);) {
		if (t->client == c) {
			*tlink = t->next;
			free(t->text);
			free(t);
		} else {
			tlink = &t->next;
		}
	}
	while ((m = c->qhead)) {
		c->qhead = m->next;
		free(m->text);
		free(m);
	}
	close(c->fd);
	free(c->nick);
	free(c);
	clients[slot] = NULL;
	stats.closed++;
}

/* Read and execute requests; -1 when the client is gone or sent a line
 * longer than INBUF. */
static int client_read(struct client *c)
{
	ssize_t n = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
	char *nl;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	c->inlen += n;
	while ((nl = memchr(c->in, '\n', c->inlen))) {
		size_t used = nl + 1 - c->in;

		*nl = '\0';
		handle_request(c, c->in);
		memmove(c->in, nl + 1, c->inlen - used);
		c->inlen -= used;
	}
	return c->inlen == sizeof c->in ? -1 : 0;
}

/* Write queued messages until done or the socket is full; -1 on error. */
static int client_flush(struct client *c)
{
	struct message *m;

	while ((m = c->qhead)) {
		ssize_t n = send(c->fd, m->text + m->sent, m->len - m->sent, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		m->sent += n;
		if (m->sent < m->len)
			return 0;
		c->qhead = m->next;
		if (!c->qhead)
			c->qtail = NULL;
		c->qlen--;
		free(m->text);
		free(m);
	}
	return 0;
}

static void accept_client(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK), one = 1, i;

	if (fd < 0)
		return;
	/* A reply and the client's own message are two small writes: without
	 * this, the second waits for the client's delayed ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	for (i = 0; i < MAX_CLIENTS && clients[i]; i++)
		;
	if (i == MAX_CLIENTS) {
		close(fd);
		return;
	}
	clients[i] = xcalloc(sizeof *clients[i]);
	clients[i]->fd = fd;
	stats.accepted++;
}

static int listen_on(const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	FILE *f;

	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		die("bind");
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f) != 0)
		die(port_file);
	return fd;
}

/* Milliseconds until the first timer is due, -1 without timers. */
static int poll_timeout(void)
{
	long long wait;

	if (!timers)
		return -1;
	wait = timers->due_ms - now_ms();
	return wait < 0 ? 0 : (int)wait;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_CLIENTS + 1];   /* [0] listens, [i + 1] is clients[i] */
	int lfd = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: chatd PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating())
		lfd = listen_on(argv[1]);
	for (;;) {
		stf_update_point();
		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = clients[i];

			pfd[i + 1].fd = c ? c->fd : -1;   /* poll() skips -1 */
			pfd[i + 1].events = c && c->qhead ? POLLIN | POLLOUT : POLLIN;
			pfd[i + 1].revents = 0;
		}
		if (poll(pfd, MAX_CLIENTS + 1, poll_timeout()) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		fire_timers();
		if (pfd[0].revents & POLLIN)
			accept_client(lfd);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i] && (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    client_read(clients[i]) < 0)
				client_close(i);
		/* A request queues messages for other clients too: flush them all. */
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i] && clients[i]->qhead && client_flush(clients[i]) < 0)
				client_close(i);
	}
}
