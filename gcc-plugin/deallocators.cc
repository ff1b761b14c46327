/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * deallocators.cc - calls that give an object back to the slab or pool
 * an STF_ALLOCATOR function handed it out from.
 *
 * What an STF_ALLOCATOR returns is registered as an object of its own
 * (stf__sub_object, sites.cc), but a slab's free only links the object
 * into the slab's free list: libstf would go on carrying it as live, and
 * an update whose slab type grows would give every such dead object a
 * slot of the new version's slab, which nothing frees (pgbouncer grew by
 * 27-35 objects per chained update).  Right before each call to a
 * deallocator this pass inserts stf__sub_free (object): the registration
 * ends while the object is still the caller's, so another thread cannot
 * have been handed the same address yet.
 *
 * A deallocator is a function declared STF_DEALLOCATOR, or the obvious
 * partner of an STF_ALLOCATOR declared in the unit: the same name with
 * the allocator's word replaced by its opposite (partner_words: slab_alloc
 * / slab_free, obj_alloc / obj_release, block_get / block_put, node_new /
 * node_delete,
 * buf_acquire / buf_release, conn_create / conn_destroy),
 * whose object parameter is a `void *` or the allocator's result type.  The
 * object is the parameter stf_freed_param names.  A program may keep
 * pointers to the slots it gave back (a list of all items, stale entries
 * included): libstf keeps them pointing nowhere (the next slot is never
 * taken for one past the end of the object before it: transfer/slots.h,
 * t/xfer/slabstale; t/idioms/usualslab).
 *
 * The pass runs right after "ssa", before inlining, so a deallocator
 * inlined into its callers (a static slab_free in the same file at -O2)
 * still has its calls seen.  A deallocator called through a pointer is
 * not seen: its objects stay registered until their block is freed.
 */
#include "stf-plugin.h"
#include "attributes.h"
#include "deallocators.h"

