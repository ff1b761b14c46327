/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * evworker 1 - a threaded key-value server on libevent, an idiom test
 * server of ttst (t/idioms/evworker.sh).  The main thread's event_base
 * accepts, serves one connection in three itself and hands the others,
 * memcached-style, to two worker threads through a pipe each; every
 * worker runs its own event_base.  The store is shared, under a mutex.
 * Events are embedded in the program's structs at non-zero offsets: each
 * client's read event, and in the static struct server the listener's
 * event, a SIGUSR1 event (evsignal) and a housekeeping timer (evtimer).
 * One line each way:
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION evworker-1
 *   STATS         -> STATS signals=n ticks=n clients=n
 *   VERIFY        -> VERIFY ok keys=n clients=n | VERIFY bad ...
 *
 * Update points: the main thread's is the callback of an event on
 * stf_update_fd() (a process started as the new version calls it from
 * main, then runs the loop of the base it received); each worker loops
 * over event_base_loop(EVLOOP_ONCE) with stf_update_fd() registered on
 * its base to wake it, its update point at the top of that loop.
 *
 * Release 2 (2/evworker.c) grows the client's peer name array and adds
 * members in front of its event, and adds members in front of the
 * events of struct server and in the middle of struct worker.
 *
 * Usage: evworker PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include <stf.h>

#define EVWORKER_VERSION "evworker-1"
#define NWORKERS 2
#define NBUCKETS 512
#define INBUF 1024

/* ---- The shared store. ---- */

struct item {
	struct item *next;
	char *key;
	char *value;
};

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static struct item *buckets[NBUCKETS];
static unsigned long nkeys;

