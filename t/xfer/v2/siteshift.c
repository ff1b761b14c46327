/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: new_value makes a struct intval first (numbers), in front of
 * the sites of version 1, and struct shortval grew. */
#include "xt.h"

enum vtype { V_SHORT = 1, V_INT, V_TEXT };

struct hdr { enum vtype type; unsigned flags; };
struct intval { struct hdr h; long n; };
struct shortval { struct hdr h; unsigned char len; char text[24]; };
struct textval { struct hdr h; size_t len; char *text; };

static void *vals[4];

static __attribute__((noinline)) void *new_value(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end) {
		struct intval *v = malloc(sizeof(*v));
		v->h.type = V_INT;
		v->n = n;
		return v;
	}
	if (strlen(s) < sizeof(((struct shortval *)0)->text)) {
		struct shortval *v = malloc(sizeof(*v));
		v->h.type = V_SHORT;
		v->len = strlen(s);
		strcpy(v->text, s);
		return v;
	} else {
		struct textval *v = malloc(sizeof(*v));
		v->h.type = V_TEXT;
		v->len = strlen(s);
		v->text = strdup(s);
		return v;
	}
}

static __attribute__((noinline)) void init(void)
{
	vals[0] = new_value("one");
	vals[1] = new_value("a text longer than sixteen bytes");
	vals[2] = new_value("two");
	vals[3] = new_value("another text longer than sixteen");
}

int main(void)
{
	XT_V2_RECEIVE(init);
	struct shortval *s0 = vals[0], *s2 = vals[2];
	struct textval *t1 = vals[1], *t3 = vals[3];
	CHECK(s0->h.type == V_SHORT && !strcmp(s0->text, "one"));
	CHECK(s2->h.type == V_SHORT && !strcmp(s2->text, "two"));
	CHECK(t1->h.type == V_TEXT && !strcmp(t1->text, "a text longer than sixteen bytes"));
	CHECK(t3->h.type == V_TEXT && t3->len == strlen(t3->text));
	XT_V2_RESULT();
}
