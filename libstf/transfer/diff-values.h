/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * diff-values.h - INTERNAL to transfer/: the comparison and printing of
 * one value for the state differencing (diff-values.c, used by diff.c).
 */
#ifndef STF_TRANSFER_DIFF_VALUES_H
#define STF_TRANSFER_DIFF_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include "remote.h"

/* What a pointer of one process points to, comparable with another's. */
enum target_kind {
	TARGET_NULL,
	TARGET_OBJECT,	   /* a heap object or static: obj, id, dyn, off */
	TARGET_SYMBOL,	   /* a library's symbol or place: lib, id, off */
	TARGET_UNKNOWN,	   /* no object, library or argument: raw */
	TARGET_MAIN_STACK, /* main's stack: arg, if an argument or variable */
	TARGET_INTEGER,	   /* no user address can be this value: raw */
	TARGET_STREAM,	   /* a stdio stream libc allocated: stream */
};

struct target {
	enum target_kind kind;
	const char *id, *lib;
	const struct stf_obj *obj; /* TARGET_OBJECT */
	uint64_t dyn, off, raw;
	struct stf_arg_ref arg; /* TARGET_MAIN_STACK: the argument or variable, if one */
	char arg_str[256];
	struct stf_stream stream; /* TARGET_STREAM */
};

/* The target of pointer value v in process p, in *t; *hint: where the
 * last lookup in p ended (stf__peer_find_near), NULL at first. */
void stf__canon(struct stf_peer *p, uint64_t v, struct target *t, const struct stf_range **hint);
void stf__canon_stream(struct stf_peer *p, uint64_t v, struct target *t);
int stf__same_target(const struct target *a, const struct target *b);
void stf__fmt_target(const struct target *t, char *buf, size_t len);
uint32_t stf__scalar_at(const struct stf_meta_unit *u, uint32_t type, uint64_t off,
			uint64_t *start);
void stf__fmt_scalar(const struct stf_meta_unit *u, uint32_t t, const uint8_t *p,
		     char *buf, size_t len);

#endif
