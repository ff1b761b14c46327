/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * member-uses-state.h - what member-uses.cc finds in a unit, kept until
 * member-uses-emit.cc writes it (the meaning of each table is told where
 * member-uses.cc defines it).  Trees of the unit, alive until it is
 * written.
 */
#ifndef STF_MEMBER_USES_STATE_H
#define STF_MEMBER_USES_STATE_H

namespace stf_member_uses {

/* A `void *` member S.m and the path to the struct holding it: (S, m's
 * FIELD_DECL, the FIELD_DECL or static VAR_DECL it was reached through,
 * or NULL, and for an array of `void *` the element the code names by a
 * constant index, or -1: any element); or a function's results, a
 * parameter, an allocation site, a library's user data (member-uses.cc). */
typedef std::tuple<tree, tree, tree, HOST_WIDE_INT> use_key;

/* A function-pointer member (S, FIELD_DECL) or parameter (NULL, PARM_DECL). */
typedef std::pair<tree, tree> fn_slot;

/* A call of a function returning `void *`: its number, the paths of its
 * arguments. */
struct call_site {
	HOST_WIDE_INT number;
	std::vector<tree> arg_paths;
};

/* A library's user data setter (its argument number) and getter (the
 * number of its `void **` out-parameter, or -1: its result). */
struct user_data_accessor {
	const char *setter;
	unsigned arg;
	const char *getter;
	int out;
};
const unsigned n_user_data_accessors = 6;
extern const user_data_accessor user_data_accessors[n_user_data_accessors];

/* A call of a setter: the key of the value it is given, the setter, the
 * functions it passes along (their addresses, or read from a slot). */
struct setter_call {
	use_key key;
	const user_data_accessor *accessor;
	tree setter;
	std::set<tree> callbacks;
};

extern std::map<use_key, std::set<tree>> uses;
extern std::map<tree, std::set<std::pair<use_key, HOST_WIDE_INT>>> returned;
extern std::map<tree, std::vector<call_site>> calls;
extern std::map<use_key, std::set<use_key>> flows;
extern std::vector<unsigned HOST_WIDE_INT> site_sizes;
extern std::map<HOST_WIDE_INT, std::string> site_ids;
extern std::map<fn_slot, std::set<tree>> slot_fns;
extern std::map<fn_slot, std::set<fn_slot>> slot_flows;
extern std::map<use_key, std::set<std::pair<fn_slot, int>>> slot_calls;
extern std::map<use_key, std::set<std::pair<tree, int>>> passed_to;
extern std::map<use_key, std::set<std::pair<tree, int>>> passed_out;
extern std::map<use_key, std::set<std::pair<tree, int>>> pool_out;
extern std::map<std::pair<tree, int>, std::set<tree>> fn_args;
extern std::map<tree, std::vector<tree>> params_of;
extern std::map<std::pair<tree, tree>, std::set<tree>> strides;
extern std::map<use_key, std::set<std::pair<tree, tree>>> registered;
extern std::map<use_key, std::set<std::pair<tree, fn_slot>>> registered_slots;
extern std::map<std::pair<tree, int>, std::set<fn_slot>> fn_arg_slots;
extern std::set<tree> casts;
extern std::map<std::pair<tree, int>, std::set<tree>> param_passers;

extern std::vector<setter_call> setter_calls;
extern std::map<tree, const user_data_accessor *> getter_outs;

use_key result_of (tree fn, HOST_WIDE_INT call);
use_key param_of (tree parm);
use_key site_key (HOST_WIDE_INT n);
use_key user_data_key (const char *getter);
bool void_pointer_p (tree type);
tree struct_pointee (tree type);
tree parameter_of (tree v);

bool function_pointer_p (tree type);
tree function_of (tree v);
tree through_copies (tree v);
bool fn_value_slot (tree v, fn_slot *slot);

/* member-uses-returns.cc: the slot of the functions the function whose
 * call's result callee is returns (NULL, FUNCTION_DECL), and the
 * functions and slots a return of the function being scanned gives. */
bool returned_fn_slot (tree callee, fn_slot *slot);
void scan_fn_return (function *fun, greturn *r);

/* member-uses-helpers.cc: the functions passing their own parameters
 * to the function called (c, calling fn), and the functions whose code
 * uses the member as a use through parameter parm says: parm's function
 * and those passing it one of their parameters as parm. */
void scan_param_passes (gcall *c, tree fn);
void functions_using_param (tree parm, std::vector<tree> &fns);

/* member-uses-userdata.cc */
const user_data_accessor *user_data_setter (tree fn, unsigned i);
const user_data_accessor *user_data_getter (tree fn);
void scan_getter_out (gcall *c);
bool join_user_data_pools ();

} /* namespace stf_member_uses */

#endif /* STF_MEMBER_USES_STATE_H */
