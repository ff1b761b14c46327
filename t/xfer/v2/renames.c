/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of renames.c: conn_count -> nconns (object rename),
 * struct session -> struct client (type rename), timeout_ms -> timeout in
 * seconds (member rename plus conversion), cfg.max_conn -> limit; a new
 * table of counters initialized by callback; a new total computed once
 * the transfer is done. */
#include "xt.h"

struct client {
	int uid;
	int timeout;       /* seconds, was timeout_ms */
	char *user;
	struct client *next;
};

struct config {
	int limit;         /* was max_conn */
	const char *motd;
	int backlog;       /* new */
};

static int nconns;
static struct config cfg = { 64, "welcome", 0 };
static struct client *sessions;
static int *p_count = &nconns;
static struct client *first_of_uid7;
static long per_uid[10];              /* new */
static long total_timeout;            /* new: computed after the transfer */
static int new_cb_calls;
static char *banner;
static int *p_limit;
static int *p_timeout;

/* was load_banner: its allocation site is renamed */
static __attribute__((noinline)) void read_banner(void)
{
	banner = malloc(32);
	snprintf(banner, 32, "server %d", 42);
}

static __attribute__((noinline)) void login(int uid, const char *user)
{
	struct client *s = malloc(sizeof(*s));
	s->uid = uid;
	s->timeout = 2 * uid;
	s->user = strdup(user);
	s->next = sessions;
	sessions = s;
	nconns++;
	if (uid == 7)
		first_of_uid7 = s;
}

static __attribute__((noinline)) void init(void)
{
	login(3, "carol");
	login(7, "grace");
	login(9, "ivan");
	read_banner();
	cfg.limit = 128;
	p_limit = &cfg.limit;
	p_timeout = &first_of_uid7->timeout;
	p_count = &nconns;
}

static int timeout_cb(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		      void *arg)
{
	int v;
	(void)arg;
	memcpy(&v, src->addr, sizeof(v));
	v = stf_xfer_direction(x) == STF_FORWARD ? v / 1000 : v * 1000;
	memcpy(dst->addr, &v, sizeof(v));
	return STF_CB_DONE;
}

static int per_uid_cb(struct stf_xfer *x, struct stf_value *dst, void *arg)
{
	(void)x;
	(void)arg;
	long *t = dst->addr;
	if (dst->size != sizeof(per_uid))
		return STF_CB_ERROR;
	for (int i = 0; i < 10; i++)
		t[i] = -1;
	new_cb_calls++;
	return STF_CB_DONE;
}

static int done_cb(struct stf_xfer *x, void *arg)
{
	(void)x;
	(void)arg;
	for (struct client *c = sessions; c; c = c->next) {
		total_timeout += c->timeout;
		per_uid[c->uid] = c->timeout;
	}
	return STF_CB_DONE;
}

int main(void)
{
	if (stf_is_updating()) {
		stf_rename(STF_RENAME_OBJECT, "renames.c:conn_count", "renames.c:nconns");
		stf_rename(STF_RENAME_TYPE, "struct session", "struct client");
		stf_rename(STF_RENAME_MEMBER, "struct session.timeout_ms", "timeout");
		stf_rename(STF_RENAME_MEMBER, "struct config.max_conn", "limit");
		stf_rename(STF_RENAME_OBJECT, "renames.c:load_banner/banner#0",
			   "renames.c:read_banner/banner#0");
		stf_on_member("struct client", "timeout", STF_BOTH, timeout_cb, NULL);
		stf_on_new_object("renames.c:per_uid", STF_FORWARD, per_uid_cb, NULL);
		stf_on_transfer_done(STF_FORWARD, done_cb, NULL);
	}
	XT_V2_RECEIVE(init);
	CHECK(nconns == 3 && p_count == &nconns);
	CHECK(cfg.limit == 128 && !strcmp(cfg.motd, "welcome") && cfg.backlog == 0);
	static const int uids[] = { 9, 7, 3 };
	static const char *const users[] = { "ivan", "grace", "carol" };
	int n = 0;
	for (struct client *c = sessions; c; c = c->next, n++) {
		CHECK(n < 3 && c->uid == uids[n] && !strcmp(c->user, users[n]));
		CHECK(c->timeout == 2 * c->uid);
	}
	CHECK(n == 3);
	CHECK(first_of_uid7 && first_of_uid7->uid == 7 && first_of_uid7 == sessions->next);
	CHECK(banner && !strcmp(banner, "server 42"));
	CHECK(p_limit == &cfg.limit && p_timeout == &first_of_uid7->timeout);
	CHECK(new_cb_calls == 1);
	CHECK(per_uid[0] == -1 && per_uid[3] == 6 && per_uid[7] == 14 && per_uid[9] == 18);
	CHECK(total_timeout == 38);
	XT_V2_RESULT();
}
