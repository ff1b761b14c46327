/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Heap blocks and byte pointers: an untyped block typed by the pointers
 * to it, a typedef'd scalar that widens, a byte pointer into a member that
 * becomes the first; argv[1] "tail" and "payload" put a header struct
 * followed by a payload (malloc(sizeof *m + len): a tail of 5 bytes, and
 * one of 16, two more whole headers of version 1), "first" a byte pointer
 * to a first member that moves. */
#include "xt.h"

typedef int count_t;

struct msg {
	short kind;
	unsigned len;
};

struct pt {
	int x, y;
};

struct rec {
	count_t n;
	int code;
};

static struct msg *msg;
static char *payload;
static char *payload_mid;
static void *raw;
static struct pt *pts;
static struct pt *pt4;
static count_t *counts;
static count_t *count2;
static struct rec *rec;
static unsigned char *code_byte;
static struct rec *rec2;
static unsigned char *rec2_bytes;

static __attribute__((noinline)) void init(const char *mode)
{
	/* 16 bytes: two more whole struct msg of version 1 */
	const char *text = !strcmp(mode, "payload") ? "payload text 16" : "text";
	if (!strcmp(mode, "payload") || !strcmp(mode, "tail")) {
		msg = malloc(sizeof(*msg) + strlen(text) + 1);
		msg->kind = 7;
		msg->len = (unsigned)strlen(text);
		payload = (char *)(msg + 1);
		strcpy(payload, text);
		payload_mid = payload + 4;
	}
	raw = malloc(6 * sizeof(struct pt));
	pts = raw;
	for (int i = 0; i < 6; i++) {
		pts[i].x = i;
		pts[i].y = i * i;
	}
	pt4 = &pts[4];
	counts = malloc(5 * sizeof(*counts));
	for (int i = 0; i < 5; i++)
		counts[i] = -100000 * i;
	count2 = &counts[2];
	rec = malloc(sizeof(*rec));
	rec->n = 4;
	rec->code = 0x01020304;
	code_byte = (unsigned char *)&rec->code;
	if (!strcmp(mode, "first")) {
		rec2 = malloc(sizeof(*rec2));
		rec2->n = 1;
		rec2->code = 2;
		rec2_bytes = (unsigned char *)&rec2->n;
	}
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "");
	XT_V1_LOOP();
}
