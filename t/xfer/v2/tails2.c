/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of tails2.c: struct msg and struct pt gain members, count_t
 * widens to long, struct rec reorders. */
#include "xt.h"

typedef long count_t;

struct msg {
	long seq;
	short kind;
	unsigned len;
};

struct pt {
	int x, y, z;
};

struct rec {
	int code;
	count_t n;
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
	if (!stf_is_updating()) {
		init(argc > 1 ? argv[1] : "");
		XT_V1_LOOP();
	}
	stf_update_point();
	struct stf_object_info info;
	CHECK(!msg && !payload && !payload_mid && !rec2 && !rec2_bytes);
	CHECK(raw == pts && pt4 == &pts[4]);
	CHECK(stf_lookup(pts, &info) == 0 && info.size >= 6 * sizeof(struct pt));
	for (int i = 0; i < 6; i++)
		CHECK(pts[i].x == i && pts[i].y == i * i && pts[i].z == 0);
	CHECK(stf_lookup(counts, &info) == 0 && info.count == 5);
	for (int i = 0; i < 5; i++)
		CHECK(counts[i] == -100000 * i);
	CHECK(count2 == &counts[2]);
	CHECK(rec->n == 4 && rec->code == 0x01020304);
	CHECK(code_byte == (unsigned char *)&rec->code && *code_byte == 4);
	XT_V2_RESULT();
}
