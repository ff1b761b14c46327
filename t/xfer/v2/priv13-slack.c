/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of priv13-slack.c: both private structs grow. */
#include <string.h>
#include "xt.h"

#ifndef LOG_TEXT /* 32: a block of 120 bytes, three struct read_stats too */
#define LOG_TEXT 24
#endif

struct read_stats {
	unsigned long hits;
	char last_key[48];
};

struct write_log {
	unsigned long writes;
	unsigned next;
	const char *last[9];
	unsigned long bytes; /* new in 2 */
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
	XT_V2_RECEIVE(init);
	struct read_stats *st = commands[0].priv;
	struct write_log *log = commands[1].priv;
	CHECK(st && st->hits == 1 && !strcmp(st->last_key, "alpha"));
	CHECK(log && log->writes == 2 && log->bytes == 0 && log->next == 2 &&
	      !strcmp(log->last[0], "beta") && !strcmp(log->last[1], "gamma"));
	CHECK(log && !strcmp((char *)(log + 1), "set gamma"));
	XT_V2_RESULT();
}
