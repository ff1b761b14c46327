/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A constructor returning objects of several types behind `void *`: its
 * allocation sites are numbered in source order ("new_value/return#0",
 * "#1"), and version 2 adds one of a new type in front of them. */
#include "xt.h"

enum vtype { V_SHORT = 1, V_TEXT };

struct hdr { enum vtype type; };
struct shortval { struct hdr h; char text[16]; };
struct textval { struct hdr h; size_t len; char *text; };

static void *vals[4];

static __attribute__((noinline)) void *new_value(const char *s)
{
	if (strlen(s) < sizeof(((struct shortval *)0)->text)) {
		struct shortval *v = malloc(sizeof(*v));
		v->h.type = V_SHORT;
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
