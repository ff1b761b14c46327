/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of priv12-three.c: the four private structs grow. */
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
	char last_key[48];
};

struct write_log {
	unsigned long writes;
	unsigned next;
	const char *last[LOG_SLOTS];
	unsigned long bytes; /* new in 2 */
};

struct del_count {
	unsigned deleted, last, flags;
	unsigned missing, evicted; /* new in 2 */
};

struct key_list {
	unsigned long n;
	char owner[KEY_LIST_OWNER];
	unsigned long bytes; /* new in 2 */
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
	XT_V2_RECEIVE(init);
	struct read_stats *st = commands[0].priv;
	struct write_log *log = commands[1].priv;
	struct del_count *dc = commands[2].priv;
	struct key_list *kl = commands[3].priv;
	CHECK(st && st->hits == 1 && !strcmp(st->last_key, "alpha"));
	CHECK(log && log->writes == 1 && log->bytes == 0 && !strcmp(log->last[0], "beta"));
	CHECK(dc && dc->deleted == 2 && dc->last == 2 && dc->missing == 0);
	CHECK(kl && kl->n == 2 && kl->bytes == 0 && !strcmp(kl->owner, "lister") &&
	      !strcmp(kl->keys, "a1,a2"));
	XT_V2_RESULT();
}
