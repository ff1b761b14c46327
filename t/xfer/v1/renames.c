/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Renamed globals, members and types; objects new in version 2. */
#include "xt.h"

struct session {
	int uid;
	int timeout_ms;
	char *user;
	struct session *next;
};

struct config {
	int max_conn;
	const char *motd;
};

static int conn_count;
static struct config cfg = { 64, "welcome" };
static struct session *sessions;
static int *p_count = &conn_count;
static struct session *first_of_uid7;
static char *banner;
static int *p_limit;
static int *p_timeout;

static __attribute__((noinline)) void load_banner(void)
{
	banner = malloc(32);
	snprintf(banner, 32, "server %d", 42);
}

static __attribute__((noinline)) void login(int uid, const char *user)
{
	struct session *s = malloc(sizeof(*s));
	s->uid = uid;
	s->timeout_ms = 2000 * uid;
	s->user = strdup(user);
	s->next = sessions;
	sessions = s;
	conn_count++;
	if (uid == 7)
		first_of_uid7 = s;
}

static __attribute__((noinline)) void init(void)
{
	login(3, "carol");
	login(7, "grace");
	login(9, "ivan");
	load_banner();
	cfg.max_conn = 128;
	p_limit = &cfg.max_conn;
	p_timeout = &first_of_uid7->timeout_ms;
	p_count = &conn_count;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
