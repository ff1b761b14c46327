/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Type shapes of the plugin test corpus; also compiled into the test
 * itself (without the plugin) as the oracle for sizes and offsets. */
#ifndef CORPUS_TYPES_H
#define CORPUS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stf.h"

struct flags {
	unsigned a : 3;
	unsigned b : 5;
	signed c : 4;
	unsigned : 0;
	unsigned d : 1;
	int e;
};

struct inner {
	short s;
	char c;
};

struct outer {
	int id;
	struct inner in;
	union {
		int i;
		float f;
	};
	struct {
		char tag;
		long v;
	} anon_s;
	int grid[3][4];
	struct outer *next;
	void (*handler)(int, const char *);
	size_t len;
	char data[];
};

enum level { LOW = -2, MID = 0, HIGH = 7, TOP = 1000 };

typedef struct outer outer_t;
typedef enum level level_t;

union holder {
	void *p;
	long l;
};

/* data pointers only: relocated as one pointer, no warning */
union data_ptrs {
	struct node *n;
	char *s;
};

union ok_union {
	void *p;
	long l;
} STF_IXFER;

/* Annotated through the typedef: no warning. */
typedef union {
	void *p;
	long l;
} tagged_t STF_IXFER;

/* Unannotated: the warning names the typedef. */
typedef union {
	void *p;
	long n;
} named_t;

struct opaque_s {
	int x;
} STF_OPAQUE;

/* Every member a function pointer (libevent's evcb_cb_union): whichever
 * member is live, the value is a function's address, so the union is not
 * ambiguous. */
typedef void (*event_cb_fn)(int, short, void *);
struct evcb;
union callbacks {
	event_cb_fn on_event;
	void (*on_self)(struct evcb *, void *);
	void (*on_finalize)(void *, void *);
};

/* A function pointer next to a data pointer still is. */
union mixed_callbacks {
	event_cb_fn on_event;
	void *data;
};

struct annotated {
	void *raw STF_IXFER;
	uintptr_t handle STF_PXFER;
};

typedef int v4si __attribute__((vector_size(16)));

#endif
