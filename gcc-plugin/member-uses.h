/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * member-uses.h - the struct types the value of a `void *` member is used
 * as (stf_use_rec): what types an untyped block reached through it.
 */
#ifndef STF_MEMBER_USES_H
#define STF_MEMBER_USES_H

#include "types.h"

opt_pass *stf_make_member_uses_pass (gcc::context *ctxt);

void stf_collect_member_uses (stf_blob &blob, stf_types &types);

#endif /* STF_MEMBER_USES_H */