namespace {

/* Names of the STF_ALLOCATOR functions declared in the unit (their
 * declarations may come after their partner's). */
std::set<std::string> allocator_names;
/* Names of the STF_DEALLOCATOR functions declared in the unit. */
std::set<std::string> deallocator_names;

/* The words naming an allocator and its partner: X_alloc's partner is
 * X_free, X_dealloc or X_release, ... (t/xfer/gaps12-partners).  Only an
 * X_get declared STF_ALLOCATOR has X_put for partner (allocator_names):
 * a lookup's get and a reference count's put are no pair.  A stale
 * pointer to a block given back (t/idioms/jobq's task slots) points into
 * the untyped chunk, never at an object: member-uses.c leaves it be
 * (t/xfer/free13-getput). */
const struct {
	const char *alloc, *free;
} partner_words[] = {
	{ "alloc", "dealloc" }, { "alloc", "free" }, { "alloc", "release" },
	{ "get", "put" }, { "new", "delete" }, { "new", "free" },
	{ "acquire", "release" }, { "create", "destroy" },
};

/* name with the last occurrence of word replaced by by; "" when word is
 * not in name. */
std::string replace_word (const std::string &name, const char *word, const char *by)
{
	size_t at = name.rfind (word);
	if (at == std::string::npos)
		return "";
	return name.substr (0, at) + by + name.substr (at + strlen (word));
}

/* The STF_ALLOCATOR whose partner a function is by its name, NULL_TREE if
 * none. */
tree named_partner (tree fndecl)
{
	std::string name = stf_decl_name (fndecl);
	for (const auto &words : partner_words) {
		std::string alloc = replace_word (name, words.free, words.alloc);
		if (alloc.empty () || !allocator_names.count (alloc))
			continue;
		tree id = get_identifier (alloc.c_str ());
		symtab_node *n = symtab_node::get_for_asmname (id);
		if (n && TREE_CODE (n->decl) == FUNCTION_DECL && stf_is_allocator (n->decl))
			return n->decl;
		return error_mark_node; /* declared, not referenced here */
	}
	return NULL_TREE;
}

/* The parameter of fndecl receiving the object given back when fndecl is
 * an STF_ALLOCATOR's partner by its name, -1 when it is not. */
int named_freed_param (tree fndecl)
{
	if (stf_is_allocator (fndecl) || fndecl_built_in_p (fndecl))
		return -1;
	tree alloc = named_partner (fndecl);
	if (!alloc)
		return -1;
	int k = stf_freed_param (fndecl);
	tree t = stf_nth_param_type (fndecl, k);
	if (!t || !POINTER_TYPE_P (t))
		return -1;
	/* A `void *`, or what the allocator returns: not the slab itself
	 * (a slab_free (cache) destroying the whole cache). */
	if (VOID_TYPE_P (TREE_TYPE (t)))
		return k;
	if (alloc != error_mark_node
	    && TYPE_MAIN_VARIANT (TREE_TYPE (t))
	       == TYPE_MAIN_VARIANT (TREE_TYPE (TREE_TYPE (TREE_TYPE (alloc)))))
		return k;
	return -1;
}

/* The parameter of fndecl receiving the object given back, -1 when
 * fndecl is no deallocator. */
int freed_param (tree fndecl)
{
	if (stf_is_deallocator (fndecl))
		return stf_freed_param (fndecl);
	return named_freed_param (fndecl);
}

tree sub_free_decl (void)
{
	static tree decl;
	if (!decl) {
		tree type = build_function_type_list (void_type_node, ptr_type_node, NULL_TREE);
		decl = build_fn_decl ("stf__sub_free", type);
		TREE_PUBLIC (decl) = 1;
		DECL_EXTERNAL (decl) = 1;
		DECL_ARTIFICIAL (decl) = 1;
		TREE_NOTHROW (decl) = 1;
		stf_keep (decl);
	}
	return decl;
}

/* stf__sub_free (object) right before call. */
void insert_sub_free (gimple_stmt_iterator *gsi, gcall *call, tree object)
{
	location_t loc = gimple_location (call);
	if (!useless_type_conversion_p (ptr_type_node, TREE_TYPE (object))) {
		tree converted = make_ssa_name (ptr_type_node);
		gassign *conv = gimple_build_assign (converted, NOP_EXPR, object);
		gimple_set_location (conv, loc);
		gsi_insert_before (gsi, conv, GSI_SAME_STMT);
		object = converted;
	}
	tree fn = sub_free_decl ();
	gcall *unreg = gimple_build_call (fn, 1, object);
	gimple_set_location (unreg, loc);
	gsi_insert_before (gsi, unreg, GSI_SAME_STMT);
	cgraph_node::get (current_function_decl)
		->create_edge (cgraph_node::get_create (fn), unreg, gimple_bb (call)->count);
}

const pass_data deallocs_pass_data = {
	GIMPLE_PASS, "stf_deallocs", OPTGROUP_NONE, TV_NONE,
	PROP_ssa | PROP_cfg, 0, 0, 0, 0
};

class deallocs_pass : public gimple_opt_pass {
public:
	explicit deallocs_pass (gcc::context *ctxt) : gimple_opt_pass (deallocs_pass_data, ctxt) {}
	bool gate (function *) final override { return stf_active (); }
	unsigned int execute (function *fun) final override
	{
		bool inserted = false;
		basic_block bb;
		FOR_EACH_BB_FN (bb, fun)
			for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi);
			     gsi_next (&gsi)) {
				gcall *call = dyn_cast <gcall *> (gsi_stmt (gsi));
				tree callee = call ? gimple_call_fndecl (call) : NULL_TREE;
				if (!callee)
					continue;
				int k = freed_param (callee);
				if (k < 0 || (unsigned) k >= gimple_call_num_args (call)
				    || !POINTER_TYPE_P (TREE_TYPE (gimple_call_arg (call, k))))
					continue;
				insert_sub_free (&gsi, call, gimple_call_arg (call, k));
				inserted = true;
			}
		if (!inserted)
			return 0;
		mark_virtual_operands_for_renaming (fun);
		return TODO_update_ssa_only_virtuals;
	}
};

} /* namespace */

void stf_note_allocator_name (tree fndecl)
{
	allocator_names.insert (stf_decl_name (fndecl));
}

void stf_note_deallocator_name (tree fndecl)
{
	deallocator_names.insert (stf_decl_name (fndecl));
}

bool stf_has_deallocator (tree alloc)
{
	std::string name = stf_decl_name (alloc);
	for (const auto &words : partner_words) {
		std::string partner = replace_word (name, words.alloc, words.free);
		if (partner.empty ())
			continue;
		if (deallocator_names.count (partner))
			return true;
		symtab_node *n = symtab_node::get_for_asmname (get_identifier (partner.c_str ()));
		if (n && TREE_CODE (n->decl) == FUNCTION_DECL && freed_param (n->decl) >= 0)
			return true;
	}
	return false;
}

opt_pass *stf_make_deallocs_pass (gcc::context *ctxt)
{
	return new deallocs_pass (ctxt);
}
