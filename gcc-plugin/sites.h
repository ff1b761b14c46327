/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sites.h - allocation sites and their runtime markers.
 */
#ifndef STF_SITES_H
#define STF_SITES_H

#include "types.h"

/* The early GIMPLE pass (right after "ssa"): notes where the result of
 * each allocator call goes in the unoptimized code, so a site is named the
 * same at every optimization level. */
opt_pass *stf_make_dests_pass (gcc::context *ctxt);

/* The late GIMPLE pass (after "optimized"): finds the allocator calls that
 * survived optimization, records them, and stores the address of each
 * site's id cell into stf__alloc_site right before the call.  It also
 * notes the string literals the final code refers to. */
opt_pass *stf_make_sites_pass (gcc::context *ctxt);

/* Number of sites found so far (the length of the site id array). */
unsigned stf_site_count (void);

/* Add the site records, in site id array order. */
void stf_collect_sites (stf_blob &blob, stf_types &types);

#endif /* STF_SITES_H */
