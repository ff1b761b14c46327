/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * byte-reads.h - statics holding pointers whose bytes the code reads
 * through a char pointer (a hash mixing them in): STF_USE_BYTES_READ
 * records.
 */
#ifndef STF_BYTE_READS_H
#define STF_BYTE_READS_H

#include "types.h"

opt_pass *stf_make_byte_reads_pass (gcc::context *ctxt);

/* Write the unit's findings as stf_use_rec records. */
void stf_collect_byte_reads (stf_blob &blob, stf_types &types);

#endif /* STF_BYTE_READS_H */
