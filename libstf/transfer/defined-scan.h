/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * defined-scan.h - conservative scans under valgrind (defined-scan.c).
 *
 * INTERNAL.
 */
#ifndef STF_DEFINED_SCAN_H
#define STF_DEFINED_SCAN_H

#include <stdint.h>

typedef void stf_scan_fn(void *ctx, uint64_t start, uint64_t end, uint8_t flag);

/* fn(ctx, start, end, flag), every byte of [start, end) defined for
 * memcheck while fn reads it (when libstf was built with
 * <valgrind/memcheck.h> and runs under valgrind). */
void stf__defined_scan(stf_scan_fn *fn, void *ctx, uint64_t start, uint64_t end, uint8_t flag);

#endif /* STF_DEFINED_SCAN_H */
