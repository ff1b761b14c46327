/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * meta-private.h - what the files of the metadata reader share: the
 * reader's own state behind struct stf_meta, the error context of a load,
 * and the steps of stf_meta_load that live in validate.c and names.c.
 */
#ifndef STF_META_PRIVATE_H
#define STF_META_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta.h"

enum index_kind { IX_OBJECT = 1, IX_SITE, IX_TYPE, IX_PLACE };

/* Name index entry; kind 0 = empty slot. */
struct index_entry {
	uint32_t hash;
	uint32_t kind;
	uint32_t unit;
	uint32_t index;
};

struct meta_private {
	struct stf_meta pub;  /* first: stf_meta_free casts back */
	void *section;        /* copy of [units_start, units_end) */
	uint64_t *addrs;      /* every unit's resolved addrs[] */
	struct index_entry *ix;
	size_t ix_mask;       /* capacity - 1 (capacity is a power of two) */
};

/* Error reporting */
struct ctx {
	char *err;
	size_t errlen;
	size_t unit_no;
	const struct stf_meta_unit *u; /* strtab usable once set */
};

/* Write the message, naming the unit (and its file once known), to c->err. */
void meta_fail(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* validate.c: each check fails with a message (meta_fail) and returns false. */
struct dfs_frame { uint32_t type, next; };
bool meta_blob_ok(struct ctx *c, struct stf_meta_unit *u);
bool meta_types_ok(struct ctx *c);
bool meta_records_ok(struct ctx *c);
bool meta_acyclic(struct ctx *c, bool spelling, uint8_t *colour,
		  struct dfs_frame *stack);

/* names.c: the name index of objects, sites, types and literal places. */
bool meta_build_index(struct meta_private *p, struct ctx *c);

#endif /* STF_META_PRIVATE_H */
