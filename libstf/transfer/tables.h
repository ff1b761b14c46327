/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tables.h - static tables whose entries are paired by what they are
 * (their handlers and names), not by their index (see tables.c).
 */
#ifndef STF_TABLES_H
#define STF_TABLES_H

#include <stdint.h>

#include "engine.h"

#define STF_TABLE_NONE UINT64_MAX /* a source entry with no counterpart */
#define STF_TABLE_IDS 8
#define STF_TABLE_MAX 4096 /* entries: the pairing is quadratic */

/* The members that identify an entry, by their offset in the
 * destination's element. */
struct stf_table_ids {
	size_t n;
	int64_t doff[STF_TABLE_IDS];
	/* per source entry, a bit per member that did not identify it (a
	 * name of the heap): transferred, not the destination's own */
	const uint8_t *unknown;
};

/* For an array of count elements of struct type st (source bytes s) in a
 * static, whose destination (element type dt, count dcount) holds its
 * own value dorig (the new version's initializer): where each source
 * entry goes, in map[count], when the entries are identified by their
 * function and string-literal members and the destination inserted,
 * removed or reordered some; 0 (pair by index) otherwise, also when an
 * entry is not identified uniquely; -1 when a renamed entry (its name a
 * string of the heap) is not and the length changed (the caller rolls
 * back).  ids: the identifying members. */
int stf__table_map(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
		   const uint8_t *s, uint64_t count, const struct stf_meta_unit *du, uint32_t dt,
		   const uint8_t *dorig, uint64_t dcount, uint64_t *map, struct stf_table_ids *ids);

/* Pairs the string literals of a static table's initializer whose entry
 * the new version moved (recognised by its literals) with the literals at
 * the entry's new place, instead of at its old index; dst_places: the
 * destination's literals by place.  -1 when out of memory. */
int stf__table_literals(struct stf_xfer *x, const struct stf_strmap *dst_places);

#endif
