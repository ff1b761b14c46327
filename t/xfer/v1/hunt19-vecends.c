/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A vector kept as three pointers, {begin, end, cap} (the C++ shape),
 * over a heap array of records grown with realloc (end at the last used
 * record's end, cap at the block's end), plus pointers into the records:
 * a cursor to an element, a `char *` into the middle of an element's
 * name, and a `void *` to an element's member.  struct rec grows in
 * version 2: end and cap must stay one past the same elements (so that
 * end - begin and cap - begin count the same records), and the interior
 * pointers must follow their members. */
#include <stddef.h>
#include <stdlib.h>
#include "xt.h"

struct rec {
	long id;
#ifdef V2
	long flags; /* new in 2 */
#endif
	char name[12];
};

struct vec {
	struct rec *begin, *end, *cap;
};

static struct vec v;
static struct rec *cursor;
static char *name_tail;
static void *id_ref;

static void push(long id)
{
	if (v.end == v.cap) {
		size_t n = (size_t)(v.end - v.begin), c = n ? 2 * n : 4;
		v.begin = realloc(v.begin, c * sizeof(struct rec));
		v.end = v.begin + n;
		v.cap = v.begin + c;
	}
	v.end->id = id;
	snprintf(v.end->name, sizeof(v.end->name), "rec-%ld", id);
	v.end++;
}

static void init(void)
{
	for (long i = 0; i < 6; i++) /* capacity 8 */
		push(100 + i);
	cursor = &v.begin[2];
	name_tail = v.begin[4].name + 4;
	id_ref = &v.begin[5].id;
}

static void check(void)
{
	CHECK(v.end - v.begin == 6 && v.cap - v.begin == 8);
	for (int i = 0; i < 6; i++)
		CHECK(v.begin[i].id == 100 + i);
	CHECK(cursor == &v.begin[2] && cursor->id == 102);
	CHECK(name_tail == v.begin[4].name + 4 && !strcmp(name_tail, "104"));
	CHECK(id_ref == &v.begin[5].id && *(long *)id_ref == 105);
#ifdef V2
	CHECK(v.begin[0].flags == 0);
#endif
}

XT_MAIN_CHECKED(init, check)
