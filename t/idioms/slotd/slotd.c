/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * slotd - a threaded key-value server: the main thread accepts and hands
 * each connection to one of two workers through a pipe; each worker polls
 * its own connections.  Every connection keeps its state in `void *`
 * user-data slots: a request counter stored as an integer, a session blob
 * of raw bytes (the peer's address, the time it came, and a copy of the
 * connection's own address, as a C programmer keeps a cookie), and its
 * typed statistics.  Tunables live in a mutable table changed at run time
 * (CONFIG SET); release 2 inserts an entry in it and changes a default.
 * The store is sharded under mutexes.
 *
 * Protocol: SET k v, GET k, DEL k, VERSION, VERIFY, CONFIG GET n,
 * CONFIG SET n v, WHOAMI (requests on this connection, its cookie check).
 * Usage: slotd PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif

enum { UD_REQUESTS, UD_SESSION, UD_STATS, UD_N };

struct conn_stats {
	unsigned long gets, sets, dels;
#if REL >= 2
	unsigned long configs;
#endif
};

struct conn {
	int fd;
	void *ud[UD_N];
	size_t len;
	char in[1024];
};

#define SESSION_BYTES 48

struct tunable {
	const char *name;
	long value, min, max;
};

static struct tunable tunables[] = {
	{ "max-value", 4000, 1, 4000 },
#if REL >= 2
	{ "log-level", 2, 0, 5 },
	{ "idle-secs", 600, 1, 86400 },
#else
	{ "idle-secs", 300, 1, 86400 },
#endif
	{ "shards", 16, 16, 16 },
};
#define NTUNABLES (sizeof(tunables) / sizeof(tunables[0]))

#define NSHARDS 16
#define NBUCKETS 512
struct kv {
	struct kv *next;
	char *key, *val;
};
struct shard {
	pthread_mutex_t lock;
	struct kv *buckets[NBUCKETS];
	size_t n;
};
static struct shard shards[NSHARDS];

#define NWORKERS 2
#define MAX_CONNS 64
struct worker {
	pthread_t thread;
	int notify[2];                 /* new connections' fds */
	struct conn *conns[MAX_CONNS];
	unsigned long served;
};
static struct worker workers[NWORKERS];
static int listen_fd = -1;
static pthread_mutex_t tunables_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned hash(const char *s)
{
	unsigned h = 0;
	while (*s)
		h = h * 131 + (unsigned char)*s++;
	return h;
}

static struct shard *shard_of(const char *key, unsigned *b)
{
	unsigned h = hash(key);
	*b = (h / NSHARDS) % NBUCKETS;
	return &shards[h % NSHARDS];
}

static int set(const char *key, const char *val)
{
	unsigned b;
	struct shard *s = shard_of(key, &b);
	char *v = strdup(val);
	if (!v)
		return -1;
	pthread_mutex_lock(&s->lock);
	struct kv *e = s->buckets[b];
	while (e && strcmp(e->key, key))
		e = e->next;
	if (e) {
		free(e->val);
	} else if ((e = malloc(sizeof(*e))) && (e->key = strdup(key))) {
		e->next = s->buckets[b];
		s->buckets[b] = e;
		s->n++;
	} else {
		free(e);
		pthread_mutex_unlock(&s->lock);
		free(v);
		return -1;
	}
	e->val = v;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int get(const char *key, char *out, size_t size)
{
	unsigned b;
	struct shard *s = shard_of(key, &b);
	int found = 0;
	pthread_mutex_lock(&s->lock);
	for (struct kv *e = s->buckets[b]; e; e = e->next)
		if (!strcmp(e->key, key)) {
			snprintf(out, size, "VALUE %s", e->val);
			found = 1;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	return found;
}

static int del(const char *key)
{
	unsigned b;
	struct shard *s = shard_of(key, &b);
	int found = 0;
	pthread_mutex_lock(&s->lock);
	for (struct kv **p = &s->buckets[b]; *p; p = &(*p)->next)
		if (!strcmp((*p)->key, key)) {
			struct kv *e = *p;
			*p = e->next;
			free(e->key);
			free(e->val);
			free(e);
			s->n--;
			found = 1;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	return found;
}

static struct tunable *tunable(const char *name)
{
	for (size_t k = 0; k < NTUNABLES; k++)
		if (!strcmp(tunables[k].name, name))
			return &tunables[k];
	return NULL;
}

/* The session blob: peer address, arrival time, and the connection's own
 * address as bytes (checked by WHOAMI). */
static void *session_new(struct conn *c, const struct sockaddr_in *peer)
{
	unsigned char *blob = malloc(SESSION_BYTES);
	if (!blob)
		return NULL;
	memset(blob, 0, SESSION_BYTES);
	memcpy(blob, peer, sizeof(*peer));
	time_t now = time(NULL);
	memcpy(blob + 16, &now, sizeof(now));
	memcpy(blob + 24, &c, sizeof(c));
	memcpy(blob + 32, "slotd-v1", 8);
	return blob;
}

static const char *verify(char *why, size_t size)
{
	size_t total = 0;
	for (int s = 0; s < NSHARDS; s++) {
		size_t n = 0;
		pthread_mutex_lock(&shards[s].lock);
		for (unsigned b = 0; b < NBUCKETS; b++)
			for (struct kv *e = shards[s].buckets[b]; e; e = e->next, n++) {
				unsigned bb;
				if (shard_of(e->key, &bb) != &shards[s] || bb != b) {
					snprintf(why, size, "%s misplaced", e->key);
					pthread_mutex_unlock(&shards[s].lock);
					return why;
				}
			}
		size_t counted = shards[s].n;
		pthread_mutex_unlock(&shards[s].lock);
		if (n != counted) {
			snprintf(why, size, "shard %d: %zu keys, %zu counted", s, n, counted);
			return why;
		}
		total += n;
	}
	snprintf(why, size, "keys=%zu", total);
	return NULL;
}

static void respond(struct conn *c, char *line, char *out, size_t size)
{
	char *save, *cmd = strtok_r(line, " ", &save), *a = strtok_r(NULL, " ", &save),
	     *b = strtok_r(NULL, "", &save);
	struct conn_stats *st = c->ud[UD_STATS];
	c->ud[UD_REQUESTS] = (void *)((uintptr_t)c->ud[UD_REQUESTS] + 1);
	if (!cmd) {
		snprintf(out, size, "ERROR empty");
	} else if (!strcmp(cmd, "SET") && a && b) {
		st->sets++;
		pthread_mutex_lock(&tunables_lock);
		long max = tunable("max-value")->value;
		pthread_mutex_unlock(&tunables_lock);
		if ((long)strlen(b) > max)
			snprintf(out, size, "ERROR too long");
		else
			snprintf(out, size, set(a, b) < 0 ? "ERROR memory" : "OK");
	} else if (!strcmp(cmd, "GET") && a) {
		st->gets++;
		if (!get(a, out, size))
			snprintf(out, size, "NONE");
	} else if (!strcmp(cmd, "DEL") && a) {
		st->dels++;
		snprintf(out, size, del(a) ? "OK" : "NONE");
	} else if (!strcmp(cmd, "CONFIG") && a && b) {
		char *name = strtok_r(b, " ", &save), *val = strtok_r(NULL, " ", &save);
#if REL >= 2
		st->configs++;
#endif
		pthread_mutex_lock(&tunables_lock);
		struct tunable *t = name ? tunable(name) : NULL;
		if (!t) {
			snprintf(out, size, "ERROR no such tunable");
		} else if (!strcmp(a, "GET")) {
			snprintf(out, size, "CONFIG %s %ld", t->name, t->value);
		} else if (!strcmp(a, "SET") && val) {
			long v = atol(val);
			if (v < t->min || v > t->max) {
				snprintf(out, size, "ERROR out of range");
			} else {
				t->value = v;
				snprintf(out, size, "CONFIG %s %ld", t->name, t->value);
			}
		} else {
			snprintf(out, size, "ERROR usage");
		}
		pthread_mutex_unlock(&tunables_lock);
	} else if (!strcmp(cmd, "WHOAMI")) {
		struct conn *self;
		memcpy(&self, (unsigned char *)c->ud[UD_SESSION] + 24, sizeof(self));
		snprintf(out, size, "WHOAMI %lu %s %s", (unsigned long)(uintptr_t)c->ud[UD_REQUESTS],
			 self == c ? "self" : "other",
			 memcmp((unsigned char *)c->ud[UD_SESSION] + 32, "slotd-v1", 8) ? "?" : "tag");
	} else if (!strcmp(cmd, "VERSION")) {
		snprintf(out, size, "VERSION slotd %d", REL);
	} else if (!strcmp(cmd, "VERIFY")) {
		char why[160];
		if (verify(why, sizeof why))
			snprintf(out, size, "VERIFY bad %s", why);
		else
			snprintf(out, size, "VERIFY ok %s served=%lu+%lu", why, workers[0].served,
				 workers[1].served);
	} else {
		snprintf(out, size, "ERROR unknown");
	}
}

static void drop(struct worker *w, int k)
{
	struct conn *c = w->conns[k];
	close(c->fd);
	free(c->ud[UD_SESSION]);
	free(c->ud[UD_STATS]);
	free(c);
	w->conns[k] = NULL;
}

static int serve(struct worker *w, int k)
{
	struct conn *c = w->conns[k];
	ssize_t r = read(c->fd, c->in + c->len, sizeof c->in - c->len);
	if (r <= 0)
		return r < 0 && errno == EINTR ? 0 : -1;
	c->len += (size_t)r;
	char *nl, out[4200];
	while ((nl = memchr(c->in, '\n', c->len))) {
		*nl = 0;
		respond(c, c->in, out, sizeof out - 1);
		size_t n = strlen(out);
		out[n++] = '\n';
		for (size_t off = 0; off < n;) {
			ssize_t wr = write(c->fd, out + off, n - off);
			if (wr < 0 && errno == EINTR)
				continue;
			if (wr <= 0)
				return -1;
			off += (size_t)wr;
		}
		w->served++;
		size_t taken = (size_t)(nl - c->in) + 1;
		memmove(c->in, c->in + taken, c->len - taken);
		c->len -= taken;
	}
	return c->len == sizeof c->in ? -1 : 0;
}

static void adopt(struct worker *w)
{
	int fd;
	if (read(w->notify[0], &fd, sizeof fd) != sizeof fd)
		return;
	struct sockaddr_in peer;
	socklen_t pl = sizeof peer;
	getpeername(fd, (struct sockaddr *)&peer, &pl);
	for (int k = 0; k < MAX_CONNS; k++)
		if (!w->conns[k]) {
			struct conn *c = calloc(1, sizeof(*c));
			if (!c)
				break;
			c->fd = fd;
			c->ud[UD_SESSION] = session_new(c, &peer);
			c->ud[UD_STATS] = calloc(1, sizeof(struct conn_stats));
			w->conns[k] = c;
			return;
		}
	close(fd);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (;;) {
		struct pollfd p[MAX_CONNS + 1];
		int map[MAX_CONNS + 1], n = 0;
		stf_update_point();
		p[n].fd = w->notify[0];
		p[n].events = POLLIN;
		map[n++] = -1;
		for (int k = 0; k < MAX_CONNS; k++)
			if (w->conns[k]) {
				p[n].fd = w->conns[k]->fd;
				p[n].events = POLLIN;
				map[n++] = k;
			}
		if (poll(p, (nfds_t)n, 100) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (!p[i].revents)
				continue;
			if (map[i] < 0)
				adopt(w);
			else if (serve(w, map[i]) < 0)
				drop(w, map[i]);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: slotd PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof sa;
		for (int s = 0; s < NSHARDS; s++)
			pthread_mutex_init(&shards[s].lock, NULL);
		listen_fd = socket(AF_INET, SOCK_STREAM, 0);
		if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) ||
		    listen(listen_fd, 64) || getsockname(listen_fd, (struct sockaddr *)&sa, &sl)) {
			perror("slotd");
			return 1;
		}
		for (int i = 0; i < NWORKERS; i++)
			if (pipe(workers[i].notify) ||
			    pthread_create(&workers[i].thread, NULL, worker_main, &workers[i])) {
				perror("slotd: worker");
				return 1;
			}
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	}
	for (unsigned next = 0;; next++) {
		struct pollfd p = { .fd = listen_fd, .events = POLLIN };
		stf_update_point();
		if (poll(&p, 1, 200) <= 0)
			continue;
		int fd = accept(listen_fd, NULL, NULL);
		if (fd >= 0 && write(workers[next % NWORKERS].notify[1], &fd, sizeof fd) != sizeof fd)
			close(fd);
	}
}
