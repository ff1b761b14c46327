/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tlsd - a threaded key-value server written as an outside C programmer
 * writes one (wave 15's hunt).  Three worker threads poll the one
 * listening socket and accept in turn; each keeps its connections on a
 * list whose head is thread-local, counts its requests and SETs in
 * thread-local counters (the SETs under the store's lock, beside the
 * store's own count) and formats its replies in a thread-local buffer;
 * each worker publishes pointers to its counters in the worker table.
 * The main thread rewrites the process title every 100 ms, BSD
 * setproctitle style: at start the environment strings are copied to the
 * heap (environ pointed at a heap vector) and the title is written over
 * argv and the old environment, through pointers kept in statics.  The
 * version reply comes from a static pointer to a string literal, the
 * banner from a literal stored in a heap config.
 *
 * Protocol: SET k v, GET k, DEL k, VERSION, VERIFY (every entry, this
 * worker's connections, the thread-local SET counts of all workers
 * against the store's), BANNER, TITLE (the process title), STATS ->
 * STATS requests=N.  REL 2: entries and connections grow in their
 * middle, a limit set by the new startup (LIMIT).
 * Usage: tlsd PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
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
#define STR(x) #x
#define XSTR(x) STR(x)

#define NWORKERS 3
#define NBUCKETS 1024
#define MAXCONN 64

struct entry {
	struct entry *next;
	char *key;
#if REL >= 2
	unsigned long version;    /* new in 2 */
#endif
	char *val;
	size_t vlen;
};

struct conn {
	struct conn *next;
	int fd;
#if REL >= 2
	time_t last_seen;         /* new in 2 */
#endif
	size_t inlen;
	char in[1024];
};

struct worker {
	int id;
	pthread_t tid;
	unsigned long *requests;  /* the worker's thread-local counters */
	unsigned long *sets;
	unsigned long nsets;      /* the same count, kept here */
	int nconns;
};

struct config {
	const char *banner;
	int workers;
	char *title_prefix;
};

static const char *version_string = "VERSION tlsd " XSTR(REL);
static struct config *cfg;
static struct worker workers[NWORKERS];
static int listen_fd = -1;

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *buckets[NBUCKETS];
static unsigned long nentries, store_sets;
#if REL >= 2
static unsigned long value_limit; /* set by release 2's startup */
#endif

static __thread struct worker *self;
static __thread struct conn *my_conns;
static __thread unsigned long my_requests, my_sets;
static __thread char reply_buf[1200];

/* setproctitle, the BSD way */
extern char **environ;
static char *title_start, *title_end;

static void title_init(int argc, char **argv)
{
	char *end = argv[0] + strlen(argv[0]) + 1;
	int n = 0;

	for (int i = 1; i < argc; i++)
		if (argv[i] == end)
			end = argv[i] + strlen(argv[i]) + 1;
	while (environ[n])
		n++;
	char **env = malloc((n + 1) * sizeof(char *));
	for (int i = 0; i < n; i++) {
		if (environ[i] == end)
			end = environ[i] + strlen(environ[i]) + 1;
		env[i] = strdup(environ[i]);
	}
	env[n] = NULL;
	environ = env;
	title_start = argv[0];
	title_end = end;
}

static void set_title(const char *fmt, ...)
{
	va_list ap;
	size_t room = title_end - title_start;
	int n;

	if (!title_start || room < 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(title_start, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n + 1 < room)
		memset(title_start + n + 1, 0, room - n - 1);
}

static unsigned hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct entry **lookup(const char *k)
{
	struct entry **pp = &buckets[hash(k)];
	while (*pp && strcmp((*pp)->key, k))
		pp = &(*pp)->next;
	return pp;
}

static const char *reply(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reply_buf, sizeof reply_buf, fmt, ap);
	va_end(ap);
	return reply_buf;
}

static const char *do_set(const char *k, const char *v)
{
	size_t vl = strlen(v);
#if REL >= 2
	if (vl > value_limit)
		return "ERR too long";
#endif
	pthread_mutex_lock(&store_lock);
	struct entry **pp = lookup(k), *e = *pp;
	if (!e) {
		e = calloc(1, sizeof *e);
		e->key = strdup(k);
		*pp = e;
		nentries++;
	}
	free(e->val);
	e->val = malloc(vl);      /* raw bytes, no terminator */
	memcpy(e->val, v, vl);
	e->vlen = vl;
#if REL >= 2
	e->version++;
#endif
	my_sets++;
	self->nsets++;
	store_sets++;
	pthread_mutex_unlock(&store_lock);
	return "OK";
}

static const char *do_get(const char *k)
{
	const char *r = "NONE";
	pthread_mutex_lock(&store_lock);
	struct entry *e = *lookup(k);
	if (e)
		r = reply("VALUE %.*s", (int)e->vlen, e->val);
	pthread_mutex_unlock(&store_lock);
	return r;
}

static const char *do_del(const char *k)
{
	pthread_mutex_lock(&store_lock);
	struct entry **pp = lookup(k), *e = *pp;
	if (e) {
		*pp = e->next;
		free(e->key);
		free(e->val);
		free(e);
		nentries--;
	}
	pthread_mutex_unlock(&store_lock);
	return e ? "OK" : "NONE";
}

static const char *do_verify(void)
{
	unsigned long n = 0, sets = 0, table_sets = 0, entries, total;
	int mine = 0;

	pthread_mutex_lock(&store_lock);
	for (int b = 0; b < NBUCKETS; b++)
		for (struct entry *e = buckets[b]; e; e = e->next) {
			if (hash(e->key) != (unsigned)b || !e->val || !e->vlen || e->vlen > 1000) {
				pthread_mutex_unlock(&store_lock);
				return reply("VERIFY bad entry %s", e->key);
			}
			n++;
		}
	for (int i = 0; i < NWORKERS; i++) {
		sets += *workers[i].sets;
		table_sets += workers[i].nsets;
	}
	entries = nentries;
	total = store_sets;
	pthread_mutex_unlock(&store_lock);
	if (n != entries)
		return reply("VERIFY bad count %lu of %lu", n, entries);
	if (sets != total || table_sets != total)
		return reply("VERIFY bad sets: thread-local %lu, table %lu, store %lu", sets, table_sets,
			     total);
	for (struct conn *c = my_conns; c; c = c->next, mine++)
		if (c->fd < 0 || c->inlen >= sizeof c->in)
			return reply("VERIFY bad conn %d", c->fd);
	if (mine != self->nconns)
		return reply("VERIFY bad conns %d of %d", mine, self->nconns);
	if (!self->requests || *self->requests != my_requests)
		return reply("VERIFY bad counter of worker %d", self->id);
	return reply("VERIFY ok entries=%lu sets=%lu", n, sets);
}

static unsigned long total_requests(void)
{
	unsigned long t = 0;
	for (int i = 0; i < NWORKERS; i++)
		if (workers[i].requests)
			t += *workers[i].requests;
	return t;
}

static const char *handle(char *line)
{
	char *save, *cmd = strtok_r(line, " ", &save), *k = strtok_r(NULL, " ", &save),
	     *v = strtok_r(NULL, "", &save);

	my_requests++;
	if (!cmd)
		return "ERR empty";
	if (!strcmp(cmd, "SET") && k && v)
		return do_set(k, v);
	if (!strcmp(cmd, "GET") && k)
		return do_get(k);
	if (!strcmp(cmd, "DEL") && k)
		return do_del(k);
	if (!strcmp(cmd, "VERSION"))
		return version_string;
	if (!strcmp(cmd, "VERIFY"))
		return do_verify();
	if (!strcmp(cmd, "BANNER"))
		return reply("BANNER %s", cfg->banner);
	if (!strcmp(cmd, "TITLE"))
		return reply("TITLE %.40s", title_start);
	if (!strcmp(cmd, "STATS"))
		return reply("STATS requests=%lu", total_requests());
#if REL >= 2
	if (!strcmp(cmd, "LIMIT"))
		return reply("LIMIT %lu", value_limit);
#endif
	return "ERR unknown";
}

static void drop(struct conn *c)
{
	struct conn **pp = &my_conns;
	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	close(c->fd);
	free(c);
	self->nconns--;
}

/* Read what is there, answer every whole line; -1 when the peer left. */
static int serve(struct conn *c)
{
	ssize_t r = read(c->fd, c->in + c->inlen, sizeof c->in - 1 - c->inlen);
	char *nl, *line;

	if (r <= 0)
		return r < 0 && errno == EAGAIN ? 0 : -1;
	c->inlen += r;
#if REL >= 2
	c->last_seen = time(NULL);
#endif
	while ((nl = memchr(c->in, '\n', c->inlen))) {
		*nl = '\0';
		line = c->in;
		const char *out = handle(line);
		size_t len = strlen(out);
		char msg[1300];
		memcpy(msg, out, len);
		msg[len++] = '\n';
		if (write(c->fd, msg, len) != (ssize_t)len)
			return -1;
		c->inlen -= nl + 1 - c->in;
		memmove(c->in, nl + 1, c->inlen);
	}
	return c->inlen >= sizeof c->in - 1 ? -1 : 0;
}

static void adopt(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
	if (fd < 0)
		return;
	struct conn *c = calloc(1, sizeof *c);
	c->fd = fd;
	c->next = my_conns;
	my_conns = c;
	self->nconns++;
}

static void *worker_main(void *arg)
{
	struct pollfd p[MAXCONN + 1];
	struct conn *map[MAXCONN + 1];

	self = arg;
	self->requests = &my_requests;
	self->sets = &my_sets;
	for (;;) {
		int n = 0;
		stf_update_point();
		p[n].fd = listen_fd;
		p[n].events = self->nconns < MAXCONN ? POLLIN : 0;
		map[n++] = NULL;
		for (struct conn *c = my_conns; c && n <= MAXCONN; c = c->next) {
			p[n].fd = c->fd;
			p[n].events = POLLIN;
			map[n++] = c;
		}
		if (poll(p, n, 100) <= 0)
			continue;
		for (int i = n - 1; i >= 0; i--)
			if (p[i].revents) {
				if (!map[i])
					adopt();
				else if (serve(map[i]) < 0)
					drop(map[i]);
			}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tlsd PORT-FILE\n");
		return 2;
	}
	title_init(argc, argv);
#if REL >= 2
	value_limit = 1000;
#endif
	if (!stf_is_updating()) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof sa;

		cfg = calloc(1, sizeof *cfg);
		cfg->banner = REL == 1 ? "tlsd/1.0 (threads)" : "tlsd/2.0 (threads, limits)";
		cfg->workers = NWORKERS;
		cfg->title_prefix = strdup("tlsd");
		listen_fd = socket(AF_INET, SOCK_STREAM, 0);
		if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) ||
		    listen(listen_fd, 64) || getsockname(listen_fd, (struct sockaddr *)&sa, &sl)) {
			perror("tlsd");
			return 1;
		}
		fcntl(listen_fd, F_SETFL, O_NONBLOCK);
		for (int i = 0; i < NWORKERS; i++) {
			workers[i].id = i;
			if (pthread_create(&workers[i].tid, NULL, worker_main, &workers[i])) {
				perror("tlsd: worker");
				return 1;
			}
		}
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	}
	for (;;) {
		stf_update_point();
		set_title("%s: %lu requests", cfg->title_prefix, total_requests());
		usleep(100000);
	}
}
