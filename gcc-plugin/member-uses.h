/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * member-uses.h - the struct types the value of a `void *` member is used
 * as (stf_use_rec): what types an untyped block reached through it.
 */
#ifndef STF_MEMBER_USES_H
#define STF_MEMBER_USES_H

#include "types.h"

opt_pass *stf_make_member_uses_pass (gcc::context *ctxt);

/* Follow the result of an allocation site of no type (the call's result,
 * size: its constant size or 0) to the functions it is handed to: the
 * number to ask stf_site_used_as with. */
int stf_follow_site_value (tree value, unsigned HOST_WIDE_INT size);

/* Merge the unit's uses along the values' flows: before the sites ask
 * for their types and the uses are written. */
void stf_resolve_member_uses (void);

/* The struct type a site's result is used as, or NULL. */
tree stf_site_used_as (int n);

/* Is a site's result handed to functions (called, registered, given to
 * a library's user data setter)? */
bool stf_site_handed_to_functions (int n);

/* The ID of a site stf_site_used_as did not type: its uses are written
 * for libstf to join across units (STF_USE_SITE), or to type the
 * sub-objects an STF_ALLOCATOR hands out to functions. */
void stf_name_untyped_site (int n, const std::string &id, bool sub_objects);

void stf_collect_member_uses (stf_blob &blob, stf_types &types);

/* The functions static initializers store into function-pointer slots
 * (tables of handlers): at PLUGIN_ALL_IPA_PASSES_START, before the
 * unused ones are dropped. */
void stf_note_function_tables (void *gcc_data, void *user_data);

#endif /* STF_MEMBER_USES_H */
