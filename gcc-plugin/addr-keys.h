/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * addr-keys.h - objects whose address the code keeps as an integer (a
 * hash of it, a slot chosen by it): STF_USE_ADDR_KEY records.
 */
#ifndef STF_ADDR_KEYS_H
#define STF_ADDR_KEYS_H

#include "types.h"

opt_pass *stf_make_addr_keys_pass (gcc::context *ctxt);

/* Write the unit's findings as stf_use_rec records. */
void stf_collect_addr_keys (stf_blob &blob, stf_types &types);

#endif /* STF_ADDR_KEYS_H */
