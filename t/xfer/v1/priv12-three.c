/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Four structs behind one `void *priv` of a command table, made by
 * calloc(1, cmd->priv_size) and dispatched by a switch on the row's kind:
 * statistics (40 bytes), a log (88), counters (12) and a list of keys
 * ending in a flexible array member (96 and the keys: a block larger than
 * every other).  No size is whole elements of another struct, none past
 * the list's keys but the list's, in either version.  Version 2 grows all four: each block
 * is the only one its size can be (the list: the only one whose flexible
 * member it fits). */
#include <string.h>
#include "xt.h"

#ifndef LOG_SLOTS /* 3: struct write_log takes 40 bytes, like struct read_stats */
#define LOG_SLOTS 9
#endif
#ifndef KEY_LIST_OWNER /* 56: the list's 64 bytes and a tail can be 88 */
#define KEY_LIST_OWNER 88
#endif

struct read_stats {
	unsigned long hits;
	char last_key[32];
};

struct write_log {
	unsigned long writes;
	unsigned next;
	const char *last[LOG_SLOTS];
};

struct del_count {
	unsigned deleted, last, flags;
};

struct key_list {
	unsigned long n;
	char owner[KEY_LIST_OWNER];
	char keys[];
};

enum kind { READ, WRITE, DELETE, LIST };

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

static void do_del(struct command *cmd)
{
	struct del_count *dc = cmd->priv;
	dc->deleted++;
	dc->last = dc->deleted;
}

static void do_list(struct command *cmd, const char *key)
{
	struct key_list *kl = cmd->priv;
	size_t room = cmd->priv_size - sizeof(*kl), at = strlen(kl->keys);
	snprintf(kl->owner, sizeof kl->owner, "lister");
	snprintf(kl->keys + at, room - at, "%s%s", at ? "," : "", key);
	kl->n++;
}

static struct command commands[] = {
	{ .name = "GET", .kind = READ, .priv_size = sizeof(struct read_stats) },
	{ .name = "SET", .kind = WRITE, .priv_size = sizeof(struct write_log) },
	{ .name = "DEL", .kind = DELETE, .priv_size = sizeof(struct del_count) },
	{ .name = "LIST", .kind = LIST, .priv_size = sizeof(struct key_list) + 40 },
#ifdef TAIL_ROW /* a block of none of their sizes, below the list's keys */
	{ .name = "SCAN", .kind = READ, .priv_size = sizeof(struct write_log) - 3 },
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
		case DELETE:
			do_del(cmd);
			break;
		case LIST:
			do_list(cmd, key);
			break;
		}
	}
}

static __attribute__((noinline)) void init(void)
{
	dispatch("GET", "alpha");
	dispatch("SET", "beta");
	dispatch("DEL", "gamma");
	dispatch("DEL", "delta");
	dispatch("LIST", "a1");
	dispatch("LIST", "a2");
	dispatch("SCAN", "a3");
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
