/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Per-command state behind `void *priv` (calloc(1, cmd->priv_size)),
 * three structs of one size (48 bytes), so the size does not tell them
 * apart: the row's handler does, but each handler reaches priv only
 * through a helper: cmd_get calls stats_of(cmd), which returns cmd->priv
 * as a struct read_stats, cmd_set calls log_append(cmd->priv, key), whose
 * parameter is a struct write_log, and cmd_del uses as a struct del_count
 * what state_of(cmd) returns as a `void *`.  Version 2 grows all three:
 * each block must arrive as version 2's struct of its row, or the update
 * must refuse. */
#include <string.h>
#include "xt.h"

struct read_stats {
	unsigned long hits, misses;
	char last_key[32];
};

struct write_log {
	unsigned long writes;
	unsigned next;
	void *last[4];
};

struct del_count {
	unsigned long deleted, last;
	char who[32];
};

struct command;
typedef void handler_fn(struct command *cmd, const char *key);

struct command {
	const char *name;
	handler_fn *fn;
	size_t priv_size;
	void *priv;
};

static struct read_stats *stats_of(struct command *cmd)
{
	return cmd->priv;
}

static void *state_of(struct command *cmd)
{
	return cmd->priv;
}

static void log_append(struct write_log *log, const char *key)
{
	log->last[log->next] = (void *)key;
	log->next = (log->next + 1) % 4;
	log->writes++;
}

static void cmd_get(struct command *cmd, const char *key)
{
	struct read_stats *st = stats_of(cmd);
	st->hits++;
	snprintf(st->last_key, sizeof st->last_key, "%s", key);
}

static void cmd_set(struct command *cmd, const char *key)
{
	log_append(cmd->priv, key);
}

static void cmd_del(struct command *cmd, const char *key)
{
	struct del_count *dc = state_of(cmd);
	dc->deleted++;
	dc->last = dc->deleted;
	snprintf(dc->who, sizeof dc->who, "%s", key);
}

static struct command commands[] = {
	{ .name = "GET", .fn = cmd_get, .priv_size = sizeof(struct read_stats) },
	{ .name = "SET", .fn = cmd_set, .priv_size = sizeof(struct write_log) },
	{ .name = "DEL", .fn = cmd_del, .priv_size = sizeof(struct del_count) },
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
	dispatch("DEL", "delta");
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
