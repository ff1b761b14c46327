/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of priv13-helper.c: both private structs grow. */
#include <string.h>
#include "xt.h"

struct read_stats {
	unsigned long hits, misses;
	char last_key[48];
};

struct write_log {
	unsigned long writes;
	unsigned next;
	void *last[4];
	unsigned long bytes; /* new in 2 */
};

struct del_count {
	unsigned long deleted, last;
	char who[40];
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
	XT_V2_RECEIVE(init);
	struct read_stats *st = commands[0].priv;
	struct write_log *log = commands[1].priv;
	CHECK(st && st->hits == 2 && st->misses == 0 && !strcmp(st->last_key, "beta"));
	CHECK(log && log->writes == 1 && log->bytes == 0 && log->next == 1 &&
	      !strcmp(log->last[0], "gamma"));
	struct del_count *dc = commands[2].priv;
	CHECK(dc && dc->deleted == 1 && dc->last == 1 && !strcmp(dc->who, "delta"));
	XT_V2_RESULT();
}
