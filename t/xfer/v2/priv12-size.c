/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of priv12-size.c: both private structs grow. */
#include <string.h>
#include "xt.h"

#ifndef LOG_SLOTS /* 4: struct write_log takes 48 bytes too */
#define LOG_SLOTS 8
#endif

struct read_stats {
	unsigned long hits, misses;
	char last_key[48];
};

struct write_log {
	unsigned long writes;
	unsigned next;
	const char *last[LOG_SLOTS];
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
	log->last[log->next] = key;
	log->next = (log->next + 1) % LOG_SLOTS;
	log->writes++;
}

static struct command commands[] = {
	{ .name = "GET", .kind = READ, .priv_size = sizeof(struct read_stats) },
	{ .name = "SET", .kind = WRITE, .priv_size = sizeof(struct write_log) },
#ifdef TAIL_ROW /* a block larger than both, of neither */
	{ .name = "SCAN", .kind = READ, .priv_size = sizeof(struct write_log) + 16 },
#endif
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
	dispatch("GET", "beta");
	dispatch("SET", "gamma");
	dispatch("SCAN", "delta");
}

int main(void)
{
	XT_V2_RECEIVE(init);
	struct read_stats *st = commands[0].priv;
	struct write_log *log = commands[1].priv;
	CHECK(st && st->hits == 2 && st->misses == 0 && !strcmp(st->last_key, "beta"));
	CHECK(log && log->writes == 1 && log->bytes == 0 && log->next == 1 &&
	      !strcmp(log->last[0], "gamma"));
	XT_V2_RESULT();
}
