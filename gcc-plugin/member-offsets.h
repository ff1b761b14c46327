/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * member-offsets.h - integer members the code adds to or subtracts from
 * pointers (stf_use_rec with STF_USE_OFFSET): offsets of members kept as
 * numbers, which the transfer converts.
 */
#ifndef STF_MEMBER_OFFSETS_H
#define STF_MEMBER_OFFSETS_H

#include "types.h"

/* Record `p + S.m` / `p - S.m` in a statement of the unoptimized code. */
void stf_scan_offset_member (gassign *a);

void stf_collect_member_offsets (stf_blob &blob, stf_types &types);

#endif /* STF_MEMBER_OFFSETS_H */
