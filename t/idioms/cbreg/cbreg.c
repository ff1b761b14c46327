/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cbreg - a key-value server whose epoll loop dispatches through a
 * callback registry indexed by descriptor, `struct watch { void (*fn)(void
 * *); void *arg; }`, grown by realloc, an idiom test server of ttst
 * (t/idioms/cbreg.sh) combining what real servers do together:
 *   - the registry's arguments are connections and a ticker made by one
 *     generic constructor (watch_new: `void *obj = xcalloc(size)`), of one
 *     size in each release, told apart only by the callback next to them;
 *     the listener's and the update descriptor's arguments are integers
 *     (the listening descriptor, an enum tag) cast to `void *`;
 *   - a closed connection's slot keeps its stale `arg` (fn NULL) until a
 *     new connection on that descriptor reuses it;
 *   - every block comes from a size-prefixing wrapper (xmalloc: the size
 *     in 16 bytes before the pointer returned), STF_ALLOCATOR;
 *   - a value is raw bytes behind a `void *`, or a small number kept in
 *     the pointer itself (odd: n * 2 + 1), as interpreters tag integers;
 *   - a mutable command table (call counts) that gains a command (STATS)
 *     in release 2.
 * Release 2 grows the connection and the ticker (one member each, in the
 * middle and at the start).  The update point is at the top of the loop,
 * stf_update_fd() in the registry.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * TICKS -> TICKS n, CALLS -> CALLS sets gets, VERSION, VERIFY; release 2:
 * STATS -> STATS commands n (its own entry's calls included).
 * Usage: cbreg PORT-FILE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <stf.h>
#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

#define NBUCKETS 1024
#define INBUF 1024
#define XHDR 16 /* keeps the blocks returned 16-byte aligned */
#define MAX_TAGGED 1000000L

/* The wrapper every block comes from: its size before it. */
STF_ALLOCATOR void *xmalloc(size_t size);
STF_ALLOCATOR void *xcalloc(size_t size);
void xfree(void *p);
static size_t used_bytes;

void *xmalloc(size_t size)
{
	char *p = malloc(size + XHDR);

	if (!p) {
		fprintf(stderr, "cbreg: out of memory\n");
		abort();
	}
	*(size_t *)p = size;
	used_bytes += size;
	return p + XHDR;
}

void *xcalloc(size_t size)
{
	return memset(xmalloc(size), 0, size);
}

static size_t xsize(const void *p)
{
	return *(const size_t *)((const char *)p - XHDR);
}

void xfree(void *p)
{
	if (!p)
		return;
	used_bytes -= xsize(p);
	free((char *)p - XHDR);
}

/* The registry: what runs when descriptor i is readable. */
struct watch {
	void (*fn)(void *arg);
	void *arg;
};

static struct watch *watches;
static size_t nwatches; /* slots, some of them closed (fn NULL) */

enum source { SOURCE_LISTENER = 1, SOURCE_UPDATE = 2 };

struct conn {
	int fd;
#if REL >= 2
	unsigned long reads; /* new in 2 */
#endif
	unsigned requests;
	size_t inlen;
	char *in;
};

struct ticker {
#if REL >= 2
	long late; /* new in 2 */
#endif
	int fd;
	unsigned period_ms;
	unsigned long ticks;
	long started;
};

struct entry {
	struct entry *next;
	char *key;
	void *val; /* raw bytes (their length in vlen), or a number: odd */
	size_t vlen;
};

struct command {
	const char *name;
	int argc;
	void (*run)(struct conn *c, char **av);
	unsigned long calls;
};

static struct entry *buckets[NBUCKETS];
static unsigned long nentries;
static int epfd = -1, listen_fd = -1;
static struct ticker *ticker;
static unsigned long accepted, closed;

#include "../line-conn.h"

static void watch_set(int fd, void (*fn)(void *), void *arg)
{
	if ((size_t)fd >= nwatches) {
		size_t n = nwatches ? nwatches : 16;
		while (n <= (size_t)fd)
			n *= 2;
		watches = realloc(watches, n * sizeof(*watches));
		memset(watches + nwatches, 0, (n - nwatches) * sizeof(*watches));
		nwatches = n;
	}
	watches[fd].fn = fn;
	watches[fd].arg = arg;
}

/* A watched object of size bytes whose first member is its descriptor. */
static void *watch_new(int fd, size_t size, void (*fn)(void *))
{
	void *obj = xcalloc(size);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)fd };

	watch_set(fd, fn, obj);
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
	return obj;
}