static unsigned hash_key(const char *s)
{
	unsigned h = 0;

	while (*s)
		h = h * 31 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct item **find(const char *key)
{
	struct item **link = &buckets[hash_key(key)];

	while (*link && strcmp((*link)->key, key) != 0)
		link = &(*link)->next;
	return link;
}

/* ---- Threads and clients. ---- */

struct client;

struct worker {
	pthread_t thread;
	int id;
	struct event_base *base;
	int notify[2];               /* the main thread writes fds to [1] */
	struct event notify_ev;
	struct event update_ev;
	struct client *clients;
	unsigned long nclients;
	int quit;
};

struct client {
	char peer[24];               /* "main#n" or "w<id>#n" */
	int fd;
	struct worker *owner;        /* NULL: served by the main thread */
	unsigned long requests;
	struct event read_ev;
	struct client *next, *prev;  /* on its owner's list */
	size_t in_len;
	char in[INBUF];
};

static struct server {
	int listen_fd;
	unsigned long accepted;
	unsigned long signals;       /* SIGUSR1 received */
	unsigned long ticks;
	struct event_base *base;
	struct event accept_ev;
	struct event signal_ev;
	struct event tick_ev;
	struct event update_ev;
	struct client *clients;      /* the main thread's */
	unsigned long nclients;
} srv = { .listen_fd = -1 };

static struct worker workers[NWORKERS];

/* The list a client is on, and its counter (each touched only by the
 * client's own thread). */
static struct client **list_of(struct client *c, unsigned long **count)
{
	if (c->owner) {
		*count = &c->owner->nclients;
		return &c->owner->clients;
	}
	*count = &srv.nclients;
	return &srv.clients;
}

static void reply(struct client *c, const char *text)
{
	size_t n = strlen(text);

	if (write(c->fd, text, n) != (ssize_t)n)
		fprintf(stderr, "evworker: short write to %s\n", c->peer);
}

static const char *verify(void)
{
	static char why[200];
	unsigned long keys = 0;

	for (int b = 0; b < NBUCKETS; b++)
		for (struct item *it = buckets[b]; it; it = it->next) {
			keys++;
			if (hash_key(it->key) != (unsigned)b) {
				snprintf(why, sizeof why, "'%s' not in its bucket", it->key);
				return why;
			}
		}
	if (keys != nkeys)
		return "key counter";
	if (!event_initialized(&srv.tick_ev) || !event_pending(&srv.tick_ev, EV_TIMEOUT, NULL))
		return "the housekeeping timer is not pending";
	if (!event_pending(&srv.signal_ev, EV_SIGNAL, NULL))
		return "the SIGUSR1 event is not pending";
	return NULL;
}

static unsigned long all_clients(void)
{
	unsigned long n = srv.nclients;

	for (int i = 0; i < NWORKERS; i++)
		n += __atomic_load_n(&workers[i].nclients, __ATOMIC_RELAXED);
	return n;
}

static void request(struct client *c, char *line)
{
	char out[INBUF + 64];
	char *save, *cmd = strtok_r(line, " ", &save), *key = strtok_r(NULL, " ", &save);
	char *rest = strtok_r(NULL, "", &save);
	struct item **link, *it;

	c->requests++;
	if (!cmd) {
		snprintf(out, sizeof out, "ERR empty\n");
	} else if (strcmp(cmd, "SET") == 0 && key && rest) {
		pthread_mutex_lock(&store_lock);
		link = find(key);
		if ((it = *link)) {
			free(it->value);
		} else {
			it = calloc(1, sizeof *it);
			it->key = strdup(key);
			*link = it;
			nkeys++;
		}
		it->value = strdup(rest);
		pthread_mutex_unlock(&store_lock);
		snprintf(out, sizeof out, "OK\n");
	} else if (strcmp(cmd, "GET") == 0 && key) {
		pthread_mutex_lock(&store_lock);
		if ((it = *find(key)))
			snprintf(out, sizeof out, "VALUE %s\n", it->value);
		else
			snprintf(out, sizeof out, "NONE\n");
		pthread_mutex_unlock(&store_lock);
	} else if (strcmp(cmd, "DEL") == 0 && key) {
		pthread_mutex_lock(&store_lock);
		link = find(key);
		if ((it = *link)) {
			*link = it->next;
			free(it->key);
			free(it->value);
			free(it);
			nkeys--;
		}
		pthread_mutex_unlock(&store_lock);
		snprintf(out, sizeof out, it ? "OK\n" : "NONE\n");
	} else if (strcmp(cmd, "VERSION") == 0) {
		snprintf(out, sizeof out, "VERSION " EVWORKER_VERSION "\n");
	} else if (strcmp(cmd, "STATS") == 0) {
		snprintf(out, sizeof out, "STATS signals=%lu ticks=%lu clients=%lu\n",
			 srv.signals, srv.ticks, all_clients());
	} else if (strcmp(cmd, "VERIFY") == 0) {
		const char *why;

		pthread_mutex_lock(&store_lock);
		why = verify();
		if (why)
			snprintf(out, sizeof out, "VERIFY bad %s\n", why);
		else
			snprintf(out, sizeof out, "VERIFY ok keys=%lu clients=%lu\n", nkeys,
				 all_clients());
		pthread_mutex_unlock(&store_lock);
	} else {
		snprintf(out, sizeof out, "ERR bad request\n");
	}
	reply(c, out);
}

static void client_close(struct client *c)
{
	unsigned long *count;
	struct client **head = list_of(c, &count);

	event_del(&c->read_ev);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	__atomic_fetch_sub(count, 1, __ATOMIC_RELAXED);
	free(c);
}

static void on_client_read(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	ssize_t r = read(fd, c->in + c->in_len, sizeof c->in - c->in_len);
	char *nl;

	(void)what;
	if (r <= 0) {
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		client_close(c);
		return;
	}
	c->in_len += r;
	while ((nl = memchr(c->in, '\n', c->in_len))) {
		size_t n = nl - c->in + 1;

		*nl = '\0';
		request(c, c->in);
		c->in_len -= n;
		memmove(c->in, c->in + n, c->in_len);
	}
	if (c->in_len == sizeof c->in)
		client_close(c);
}

/* Start serving FD on BASE, owned by W (NULL: the main thread). */
static void client_start(int fd, struct worker *w, unsigned long serial)
{
	struct client *c = calloc(1, sizeof *c);
	unsigned long *count;
	struct client **head;

	if (!c)
		abort();
	c->fd = fd;
	c->owner = w;
	if (w)
		snprintf(c->peer, sizeof c->peer, "w%d#%lu", w->id, serial);
	else
		snprintf(c->peer, sizeof c->peer, "main#%lu", serial);
	head = list_of(c, &count);
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
	__atomic_fetch_add(count, 1, __ATOMIC_RELAXED);
	event_assign(&c->read_ev, w ? w->base : srv.base, fd, EV_READ | EV_PERSIST,
		     on_client_read, c);
	event_add(&c->read_ev, NULL);
}

/* A worker's pipe: a descriptor handed over by the main thread. */
static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int cfd;

	(void)what;
	while (read(fd, &cfd, sizeof cfd) == sizeof cfd)
		client_start(cfd, w, (unsigned long)cfd);
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	int cfd = accept(fd, NULL, NULL), one = 1;
	unsigned long serial;

	(void)what, (void)arg;
	if (cfd < 0)
		return;
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	serial = __atomic_add_fetch(&srv.accepted, 1, __ATOMIC_RELAXED);
	if (serial % 3 == 0) {
		client_start(cfd, NULL, serial);
	} else {
		struct worker *w = &workers[serial % NWORKERS];

		if (write(w->notify[1], &cfd, sizeof cfd) != sizeof cfd)
			close(cfd);
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what, (void)arg;
	srv.signals++;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	srv.ticks++;
}

/* stf_update_fd() is readable: an update is pending. */
static void on_update(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	stf_update_point();
}

/* A worker's stf_update_fd() event: only wakes its loop. */
static void on_worker_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!w->quit) {
		stf_update_point();
		event_base_loop(w->base, EVLOOP_ONCE);
	}
	return NULL;
}

