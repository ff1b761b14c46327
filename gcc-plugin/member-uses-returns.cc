/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * member-uses-returns.cc - callbacks computed at run time: a call through
 * the result of a function returning a function pointer
 * (`pick (verbose) (arg)`, `lookup (kind) (arg)`) reaches the functions
 * that function returns: their addresses (`return verbose ? on_conn_verbose
 * : on_conn`), or the functions of the slots it returns from (`return
 * table[kind]`, a table filled at run time; the result of another such
 * function).  The function's results are a slot of member-uses.cc's
 * (NULL, the FUNCTION_DECL), so a `void *` passed to such a call is used
 * as those functions use their parameter (t/xfer/gaps12-cbret).
 */
#include "stf-plugin.h"
#include "member-uses.h"
#include "member-uses-state.h"

namespace stf_member_uses {

bool returned_fn_slot (tree callee, fn_slot *slot)
{
	if (TREE_CODE (callee) != SSA_NAME)
		return false;
	gcall *c = dyn_cast <gcall *> (SSA_NAME_DEF_STMT (callee));
	tree fn = c ? gimple_call_fndecl (c) : NULL_TREE;
	if (!fn || !function_pointer_p (TREE_TYPE (TREE_TYPE (fn))))
		return false;
	*slot = fn_slot (NULL_TREE, fn);
	return true;
}

namespace {

/* The functions value (returned by the function of slot ret) may be:
 * through copies and the branches that merge into it. */
void note_returned (const fn_slot &ret, tree value, std::set<tree> &seen)
{
	value = through_copies (value);
	fn_slot from;
	if (tree f = function_of (value)) {
		slot_fns[ret].insert (f);
	} else if (fn_value_slot (value, &from)) {
		if (from != ret)
			slot_flows[ret].insert (from);
	} else if (TREE_CODE (value) == SSA_NAME && seen.insert (value).second) {
		if (gphi *phi = dyn_cast <gphi *> (SSA_NAME_DEF_STMT (value)))
			for (unsigned i = 0; i < gimple_phi_num_args (phi); i++)
				note_returned (ret, gimple_phi_arg_def (phi, i), seen);
	}
}

} /* namespace */

void scan_fn_return (function *fun, greturn *r)
{
	tree value = gimple_return_retval (r);
	if (!value || !function_pointer_p (TREE_TYPE (TREE_TYPE (fun->decl))))
		return;
	std::set<tree> seen;
	note_returned (fn_slot (NULL_TREE, fun->decl), value, seen);
}

} /* namespace stf_member_uses */
