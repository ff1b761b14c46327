/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cb11-fntab.c: struct conn and struct job gain members. */
#include "xt.h"

struct conn {
	int fd;
	int prio;
	unsigned long started;
	unsigned long hits;
	char name[16];
};

struct job {
	unsigned flags;
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
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 2; i++) {
		struct conn *c = ctxs[i];
		struct job *j = jobs[i];
		struct stf_object_info info;
		char want[16];
		snprintf(want, sizeof(want), "conn%d", i);
		CHECK(stf_lookup(c, &info) == 0 && info.size >= sizeof(*c));
		CHECK(c->fd == 10 + i && c->hits == 101u + i && !strcmp(c->name, want));
		CHECK(c->prio == 0 && c->started == 0);
		CHECK(stf_lookup(j, &info) == 0 && info.size >= sizeof(*j));
		CHECK(j->id == 1000 + i && j->runs == 1 && j->flags == 0);
		c = deferred[i];
		CHECK(stf_lookup(c, &info) == 0 && info.size >= sizeof(*c));
		CHECK(c->fd == 10 + i && c->hits == 100u + i && !strcmp(c->name, want));
		CHECK(c->prio == 0 && c->started == 0);
		c = touched[i];
		CHECK(stf_lookup(c, &info) == 0 && info.size >= sizeof(*c));
		CHECK(c->fd == 0 && c->hits == 1 && c->prio == 0 && c->started == 0);
	}
	XT_V2_RESULT();
}