static void watch_int(int fd, void (*fn)(void *), intptr_t value)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)fd };

	watch_set(fd, fn, (void *)value);
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static unsigned hash(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct entry **find(const char *key)
{
	struct entry **pp = &buckets[hash(key)];

	while (*pp && strcmp((*pp)->key, key))
		pp = &(*pp)->next;
	return pp;
}

static int tagged(const void *val)
{
	return (uintptr_t)val & 1;
}

static void value_free(struct entry *e)
{
	if (!tagged(e->val))
		xfree(e->val);
}

/* A number 0 <= n < MAX_TAGGED written plainly is kept in the pointer. */
static void value_set(struct entry *e, const char *text)
{
	char *end;
	long n = strtol(text, &end, 10);
	size_t len = strlen(text);

	if (*text >= '0' && *text <= '9' && !*end && n < MAX_TAGGED && (text[0] != '0' || len == 1)) {
		e->val = (void *)(uintptr_t)(n * 2 + 1);
		e->vlen = 0;
		return;
	}
	e->val = xmalloc(len);
	memcpy(e->val, text, len);
	e->vlen = len;
}

static void cmd_set(struct conn *c, char **av)
{
	struct entry **pp = find(av[1]), *e = *pp;

	if (e) {
		value_free(e);
	} else {
		size_t klen = strlen(av[1]) + 1;
		e = xcalloc(sizeof *e);
		e->key = memcpy(xmalloc(klen), av[1], klen);
		*pp = e;
		nentries++;
	}
	value_set(e, av[2]);
	reply(c, "OK\n");
}

static void cmd_get(struct conn *c, char **av)
{
	struct entry *e = *find(av[1]);

	if (!e)
		reply(c, "NONE\n");
	else if (tagged(e->val))
		reply(c, "VALUE %ld\n", (long)((uintptr_t)e->val >> 1));
	else
		reply(c, "VALUE %.*s\n", (int)e->vlen, (const char *)e->val);
}

static void cmd_del(struct conn *c, char **av)
{
	struct entry **pp = find(av[1]), *e = *pp;

	if (!e) {
		reply(c, "NONE\n");
		return;
	}
	*pp = e->next;
	value_free(e);
	xfree(e->key);
	xfree(e);
	nentries--;
	reply(c, "OK\n");
}

static void cmd_version(struct conn *c, char **av)
{
	(void)av;
	reply(c, "VERSION cbreg %d\n", REL);
}

static void cmd_ticks(struct conn *c, char **av)
{
	(void)av;
	reply(c, "TICKS %lu\n", ticker->ticks);
}

static void cmd_calls(struct conn *c, char **av);
static void cmd_verify(struct conn *c, char **av);
#if REL >= 2
static void cmd_stats(struct conn *c, char **av);
#endif

static struct command commands[] = {
	{ "SET", 3, cmd_set, 0 },
	{ "GET", 2, cmd_get, 0 },
	{ "DEL", 2, cmd_del, 0 },
	{ "VERSION", 1, cmd_version, 0 },
	{ "VERIFY", 1, cmd_verify, 0 },
	{ "TICKS", 1, cmd_ticks, 0 },
	{ "CALLS", 1, cmd_calls, 0 },
#if REL >= 2
	{ "STATS", 1, cmd_stats, 0 },
#endif
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void cmd_calls(struct conn *c, char **av)
{
	(void)av;
	reply(c, "CALLS %lu %lu\n", commands[0].calls, commands[1].calls);
}

#if REL >= 2
static void cmd_stats(struct conn *c, char **av)
{
	(void)av;
	reply(c, "STATS commands %zu %s %lu\n", NCOMMANDS, commands[NCOMMANDS - 1].name,
	      commands[NCOMMANDS - 1].calls);
}
#endif

static void on_conn(void *arg);
static void on_tick(void *arg);

/* Every entry in its bucket, every value's block as long as it says, every
 * open slot's argument what its callback takes. */
static void cmd_verify(struct conn *c, char **av)
{
	unsigned long n = 0, open = 0;
	struct entry *e;

	(void)av;
	for (int b = 0; b < NBUCKETS; b++)
		for (e = buckets[b]; e; e = e->next) {
			if (hash(e->key) != (unsigned)b || xsize(e->key) != strlen(e->key) + 1 ||
			    (!tagged(e->val) && xsize(e->val) != e->vlen)) {
				reply(c, "VERIFY bad entry %s\n", e->key);
				return;
			}
			n++;
		}
	if (n != nentries) {
		reply(c, "VERIFY bad count %lu/%lu\n", n, nentries);
		return;
	}
	for (size_t fd = 0; fd < nwatches; fd++) {
		struct watch *w = &watches[fd];
		if (w->fn == on_conn) {
			struct conn *k = w->arg;
			if (k->fd != (int)fd || xsize(k) != sizeof *k || xsize(k->in) != INBUF ||
			    k->inlen >= INBUF) {
				reply(c, "VERIFY bad connection %zu\n", fd);
				return;
			}
			open++;
		} else if (w->fn == on_tick) {
			struct ticker *t = w->arg;
			if (t != ticker || t->fd != (int)fd || xsize(t) != sizeof *t || t->period_ms != 50) {
				reply(c, "VERIFY bad ticker %zu\n", fd);
				return;
			}
		} else if (w->fn && w->arg != (void *)(intptr_t)listen_fd &&
			   w->arg != (void *)(intptr_t)SOURCE_UPDATE) {
			reply(c, "VERIFY bad slot %zu\n", fd);
			return;
		}
	}
	if (open != accepted - closed || strcmp(commands[NCOMMANDS - 1].name, REL >= 2 ? "STATS" : "CALLS")) {
		reply(c, "VERIFY bad registry %lu/%lu\n", open, accepted - closed);
		return;
	}
	reply(c, "VERIFY ok entries=%lu conns=%lu ticks=%lu bytes=%zu\n", n, open, ticker->ticks, used_bytes);
}

static void command(struct conn *c, char *line)
{
	char *av[4] = { 0 }, *p = line;
	int ac = 0;

	c->requests++;
	while (ac < 4 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	for (size_t i = 0; ac && i < NCOMMANDS; i++)
		if (!strcmp(av[0], commands[i].name) && ac == commands[i].argc) {
			commands[i].calls++;
			commands[i].run(c, av);
			return;
		}
	reply(c, "ERROR unknown\n");
}

static void on_conn(void *arg)
{
	struct conn *c = arg;

	if (read_lines(c, c->in, &c->inlen, INBUF, command) < 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		watches[c->fd].fn = NULL; /* arg left: the slot is closed */
		xfree(c->in);
		xfree(c);
		closed++;
		return;
	}
#if REL >= 2
	c->reads++;
#endif
}

static void on_listener(void *arg)
{
	int fd = accept4((int)(intptr_t)arg, NULL, NULL, SOCK_NONBLOCK);
	struct conn *c;

	if (fd < 0)
		return;
	c = watch_new(fd, sizeof *c, on_conn);
	c->fd = fd;
	c->in = xmalloc(INBUF);
	accepted++;
}

static void on_tick(void *arg)
{
	struct ticker *t = arg;
	uint64_t n;

	if (read(t->fd, &n, sizeof n) == sizeof n)
		t->ticks += n;
}

static void on_update(void *arg)
{
	/* the loop's top takes the update */
	if ((enum source)(intptr_t)arg != SOURCE_UPDATE)
		abort();
}

static void start(const char *port_file)
{
	struct itimerspec period = { { 0, 50000000 }, { 0, 50000000 } };
	int tfd;

	epfd = epoll_create1(0);
	listen_fd = listen_loopback("cbreg", SOCK_STREAM | SOCK_NONBLOCK, port_file);
	watch_int(listen_fd, on_listener, listen_fd);
	watch_int(stf_update_fd(), on_update, SOURCE_UPDATE);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (epfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &period, NULL) < 0) {
		perror("cbreg: epoll or timerfd");
		exit(1);
	}
	ticker = watch_new(tfd, sizeof *ticker, on_tick);
	ticker->fd = tfd;
	ticker->period_ms = 50;
	ticker->started = (long)time(NULL);
}

int main(int argc, char **argv)
{
	struct epoll_event evs[32];

	if (argc != 2) {
		fprintf(stderr, "usage: cbreg PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating())
		start(argv[1]);
	for (;;) {
		stf_update_point();
		int n = epoll_wait(epfd, evs, 32, 1000);
		for (int i = 0; i < n; i++) {
			uint32_t fd = evs[i].data.u32;
			if (fd < nwatches && watches[fd].fn)
				watches[fd].fn(watches[fd].arg);
		}
	}
}
