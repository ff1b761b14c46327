/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Callbacks taken from tables of functions: blocks from sites of no type
 * (`void *ctx = malloc(sizeof(struct conn))`) are handed to a function
 * read from a static table of handlers (`tab[i].fn(ctx, i)`), to one
 * read through a static struct of operations (`ops->init(job, i)`), to
 * one of a static array of function pointers (`hooks[0](ctx)`), and to
 * a function that calls the handler it is given (`defer(tab[0].fn, ctx,
 * i)`); only those functions say what the blocks are.  Version 2 grows both
 * structs: the blocks must arrive as version 2's structs. */
#include "xt.h"

struct conn {
	int fd;
	unsigned long hits;
	char name[16];
};

struct job {
	long id;
	unsigned long runs;
};

struct handler {
	const char *name;
	void (*fn)(void *arg, int i);
};

struct job_ops {
	void (*init)(void *arg, int i);
	void (*run)(void *arg);
};

static void on_open(void *arg, int i)
{
	struct conn *c = arg;
	c->fd = 10 + i;
	c->hits = 100 + i;
	snprintf(c->name, sizeof(c->name), "conn%d", i);
}

static void on_noop(void *arg, int i)
{
	(void)arg;
	(void)i;
}

static void job_init(void *arg, int i)
{
	struct job *j = arg;
	j->id = 1000 + i;
	j->runs = 0;
}

static void job_run(void *arg)
{
	struct job *j = arg;
	j->runs++;
}

static void on_touch(void *arg)
{
	struct conn *c = arg;
	c->hits++;
}

static const struct handler tab[] = { { "open", on_open }, { "noop", on_noop } };
static const struct job_ops job_ops = { job_init, job_run };
static void (*const hooks[])(void *) = { on_touch };

static const struct job_ops *ops = &job_ops;
static void *ctxs[2], *jobs[2], *deferred[2], *touched[2];

/* runs a handler taken from the table: `defer(tab[0].fn, ctx, i)` */
static __attribute__((noinline)) void defer(void (*fn)(void *, int), void *arg, int i)
{
	fn(arg, i);
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 2; i++) {
		void *ctx = malloc(sizeof(struct conn));
		for (unsigned h = 0; h < sizeof(tab) / sizeof(tab[0]); h++)
			tab[h].fn(ctx, i);
		hooks[0](ctx);
		ctxs[i] = ctx;
		void *job = malloc(sizeof(struct job));
		ops->init(job, i);
		ops->run(job);
		jobs[i] = job;
		void *later = malloc(sizeof(struct conn));
		defer(tab[0].fn, later, i);
		deferred[i] = later;
		void *hooked = calloc(1, sizeof(struct conn));
		hooks[0](hooked);
		touched[i] = hooked;
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		if (!ctxs[1] || !jobs[1] || !deferred[1] || !touched[1])
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