static void start_worker(struct worker *w, int id)
{
	w->id = id;
	w->base = event_base_new();
	if (!w->base || pipe(w->notify) < 0) {
		fprintf(stderr, "evworker: cannot set up worker %d\n", id);
		exit(1);
	}
	evutil_make_socket_nonblocking(w->notify[0]);
	event_assign(&w->notify_ev, w->base, w->notify[0], EV_READ | EV_PERSIST, on_notify, w);
	event_add(&w->notify_ev, NULL);
	event_assign(&w->update_ev, w->base, stf_update_fd(), EV_READ | EV_PERSIST,
		     on_worker_wake, w);
	event_add(&w->update_ev, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		fprintf(stderr, "evworker: cannot start worker %d\n", id);
		exit(1);
	}
}

static void start(const char *port_file)
{
	static const struct timeval tick = { 0, 200000 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	FILE *f;

	srv.base = event_base_new();
	srv.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (!srv.base || srv.listen_fd < 0 ||
	    bind(srv.listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(srv.listen_fd, 128) < 0 ||
	    getsockname(srv.listen_fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("evworker: listen");
		exit(1);
	}
	evutil_make_socket_nonblocking(srv.listen_fd);
	event_assign(&srv.accept_ev, srv.base, srv.listen_fd, EV_READ | EV_PERSIST, on_accept, NULL);
	event_add(&srv.accept_ev, NULL);
	evsignal_assign(&srv.signal_ev, srv.base, SIGUSR1, on_signal, NULL);
	evsignal_add(&srv.signal_ev, NULL);
	event_assign(&srv.tick_ev, srv.base, -1, EV_PERSIST, on_tick, NULL);
	evtimer_add(&srv.tick_ev, &tick);
	event_assign(&srv.update_ev, srv.base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL);
	event_add(&srv.update_ev, NULL);
	for (int i = 0; i < NWORKERS; i++)
		start_worker(&workers[i], i);
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f) != 0) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: evworker PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating())
		start(argv[1]);
	else
		/* The new version of an update: its state arrives here. */
		on_update(stf_update_fd(), EV_READ, NULL);
	event_base_dispatch(srv.base);
	fprintf(stderr, "evworker: the event loop ended\n");
	return 1;
}
