/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Versions of one program for the stf-meta diff tests, selected with -D:
 * ADD (member added), DROP (member dropped), REORDER (members swapped),
 * KEY_T=type (member retyped), NSLOTS=n (array resized), REMOVE_OBJ,
 * ADD_OBJ (object removed/added), MORE_COLORS (enumerator added),
 * BLUE_VALUE=n (enumerator value changed), LIMIT_T=type (member of a
 * typedef'd anonymous struct retyped), OTHER_STRUCT (pointers to another
 * struct), ANON_SWAP (anonymous members swapped), ADD_PTR, ADD_STRUCT
 * (pointer and struct members added to the heap-allocated struct entry),
 * CONF_PTR (pointer member added to a struct only a static object has). */
#include <stdlib.h>

#ifndef KEY_T
#define KEY_T int
#endif
#ifndef NSLOTS
#define NSLOTS 16
#endif
#ifndef BLUE_VALUE
#define BLUE_VALUE 2
#endif

enum color { RED, GREEN, BLUE = BLUE_VALUE
#ifdef MORE_COLORS
	, YELLOW = 7
#endif
};

struct entry {
#ifdef REORDER
	char *val;
	KEY_T key;
#else
	KEY_T key;
	char *val;
#endif
#ifndef DROP
	enum color col;
#endif
#ifdef ADD
	int ttl;
#endif
#ifdef ADD_PTR
	struct entry *next;
#endif
#ifdef ADD_STRUCT
	struct { long hits, misses; } counts;
#endif
};

#ifndef LIMIT_T
#define LIMIT_T int
#endif
typedef struct {
	int level;
	LIMIT_T limit;
#ifdef CONF_PTR
	const char *path;
#endif
} conf_t;
conf_t conf;

struct shape {
	int kind;
#ifdef ANON_SWAP
	union { int radius; float side; };
	struct { short w, h; };
#else
	struct { short w, h; };
	union { int radius; float side; };
#endif
};
struct shape shape;

#ifdef OTHER_STRUCT
struct other { int x; };
#define SLOT_T struct other
#else
#define SLOT_T struct entry
#endif
SLOT_T *slots[NSLOTS];
#ifndef REMOVE_OBJ
long counter;
#endif
#ifdef ADD_OBJ
static int extra;
#endif

int main(int argc, char **argv)
{
	struct entry *e = malloc(sizeof *e);

	(void)argv;
	e->val = 0;
#ifndef DROP
	e->col = BLUE;
#endif
	slots[argc % NSLOTS] = (SLOT_T *)e;
	conf.limit = 1;
	shape.w = 1;
#ifndef REMOVE_OBJ
	counter++;
#endif
#ifdef ADD_OBJ
	extra++;
#endif
	return slots[0] != 0;
}
