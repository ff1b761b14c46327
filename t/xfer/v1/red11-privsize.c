/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A command table whose entries carry the size of their private state and
 * a `void *priv` made by calloc(1, cmd->priv_size) (t/idioms/privtab): the
 * readers' statistics and the writers' log, two structs of different
 * sizes behind one member, cast back by the handlers.  Version 2 grows
 * both: each block must arrive as version 2's struct of its size, or the
 * update must refuse naming it. */
#include <string.h>
#include "xt.h"

struct read_stats {
	unsigned long hits, misses;
	char last_key[32];
};

struct write_log {
	unsigned long writes;
	unsigned next;
	void *last[8];
};

struct command;
typedef void handler_fn(struct command *cmd, const char *key);

struct command {
	const char *name;
	handler_fn *fn;
	size_t priv_size;
	void *priv;
};

static void cmd_get(struct command *cmd, const char *key)
{
	struct read_stats *st = cmd->priv;
	st->hits++;
	snprintf(st->last_key, sizeof st->last_key, "%s", key);
}

static void cmd_set(struct command *cmd, const char *key)
{
	struct write_log *log = cmd->priv;
	log->last[log->next] = (void *)key;
	log->next = (log->next + 1) % 8;
	log->writes++;
}

static struct command commands[] = {
	{ .name = "GET", .fn = cmd_get, .priv_size = sizeof(struct read_stats) },
	{ .name = "SET", .fn = cmd_set, .priv_size = sizeof(struct write_log) },
};

static void dispatch(const char *name, const char *key)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		struct command *cmd = &commands[i];
		if (strcmp(cmd->name, name))
			continue;
		if (!cmd->priv)
			cmd->priv = calloc(1, cmd->priv_size);
		cmd->fn(cmd, key);
	}
}

static __attribute__((noinline)) void init(void)
{
	dispatch("GET", "alpha");
	dispatch("GET", "beta");
	dispatch("SET", "gamma");
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
