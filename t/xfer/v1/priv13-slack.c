/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Two structs behind one `void *priv` of a command table, made by
 * calloc(1, cmd->priv_size) and dispatched by a switch on the row's kind
 * (no handler in the row): statistics (40 bytes) and a log (88) with 24
 * bytes of text after it (`(char *)(log + 1)`, not a flexible array
 * member): a block of 112 bytes, no whole number of either struct, which
 * only the log's struct and a tail shorter than another can be.
 * Version 2 grows both: the log's block must arrive as version 2's log
 * with its text after it. */
#include <string.h>
#include "xt.h"

#ifndef LOG_TEXT /* 32: a block of 120 bytes, three struct read_stats too */
#define LOG_TEXT 24
#endif

struct read_stats {
	unsigned long hits;
	char last_key[32];
};

struct write_log {
	unsigned long writes;
	unsigned next;
	const char *last[9];
};

enum kind { READ, WRITE };

struct command {
	const char *name;
	enum kind kind;
	size_t priv_size;
	void *priv;
};

static void do_get(struct command *cmd, const char *key)
{
	struct read_stats *st = cmd->priv;
	st->hits++;
	snprintf(st->last_key, sizeof st->last_key, "%s", key);
}

static void do_set(struct command *cmd, const char *key)
{
	struct write_log *log = cmd->priv;
	char *text = (char *)(log + 1);
	log->last[log->next] = key;
	log->next = (log->next + 1) % 9;
	log->writes++;
	snprintf(text, LOG_TEXT, "set %s", key);
}

static struct command commands[] = {
	{ .name = "GET", .kind = READ, .priv_size = sizeof(struct read_stats) },
	{ .name = "SET", .kind = WRITE, .priv_size = sizeof(struct write_log) + LOG_TEXT },
};

static void dispatch(const char *name, const char *key)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		struct command *cmd = &commands[i];
		if (strcmp(cmd->name, name))
			continue;
		if (!cmd->priv)
			cmd->priv = calloc(1, cmd->priv_size);
		switch (cmd->kind) {
		case READ:
			do_get(cmd, key);
			break;
		case WRITE:
			do_set(cmd, key);
			break;
		}
	}
}

static __attribute__((noinline)) void init(void)
{
	dispatch("GET", "alpha");
	dispatch("SET", "beta");
	dispatch("SET", "gamma");
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
