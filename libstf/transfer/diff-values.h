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
struct target {
	int kind; /* 0 NULL, 1 object, 2 symbol, 3 unknown, 4 main's stack,
	             5 an integer (no user address), 6 a stdio stream */
	const char *id, *lib;
	const struct stf_obj *obj; /* kind 1 */
	uint64_t dyn, off, raw;
	struct stf_arg_ref arg; /* kind 4: the argument or variable, if one */
	char arg_str[256];
	struct stf_stream stream; /* kind 6 */
};

/* The target of pointer value v in process p, in *t. */
void stf__canon(struct stf_peer *p, uint64_t v, struct target *t);
void stf__canon_stream(struct stf_peer *p, uint64_t v, struct target *t);
int stf__same_target(const struct target *a, const struct target *b);
void stf__fmt_target(const struct target *t, char *buf, size_t len);
uint32_t stf__scalar_at(const struct stf_meta_unit *u, uint32_t type, uint64_t off,
			uint64_t *start);
void stf__fmt_scalar(const struct stf_meta_unit *u, uint32_t t, const uint8_t *p,
		     char *buf, size_t len);

#endif
