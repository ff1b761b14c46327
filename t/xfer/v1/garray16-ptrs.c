/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * GLib GArrays of program structs holding pointers: a zero-terminated,
 * cleared array made with g_array_sized_new and a clear function (each
 * element points to a heap struct and a heap string), one reached
 * through a struct member (conn->jobs), and a GByteArray of bytes.
 * Version 2 inserts members in both structs: the elements must be
 * converted, their pointers relocated, GLib's element size and clear
 * function follow.
 */
#include <glib.h>
#include "xt.h"

struct peer {
	char name[16];
	int port;
};

struct entry {
	struct peer *peer;
	char *note;
	int id;
};

struct job {
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
		struct entry e = { p, strdup(note), 100 + i };
		g_array_append_val(entries, e);
	}
	conn = malloc(sizeof(*conn));
	conn->fd = 7;
	conn->jobs = g_array_new(FALSE, FALSE, sizeof(struct job));
	for (int i = 0; i < 5; i++) {
		struct job j = { i + 1, 0.5 * i };
		g_array_append_val(conn->jobs, j);
	}
	raw = g_byte_array_new();
	g_byte_array_append(raw, (const guint8 *)"hello, bytes", 12);
}

int main(void)
{
	init();
	/* -O2 keeps only the state the code reads */
	if (sum() != 100 * 10 + 45 + 15 || raw->len != 12 || cleared || conn->fd != 7)
		return 1;
	XT_V1_LOOP();
}
