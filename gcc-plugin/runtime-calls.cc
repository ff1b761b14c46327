/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * runtime-calls.cc - the libstf entry points the instrumented code calls
 * right after an STF_ALLOCATOR's call (stf__sub_object, stf__sub_note,
 * stf__slot_arg), and the slot allocator's argument saved for them;
 * sites.cc decides where they go.
 */
#include "stf-plugin.h"
#include "runtime-calls.h"
#include "stf-format.h"

/* A libstf entry point the instrumented code calls:
 * void NAME (FIRST, SECOND, const uint32_t *site_cell[, FOURTH]). */
static tree runtime_fn_decl (const char *name, tree first, tree second,
			     tree fourth = NULL_TREE)
{
	tree cell = build_pointer_type (build_qualified_type (uint32_type_node,
							      TYPE_QUAL_CONST));
	tree type = build_function_type_list (void_type_node, first, second, cell, fourth,
					      NULL_TREE);
	tree decl = build_fn_decl (name, type);
	TREE_PUBLIC (decl) = 1;
	DECL_EXTERNAL (decl) = 1;
	DECL_ARTIFICIAL (decl) = 1;
	TREE_NOTHROW (decl) = 1;
	stf_keep (decl);
	return decl;
}

tree stf_sub_object_decl (void)
{
	static tree decl;
	if (!decl)
		decl = runtime_fn_decl ("stf__sub_object", ptr_type_node, size_type_node);
	return decl;
}

/* stf__sub_note: stf__sub_object for a constant size of 8 bytes or more,
 * noted in libstf's shadow map (runtime/sub-shadow.c); stf__sub_note_sized
 * for a size that varies, noted there when a size header holds it.  Their
 * fourth argument: the call's code cache (stf_inline_note_cache), or a
 * null pointer. */
tree stf_sub_note_decl (bool sized)
{
	static tree decl, sized_decl;
	tree &d = sized ? sized_decl : decl;
	if (!d)
		d = runtime_fn_decl (sized ? "stf__sub_note_sized" : "stf__sub_note",
				     ptr_type_node, size_type_node,
				     build_pointer_type (unsigned_char_type_node));
	return d;
}

static tree slot_arg_decl (bool integer)
{
	static tree decl, int_decl;
	if (integer) {
		if (!int_decl)
			int_decl = runtime_fn_decl ("stf__slot_int_arg", const_ptr_type_node,
						    size_type_node);
		return int_decl;
	}
	if (!decl)
		decl = runtime_fn_decl ("stf__slot_arg", const_ptr_type_node, size_type_node);
	return decl;
}

/* The first argument of a call to a slot allocator (one that takes no
 * size: the slab it is given sizes its slots), saved before the call (the
 * call may overwrite where it came from) when it is a pointer (the
 * cache), else 0 (a slab of its own: a static cache); NULL_TREE when the
 * call is not to a slot allocator.  An update whose slab type grows calls
 * the allocator again with what this cache became (libstf/runtime/
 * slots.h).  It is saved XORed with STF_SLOT_ARG_MASK: the saved value
 * lives across the allocator's call, so the caller may keep it in a
 * callee-saved register or a stack slot that stays in its frame after
 * stf__slot_arg, where a plain copy would keep the slab the new version's
 * startup made alive (and its chunks) in the transfer's conservative
 * sweep of that startup's objects: pgbouncer kept 27 per update.  An
 * integer first argument (obj_alloc(KIND_CONN): an index into caches in
 * the allocator's statics) is saved as it is, *integer set: the update
 * calls the allocator with it again. */
tree stf_slot_cache_arg (gcall *call, const stf_allocator_desc &alloc, gimple_stmt_iterator *gsi,
		     bool *integer)
{
	*integer = false;
	if (!(alloc.flags & STF_SF_SLOT) || !gimple_call_fndecl (call))
		return NULL_TREE;
	if (gimple_call_num_args (call) < 1)
		return build_int_cst (size_type_node, 0);
	location_t loc = gimple_location (call);
	tree arg0 = gimple_call_arg (call, 0);
	if (INTEGRAL_TYPE_P (TREE_TYPE (arg0))) {
		*integer = true;
		if (TREE_CODE (arg0) == INTEGER_CST)
			return fold_convert (size_type_node, arg0);
		tree saved = make_ssa_name (size_type_node);
		gassign *a = gimple_build_assign (saved, NOP_EXPR, arg0);
		gimple_set_location (a, loc);
		gsi_insert_before (gsi, a, GSI_SAME_STMT);
		return saved;
	}
	if (!POINTER_TYPE_P (TREE_TYPE (arg0)))
		return build_int_cst (size_type_node, 0);
	tree as_int = make_ssa_name (size_type_node);
	gassign *a = gimple_build_assign (as_int, NOP_EXPR, gimple_call_arg (call, 0));
	gimple_set_location (a, loc);
	gsi_insert_before (gsi, a, GSI_SAME_STMT);
	tree saved = make_ssa_name (size_type_node);
	gassign *m = gimple_build_assign (saved, BIT_XOR_EXPR, as_int,
					  build_int_cst (size_type_node, STF_SLOT_ARG_MASK));
	gimple_set_location (m, loc);
	gsi_insert_before (gsi, m, GSI_SAME_STMT);
	return saved;
}

/* stf__slot_arg (&allocator, cache, cell) after a slot allocator's call
 * (stf__slot_int_arg when the cache is chosen by an integer): the
 * allocator's address taken there keeps a body of it that the new
 * version's transfer can call (listed as a function in the metadata). */
gcall *stf_insert_slot_arg (gimple_stmt_iterator *after, gcall *call, tree cache, bool integer,
			tree cell, location_t loc)
{
	tree alloc = gimple_call_fndecl (call);
	tree fn_addr = make_ssa_name (const_ptr_type_node);
	gassign *conv = gimple_build_assign (fn_addr, NOP_EXPR, build_fold_addr_expr (alloc));
	gimple_set_location (conv, loc);
	gsi_insert_after (after, conv, GSI_NEW_STMT);
	cgraph_node *alloc_node = cgraph_node::get_create (alloc);
	alloc_node->mark_address_taken ();
	cgraph_node *self = cgraph_node::get (current_function_decl);
	self->create_reference (alloc_node, IPA_REF_ADDR, conv);
	tree record = slot_arg_decl (integer);
	gcall *rec = gimple_build_call (record, 3, fn_addr, cache, cell);
	gimple_set_location (rec, loc);
	gsi_insert_after (after, rec, GSI_NEW_STMT);
	self->create_edge (cgraph_node::get_create (record), rec, gimple_bb (call)->count);
	return rec;
}
