/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * GLib GArrays of program structs holding pointers: a zero-terminated,
 * cleared array made with g_array_sized_new and a clear function (each
 * element points to a heap struct and a heap string), one reached
 * through a struct member (conn->jobs), and a GByteArray of bytes.
 * Version 2 inserts members in both structs: the elements must be
 * converted, their pointers relocated, GLib's element size and clear
 * function follow.  Version 2 is this file with V2 defined.
 */
#include <glib.h>
#include "xt.h"

struct peer {
	char name[16];
	int port;
};

struct entry {
	struct peer *peer;
#ifdef V2
	long hits;    /* new in 2 */
#endif
	char *note;
	int id;
};

struct job {
#ifdef V2
	char label[8]; /* new in 2 */
#endif
	int kind;
	double when;
};

struct conn {
	int fd;
	GArray *jobs;
};

static GArray *entries;
static struct conn *conn;
static GByteArray *raw;
static int cleared;

static void clear_entry(gpointer p)
{
	struct entry *e = p;
	free(e->note);
	cleared++;
}

/* the code reads its arrays (g_array_index) */
static long sum(void)
{
	long s = 0;
	for (guint i = 0; i < entries->len; i++)
		s += g_array_index(entries, struct entry, i).id;
	for (guint i = 0; i < conn->jobs->len; i++)
		s += g_array_index(conn->jobs, struct job, i).kind;
	return s;
}

static void init(void)
{
	entries = g_array_sized_new(TRUE, TRUE, sizeof(struct entry), 4);
	g_array_set_clear_func(entries, clear_entry);
	for (int i = 0; i < 10; i++) {
		struct peer *p = malloc(sizeof(*p));
		snprintf(p->name, sizeof(p->name), "peer%d", i);
		p->port = 1000 + i;
		char note[16];
		snprintf(note, sizeof(note), "note%d", i);
		struct entry e = { .peer = p, .note = strdup(note), .id = 100 + i };
		g_array_append_val(entries, e);
	}
	conn = malloc(sizeof(*conn));
	conn->fd = 7;
	conn->jobs = g_array_new(FALSE, FALSE, sizeof(struct job));
	for (int i = 0; i < 5; i++) {
		struct job j = { .kind = i + 1, .when = 0.5 * i };
		g_array_append_val(conn->jobs, j);
	}
	raw = g_byte_array_new();
	g_byte_array_append(raw, (const guint8 *)"hello, bytes", 12);
}

#ifdef V2
int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(entries && entries->len == 10);
	CHECK(g_array_get_element_size(entries) == sizeof(struct entry));
	CHECK(sum() == 100 * 10 + 45 + 15);
	for (guint i = 0; i < entries->len; i++) {
		struct entry *e = &g_array_index(entries, struct entry, i);
		char want[16];
		snprintf(want, sizeof(want), "peer%u", i);
		CHECK(e->hits == 0 && e->id == 100 + (int)i);
		CHECK(e->peer && e->peer->port == 1000 + (int)i && !strcmp(e->peer->name, want));
		snprintf(want, sizeof(want), "note%u", i);
		CHECK(e->note && !strcmp(e->note, want));
	}
	/* zero-terminated: the element after the last is zero */
	struct entry *end = &g_array_index(entries, struct entry, 10);
	CHECK(!end->peer && !end->note && !end->id && !end->hits);
	/* the clear function runs on the new layout */
	g_array_remove_index(entries, 0);
	CHECK(cleared == 1 && entries->len == 9);
	CHECK(g_array_index(entries, struct entry, 0).id == 101);
	for (int i = 0; i < 40; i++) {
		struct entry e = { NULL, 7, strdup("more"), 200 + i };
		g_array_append_val(entries, e);
	}
	CHECK(entries->len == 49 && g_array_index(entries, struct entry, 48).id == 239);
	CHECK(g_array_index(entries, struct entry, 8).id == 109);
	CHECK(conn->jobs->len == 5 && g_array_get_element_size(conn->jobs) == sizeof(struct job));
	for (guint i = 0; i < conn->jobs->len; i++) {
		struct job *j = &g_array_index(conn->jobs, struct job, i);
		CHECK(j->kind == (int)i + 1 && j->when == 0.5 * i && !j->label[0]);
	}
	struct job more = { "new", 9, 9.5 };
	g_array_append_val(conn->jobs, more);
	CHECK(g_array_index(conn->jobs, struct job, 5).kind == 9);
	CHECK(raw && raw->len == 12 && !memcmp(raw->data, "hello, bytes", 12));
	XT_V2_RESULT();
}
#else
int main(void)
{
	init();
	/* -O2 keeps only the state the code reads */
	if (sum() != 100 * 10 + 45 + 15 || raw->len != 12 || cleared || conn->fd != 7)
		return 1;
	XT_V1_LOOP();
}
#endif
