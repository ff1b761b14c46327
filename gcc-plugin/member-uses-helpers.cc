/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * member-uses-helpers.cc - the handlers that reach a `void *` member
 * through a helper.  A use of S.m in a function F given the struct (a
 * key whose path is F's parameter) is written as a use in F (STF_USE_IN_FN)
 * so that a row of a table holding F as its handler types its block; a
 * handler often leaves the member to a helper: `cmd_get (cmd)` calls
 * `stats_of (cmd)`, which returns cmd->priv as a struct read_stats.  A
 * function passing one of its own struct pointer parameters to F as the
 * parameter the use came through uses the member as F does: its record
 * is written too (one level of call; a helper's other shapes, the member's
 * value passed to a `struct x *` parameter or returned as a `void *`, are
 * uses in the handler already, member-uses.cc).
 */
#include "stf-plugin.h"
#include "member-uses.h"
#include "member-uses-state.h"

namespace stf_member_uses {

/* (F, argument number) -> the functions passing one of their own struct
 * pointer parameters as that argument of F. */
std::map<std::pair<tree, int>, std::set<tree>> param_passers;

void scan_param_passes (gcall *c, tree fn)
{
	for (unsigned i = 0; i < gimple_call_num_args (c); i++) {
		tree p = parameter_of (through_copies (gimple_call_arg (c, i)));
		if (p && struct_pointee (TREE_TYPE (p)) && current_function_decl)
			param_passers[std::make_pair (fn, (int) i)].insert (current_function_decl);
	}
}

void functions_using_param (tree parm, std::vector<tree> &fns)
{
	tree fn = DECL_CONTEXT (parm);
	fns.push_back (fn);
	int n = 0;
	for (tree p = DECL_ARGUMENTS (fn); p && p != parm; p = DECL_CHAIN (p))
		n++;
	auto it = param_passers.find (std::make_pair (fn, n));
	if (it != param_passers.end ())
		for (tree caller : it->second)
			if (caller != fn)
				fns.push_back (caller);
}

} /* namespace stf_member_uses */
