/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * poolcycle: cycle.c's server with its cycle carved out of a pool, as
 * nginx's: ngx_init_cycle() creates the cycle's pool (one big block that
 * ngx_memalign, an STF_ALLOCATOR, returns), and ngx_pcalloc (another)
 * hands out the cycle itself, its configuration and its name from inside
 * it; `ngx_cycle` points into the pool block, and main's local and the
 * loop's parameter (ngx_single_process_cycle(cycle)) keep the startup's
 * cycle.  The pool's header points into the cycle it holds, as nginx's
 * (`pool->log = &cycle->new_log`), and the server logs through it.  The
 * transfer keeps the old pool block as an untyped container (its words
 * past the header are the pool's own), so the old cycle cannot simply go
 * into the startup's block; unless it goes into the startup's cycle, the
 * loop goes on with the startup's fresh cycle and every update leaves a
 * pool behind, and the log file each cycle opens.  Untyped, the header's
 * `log` would keep the old cycle where it is: it is typed by its
 * allocation site (`struct pool *p = pool_memalign(...)`).
 * One request per connection:
 *   hit         count a request in the loop's cycle,
 *               log it                                    -> "ok"
 *   stats       hits as the loop's cycle and `current`
 *               count them, whether both are one cycle,
 *               the cycle's generation, the lines logged
 *               through the pool's header, the greeting   -> "H C SAME G L GREETING"
 *   greet G     set the greeting                          -> "ok"
 *   reload      a new cycle (and pool) made from the
 *               loop's one, the old pool destroyed        -> "ok"
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>
#include "../listener.h"

/* ---- an nginx-style pool: one block, objects carved out of it ---- */
#define POOL_SIZE 4096

struct log {
	int fd;
	long lines;
};

struct pool {
	char *last, *end; /* free space */
	struct pool *current;
	int failed;
	struct log *log; /* as ngx_pool_t's: the cycle's own log */
};

STF_ALLOCATOR __attribute__((alloc_size(2))) void *pool_memalign(size_t alignment, size_t size);
STF_ALLOCATOR void *pool_alloc(struct pool *pool, size_t size);
STF_ALLOCATOR void *pool_calloc(struct pool *pool, size_t size);

void *pool_memalign(size_t alignment, size_t size)
{
	void *p;
	return posix_memalign(&p, alignment, size) ? NULL : p;
}

static struct pool *pool_create(void)
{
	struct pool *p = pool_memalign(16, POOL_SIZE);
	if (!p)
		return NULL;
	p->last = (char *)(p + 1);
	p->end = (char *)p + POOL_SIZE;
	p->current = p;
	p->failed = 0;
	p->log = NULL;
	return p;
}

void *pool_alloc(struct pool *pool, size_t size)
{
	char *m = (char *)(((uintptr_t)pool->last + 15) & ~(uintptr_t)15);
	if ((size_t)(pool->end - m) < size)
		return NULL;
	pool->last = m + size;
	return m;
}

void *pool_calloc(struct pool *pool, size_t size)
{
	void *m = pool_alloc(pool, size);
	if (m)
		memset(m, 0, size);
	return m;
}

static char *pool_strdup(struct pool *pool, const char *s)
{
	char *d = pool_alloc(pool, strlen(s) + 1);
	if (d)
		strcpy(d, s);
	return d;
}

/* ---- the cycle ---- */
struct conf {
	char greeting[32];
	int backlog;
};

struct cycle {
	struct pool *pool;
	struct conf *conf;
	struct log new_log; /* the log, opened by each cycle */
	int last;   /* the descriptor of the last request */
	long hits;
	int generation;
	char *name;
};

struct cycle *volatile current; /* as ngx_cycle */
static char log_path[108];

static struct cycle *init_cycle(const struct cycle *old)
{
	struct pool *pool = pool_create();
	if (!pool)
		return NULL;
	struct cycle *c = pool_calloc(pool, sizeof *c);
	if (!c)
		return NULL;
	c->pool = pool;
	c->conf = pool_calloc(pool, sizeof *c->conf);
	c->name = pool_strdup(pool, old ? old->name : "startup");
	c->new_log.fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (!c->conf || !c->name || c->new_log.fd < 0)
		return NULL;
	pool->log = &c->new_log; /* nginx: pool->log = &cycle->new_log */
	snprintf(c->conf->greeting, sizeof c->conf->greeting, "%s",
		 old ? old->conf->greeting : "hello");
	c->conf->backlog = 16;
	c->hits = old ? old->hits : 1000;
	c->new_log.lines = old ? old->new_log.lines : 0;
	c->generation = old ? old->generation + 1 : 1;
	current = c;
	return c;
}

static void free_cycle(struct cycle *c)
{
	close(c->new_log.fd);
	free(c->pool); /* the cycle with it */
}

static void handle(int fd, struct cycle **cyclep)
{
	struct cycle *cycle = *cyclep;
	char buf[256], out[256];

	if (read_request(fd, buf, sizeof buf) <= 0)
		return;
	cycle->last = fd;
	if (!strncmp(buf, "hit", 3)) {
		cycle->hits++;
		/* through the pool's header, as nginx logs */
		struct log *log = cycle->pool->log;
		log->lines++;
		dprintf(log->fd, "hit %ld\n", cycle->hits);
		snprintf(out, sizeof out, "ok\n");
	} else if (!strncmp(buf, "stats", 5)) {
		snprintf(out, sizeof out, "%ld %ld %d %d %ld %s\n", cycle->hits, current->hits,
			 cycle == current, cycle->generation, cycle->new_log.lines,
			 cycle->conf->greeting);
	} else if (!strncmp(buf, "greet ", 6)) {
		snprintf(cycle->conf->greeting, sizeof cycle->conf->greeting, "%.31s", buf + 6);
		snprintf(out, sizeof out, "ok\n");
	} else if (!strncmp(buf, "reload", 6)) {
		struct cycle *fresh = init_cycle(cycle);
		if (fresh) {
			free_cycle(cycle);
			*cyclep = fresh;
		}
		snprintf(out, sizeof out, fresh ? "ok\n" : "error\n");
	} else {
		snprintf(out, sizeof out, "error\n");
	}
	write_reply(fd, out);
}

/* The loop keeps the cycle it was given in its parameter. */
static __attribute__((noinline)) int serve(struct cycle *cycle, int lfd)
{
	for (;;) {
		stf_update_point();
		int c = accept(lfd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("poolcycle: accept");
			return 1;
		}
		handle(c, &cycle);
		close(c);
	}
}

int main(int argc, char **argv)
{
	static int lfd = -1;
	struct cycle *cycle;

	if (argc != 2) {
		fprintf(stderr, "usage: poolcycle SOCKET\n");
		return 2;
	}
	snprintf(log_path, sizeof log_path, "%s.log", argv[1]);
	cycle = init_cycle(NULL);
	if (!cycle) {
		perror("poolcycle: init");
		return 1;
	}
	if (!stf_is_updating())
		lfd = listen_at("poolcycle", argv[1], SOCK_STREAM, cycle->conf->backlog);
	int rc = serve(cycle, lfd);
	free_cycle(cycle); /* main's local stays live across the loop */
	return rc;
}
