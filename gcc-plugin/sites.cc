/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sites.cc - allocation sites.
 *
 * The pass runs after all GIMPLE optimizations, so a call removed as dead
 * leaves no marker, and a call that came from an inlined allocator wrapper
 * is seen in its caller and attributed to it.  Inside a function that is
 * itself an allocator wrapper (see allocators.cc) no markers are placed:
 * the marker of the wrapper's caller must reach the real allocator
 * untouched.  A found wrapper that callers in other units may call without
 * a marker keeps its own sites, used only when no marker is pending.
 *
 * A site is named after the source function that contains the call (the
 * innermost inlined function that is not a wrapper), its destination and
 * an ordinal in source order, so the ID does not depend on inlining or on
 * the order in which GCC compiles functions.  The destination and type
 * come from an early pass over the unoptimized code (by the call's source
 * position), which is the same at every optimization level; only calls
 * the optimizers made up are analyzed in their final form.  Copies of one
 * call made by the optimizers (same function, destination, allocator and
 * source position) share one site.
 */
#include "stf-plugin.h"
#include "sites.h"
#include "slab-args.h"
#include "objects.h"
#include "allocators.h"
#include "attributes.h"
#include "deallocators.h"
#include "member-uses.h"
#include "size-header.h"
#include "inline-notes.h"
#include "runtime-calls.h"

namespace {

struct pending_site {
	std::string func, allocator, dest;
	tree type; /* element type, NULL if unknown */
	int used_as; /* its result's uses (stf_follow_site_value), or -1 */
	bool sub_objects; /* an STF_ALLOCATOR's: typed by libstf, at run time */
	std::string file;
	unsigned line, column;
	unsigned flags;
	uint64_t count;
	std::string slab_static, slab_path; /* a slot site's: where the slab it
	                            passes is read from (stf_slab_arg_path), "" if
	                            not from a static */
	stf_size_header header; /* a block an STF_ALLOCATOR hands out part of */
	int64_t undeclared_prefix; /* a block another function hands out part
	                              of: its prefix (stf_undeclared_prefix) */
	bool sizeless_wrapper; /* the call came from inlined wrappers, the
	                          outermost of which takes no size argument */
};

std::vector<pending_site> sites;
std::map<std::string, unsigned> site_by_key;

/* "struct entry" / "union u" / typedef name of a record type. */
std::string record_name (tree type)
{
	tree main = TYPE_MAIN_VARIANT (type);
	const char *kw = TREE_CODE (main) == UNION_TYPE ? "union " : "struct ";
	tree tag = TYPE_NAME (main);
	if (tag && TREE_CODE (tag) == IDENTIFIER_NODE)
		return kw + std::string (IDENTIFIER_POINTER (tag));
	if (typedef_variant_p (type))
		return stf_decl_name (TYPE_NAME (type));
	return "";
}

/* Destination of a store: a variable name, "struct T.member", "var[]". */
std::string describe_store (tree lhs, int depth)
{
	if (depth > 8)
		return "";
	switch (TREE_CODE (lhs)) {
	case VAR_DECL:
	case PARM_DECL:
		return DECL_ARTIFICIAL (lhs) ? "" : stf_decl_name (lhs);
	case COMPONENT_REF: {
		tree base = TREE_OPERAND (lhs, 0);
		std::string rec = record_name (TREE_TYPE (base));
		if (rec.empty ())
			rec = describe_store (base, depth + 1);
		if (rec.empty ())
			return "";
		return rec + "." + stf_decl_name (TREE_OPERAND (lhs, 1));
	}
	case ARRAY_REF: {
		std::string base = describe_store (TREE_OPERAND (lhs, 0), depth + 1);
		return base.empty () ? "" : base + "[]";
	}
	case MEM_REF: {
		tree addr = TREE_OPERAND (lhs, 0);
		if (TREE_CODE (addr) == ADDR_EXPR && integer_zerop (TREE_OPERAND (lhs, 1)))
			return describe_store (TREE_OPERAND (addr, 0), depth + 1);
		return "";
	}
	default:
		return "";
	}
}

struct dest_info {
	int rank = 0; /* 3 named store, 2 return, 1 named local, 0 unknown */
	std::string name;
	tree type = NULL_TREE; /* pointer type the result is used as */
	tree scope = NULL_TREE; /* outer block of the inlined caller, if any */
	tree caller = NULL_TREE;
	std::pair<int, int> where = { INT_MAX, INT_MAX }; /* of the chosen store */
	bool slot = false; /* a slot allocator's result: see callee_param_type */
};

/* Source position of a statement, to choose between several stores the
 * same way at every optimization level. */
std::pair<int, int> position (gimple *stmt)
{
	expanded_location xl = expand_location (gimple_location (stmt));
	return std::make_pair (xl.line, xl.column);
}

/* Whether a statement lies outside the inlined body of the caller, i.e.
 * the value reached it through the caller's return. */
bool outside_scope (gimple *stmt, tree scope)
{
	tree b = gimple_block (stmt);
	if (!scope || !b)
		return false;
	for (; b && TREE_CODE (b) == BLOCK; b = BLOCK_SUPERCONTEXT (b))
		if (b == scope)
			return false;
	return true;
}

void set_return (dest_info &d)
{
	if (d.rank < 2) {
		d.rank = 2;
		d.name = "return";
		d.type = TREE_TYPE (TREE_TYPE (d.caller));
	}
}

/* Whether a local's pointer type says what a block is: a pointer to
 * anything but void, `void *` or bytes (`char *` and `void **` locals
 * hold raw bytes or generic words: the block stays untyped, its words
 * classified one by one). */
bool says_object_type (tree type)
{
	if (!type || !POINTER_TYPE_P (type))
		return false;
	tree t = TREE_TYPE (type);
	if (POINTER_TYPE_P (t) && VOID_TYPE_P (TREE_TYPE (t)))
		return false;
	return !VOID_TYPE_P (t)
	       && !(TREE_CODE (t) == INTEGER_TYPE && TYPE_PRECISION (t) == CHAR_TYPE_SIZE);
}

/* The type of the parameter of call c that `value` is passed as, when it
 * says what a block is (says_object_type): a slot allocator's result
 * handed straight to the function filling it (add_server (slab_alloc
 * (cache), id), add_server taking a `struct conn *`).  Only a slot
 * allocator's site is typed so: it takes no size, so an untyped site of it
 * registers nothing (handed_out_size) and libstf never learns of its
 * objects, whose slots then travel as raw bytes of their chunk even when
 * their type grows; a sized allocator's objects are typed by libstf at
 * run time, malloc's by their uses (stf_site_used_as).  NULL_TREE if
 * none. */
tree callee_param_type (gcall *c, tree value)
{
	tree fntype = gimple_call_fntype (c);
	if (!fntype || gimple_call_internal_p (c))
		return NULL_TREE;
	tree parm = TYPE_ARG_TYPES (fntype);
	for (unsigned i = 0; i < gimple_call_num_args (c) && parm; i++, parm = TREE_CHAIN (parm))
		if (gimple_call_arg (c, i) == value)
			return says_object_type (TREE_VALUE (parm)) ? TREE_VALUE (parm) : NULL_TREE;
	return NULL_TREE;
}

/* Follow the SSA uses of an allocator's result to where it is kept. */
void follow (tree name, dest_info &d, int depth, std::set<tree> &seen)
{
	if (depth > 8 || !seen.insert (name).second)
		return;
	imm_use_iterator it;
	use_operand_p use;
	FOR_EACH_IMM_USE_FAST (use, it, name) {
		gimple *u = USE_STMT (use);
		if (is_gimple_debug (u))
			continue;
		if (outside_scope (u, d.scope)) {
			set_return (d);
			continue;
		}
		if (gassign *a = dyn_cast <gassign *> (u)) {
			tree lhs = gimple_assign_lhs (a);
			if (gimple_assign_rhs1 (a) != name)
				continue;
			if (gimple_assign_single_p (a) && TREE_CODE (lhs) != SSA_NAME) {
				std::string where = describe_store (lhs, 0);
				if (where.empty ()) {
					/* A store through a computed address
					 * (*out = p, v[i] = p) tells the type
					 * only: a named local names the site
					 * better, and "" would leave just the
					 * ordinal to tell sites apart. */
					if (d.rank == 0 && !d.type)
						d.type = TREE_TYPE (lhs);
				} else if (d.rank < 3 || position (a) < d.where) {
					d.rank = 3;
					d.name = where;
					d.type = TREE_TYPE (lhs);
					d.where = position (a);
				}
			} else if (TREE_CODE (lhs) == SSA_NAME
				   && (gimple_assign_single_p (a)
				       || CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a)))) {
				follow (lhs, d, depth + 1, seen);
			}
		} else if (gphi *p = dyn_cast <gphi *> (u)) {
			follow (gimple_phi_result (p), d, depth + 1, seen);
		} else if (gcall *c = dyn_cast <gcall *> (u)) {
			/* __builtin_assume_aligned (p, n) is p, and so is
			 * memset (p, 0, n): APR's apr_pcalloc (p, n) is
			 * memset (apr_palloc (p, n), 0, n) */
			if ((gimple_call_builtin_p (c, BUILT_IN_ASSUME_ALIGNED)
			     || gimple_call_builtin_p (c, BUILT_IN_MEMSET))
			    && gimple_call_arg (c, 0) == name && gimple_call_lhs (c)
			    && TREE_CODE (gimple_call_lhs (c)) == SSA_NAME)
				follow (gimple_call_lhs (c), d, depth + 1, seen);
			else if (d.slot && d.rank == 0 && !d.type)
				d.type = callee_param_type (c, name);
		} else if (is_a <greturn *> (u)) {
			set_return (d);
		}
	}
	tree var = SSA_NAME_VAR (name);
	if (d.rank < 1 && var && (TREE_CODE (var) == VAR_DECL || TREE_CODE (var) == PARM_DECL)
	    && DECL_NAME (var) && !DECL_ARTIFICIAL (var)) {
		d.rank = 1;
		d.name = stf_decl_name (var);
		/* A void * local leaves the type to a store through a pointer. */
		tree vt = TREE_TYPE (var);
		if (!d.type || (POINTER_TYPE_P (vt) && !VOID_TYPE_P (TREE_TYPE (vt))))
			d.type = vt;
	}
}

/* The first store of the result right after the call, in the call's
 * block: where the unoptimized code stores it too (`a = b = malloc (n)`
 * names b at every level). */
bool first_store (gcall *call, tree result, dest_info &d)
{
	std::set<tree> names = { result };
	gimple_stmt_iterator gsi = gsi_for_stmt (call);
	for (gsi_next (&gsi); !gsi_end_p (gsi); gsi_next (&gsi)) {
		gassign *a = dyn_cast <gassign *> (gsi_stmt (gsi));
		if (!a)
			continue;
		tree lhs = gimple_assign_lhs (a);
		if (!names.count (gimple_assign_rhs1 (a)) || outside_scope (a, d.scope))
			continue;
		if (gimple_assign_single_p (a) && TREE_CODE (lhs) != SSA_NAME) {
			/* Unnamed (through a pointer): see follow. */
			d.name = describe_store (lhs, 0);
			if (d.name.empty ())
				return false;
			d.rank = 3;
			d.type = TREE_TYPE (lhs);
			return true;
		}
		if (TREE_CODE (lhs) == SSA_NAME
		    && (gimple_assign_single_p (a)
			|| CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a))))
			names.insert (lhs);
	}
	return false;
}

bool constant_arg (gcall *call, int arg, uint64_t *value)
{
	if (arg < 0 || (unsigned) arg >= gimple_call_num_args (call))
		return false;
	tree a = gimple_call_arg (call, arg);
	if (TREE_CODE (a) != INTEGER_CST || !tree_fits_uhwi_p (a))
		return false;
	*value = tree_to_uhwi (a);
	return true;
}

/* The SSA name the value of a local temporary is first loaded into. */
tree load_of (tree var)
{
	basic_block bb;
	FOR_EACH_BB_FN (bb, cfun)
		for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi);
		     gsi_next (&gsi)) {
			gassign *a = dyn_cast <gassign *> (gsi_stmt (gsi));
			if (a && gimple_assign_single_p (a) && gimple_assign_rhs1 (a) == var
			    && TREE_CODE (gimple_assign_lhs (a)) == SSA_NAME)
				return gimple_assign_lhs (a);
		}
	return NULL_TREE;
}

/* Where the result of an allocator call goes: following its SSA uses from
 * the call, in a function or in the inlined body of caller (scope); for
 * posix_memalign, the object its first argument points to. */
dest_info analyze_dest (gcall *call, const stf_allocator_desc &alloc, tree caller,
			tree scope)
{
	dest_info d;
	d.scope = scope;
	d.caller = caller;
	d.slot = alloc.flags & STF_SF_SLOT;
	if (alloc.out_arg >= 0) {
		tree out = (unsigned) alloc.out_arg < gimple_call_num_args (call)
			   ? gimple_call_arg (call, alloc.out_arg) : NULL_TREE;
		if (!out || TREE_CODE (out) != ADDR_EXPR)
			return d;
		tree obj = TREE_OPERAND (out, 0);
		if (TREE_CODE (obj) == VAR_DECL && DECL_ARTIFICIAL (obj)) {
			/* GCC passes posix_memalign a temporary when the
			 * real pointer can live in a register: follow the
			 * load of the temporary. */
			tree loaded = load_of (obj);
			if (loaded) {
				std::set<tree> seen;
				follow (loaded, d, 0, seen);
			}
			return d;
		}
		d.name = describe_store (obj, 0);
		d.type = TREE_TYPE (obj);
		return d;
	}
	tree lhs = gimple_call_lhs (call);
	if (lhs && TREE_CODE (lhs) == SSA_NAME) {
		if (!first_store (call, lhs, d)) {
			std::set<tree> seen;
			follow (lhs, d, 0, seen);
		}
		/* Kept in a typed local, then stored or returned as
		 * `void *` (a dictionary's `e->val = u` after `struct user
		 * *u = malloc (sizeof *u)`; a module's create_conf returning
		 * its `struct conf *c`): the local's type says what the
		 * block is, the `void *` only where it ends up. */
		tree var = SSA_NAME_VAR (lhs);
		tree vt = var && TREE_CODE (var) == VAR_DECL && !DECL_ARTIFICIAL (var)
			  ? TREE_TYPE (var) : NULL_TREE;
		if ((!d.type || (POINTER_TYPE_P (d.type) && VOID_TYPE_P (TREE_TYPE (d.type))))
		    && says_object_type (vt))
			d.type = vt;
	} else if (lhs) {
		d.name = describe_store (lhs, 0);
		d.type = TREE_TYPE (lhs);
	}
	return d;
}

/* Element type: what the destination's pointer type points to. */
tree element_type (const dest_info &d)
{
	if (d.type && POINTER_TYPE_P (d.type) && !VOID_TYPE_P (TREE_TYPE (d.type)))
		return TREE_TYPE (d.type);
	return NULL_TREE;
}

std::string position_key (location_t loc)
{
	expanded_location xl = expand_location (loc);
	return std::string (xl.file ? xl.file : "") + ':' + std::to_string (xl.line)
	       + ':' + std::to_string (xl.column);
}

/* Caller, destination and type of each allocator call as the unoptimized
 * code has them (recorded right after SSA construction, identical at every
 * optimization level), by source position of the call. */
struct early_site {
	std::string allocator, func, dest;
	tree type;
	int used_as;
	bool sub_objects;
	stf_size_header header;
	int64_t undeclared_prefix;
};
std::map<std::string, std::vector<early_site>> early_sites;

bool same_destination (const early_site &a, const early_site &b)
{
	return a.func == b.func && a.dest == b.dest && a.used_as == b.used_as
	       && a.sub_objects == b.sub_objects
	       && (a.type == b.type
		   || (a.type && b.type
		       && TYPE_MAIN_VARIANT (a.type) == TYPE_MAIN_VARIANT (b.type)));
}

const early_site *find_early (const std::string &pos, const std::string &allocator)
{
	auto it = early_sites.find (pos);
	if (it == early_sites.end ())
		return NULL;
	/* Several calls of one allocator at one position (a macro holding
	 * two) cannot be told apart here: unless they all keep the result
	 * in the same place (GLib's g_new0 calls g_malloc0 on two branches
	 * the optimizers fold into one, whose final code no longer shows
	 * the typed local), the final code decides. */
	const early_site *found = NULL;
	for (const early_site &e : it->second)
		if (e.allocator == allocator) {
			if (found && !same_destination (*found, e))
				return NULL;
			if (!found)
				found = &e;
		}
	if (found)
		return found;
	/* The optimizers may change the allocator (malloc + memset becomes
	 * calloc): a lone call at that position is still the same site. */
	return it->second.size () == 1 ? &it->second[0] : NULL;
}

std::string allocator_name (tree fndecl, const stf_allocator_desc &alloc)
{
	return alloc.name ? alloc.name : stf_function_name (fndecl);
}

void record_early (gcall *call)
{
	tree fndecl = gimple_call_fndecl (call);
	stf_allocator_desc alloc;
	if (!fndecl || !stf_classify_allocator (fndecl, &alloc))
		return;
	dest_info d = analyze_dest (call, alloc, current_function_decl, NULL_TREE);
	tree type = element_type (d);
	early_site e = { allocator_name (fndecl, alloc),
			 stf_function_name (current_function_decl), d.name, type, -1,
			 stf_registers_result (fndecl), stf_size_header (),
			 stf_undeclared_prefix (call, alloc, type) };
	stf_find_size_header (call, alloc, &e.header);
	if (e.undeclared_prefix)
		stf_verbose (gimple_location (call), "stf: %qD hands out this block past a "
			     "prefix of %wd bytes but is not declared %<STF_ALLOCATOR%>: an update "
			     "rolls back while one lives and a struct changes",
			     current_function_decl, (HOST_WIDE_INT) e.undeclared_prefix);
	/* No type where it is kept: what the functions it is handed to use
	 * it as (a callback's `struct conn *c = arg`).  The sub-objects an
	 * STF_ALLOCATOR hands out are typed by libstf at run time, as
	 * objects of their own in the container's index (a type given here
	 * would type the container's sites). */
	tree lhs = gimple_call_lhs (call);
	uint64_t size, n = 1;
	if (!e.type && alloc.out_arg < 0 && !(alloc.flags & STF_SF_STRING) && lhs
	    && TREE_CODE (lhs) == SSA_NAME)
		e.used_as = stf_follow_site_value (
			lhs, constant_arg (call, alloc.size_arg, &size)
			&& (alloc.count_arg < 0 || constant_arg (call, alloc.count_arg, &n))
			? size * n : 0);
	if (e.type)
		stf_keep (e.type);
	early_sites[position_key (gimple_location (call))].push_back (e);
}

/* Record the site of an allocator call; its index, or -1 to skip. */
int record_site (gcall *call)
{
	tree fndecl = gimple_call_fndecl (call);
	stf_allocator_desc alloc;
	if (!fndecl || !stf_classify_allocator (fndecl, &alloc))
		return -1;

	pending_site s;
	s.flags = alloc.flags;
	s.sizeless_wrapper = false;
	/* objects taken back one by one: a size-class allocator, not a pool
	 * (libstf must not move one out of its place) */
	if (stf_is_allocator (fndecl) && !(alloc.flags & STF_SF_SLOT)
	    && stf_has_deallocator (fndecl))
		s.flags |= STF_SF_GIVEN_BACK;
	s.allocator = allocator_name (fndecl, alloc);
	if (stf_registers_result (fndecl) && stf_registers_result (current_function_decl)
	    && stf_body_marking (current_function_decl) == STF_MARK_FALLBACK)
		s.flags |= STF_SF_UNKNOWN_CALLERS;
	location_t loc = gimple_location (call);

	/* Inlined scopes, innermost first: the calls of inlined wrappers are
	 * sites of the wrappers' callers, at the wrapper call's location. */
	tree caller = current_function_decl, scope = NULL_TREE;
	for (tree b = gimple_block (call); b && TREE_CODE (b) == BLOCK;
	     b = BLOCK_SUPERCONTEXT (b)) {
		if (!inlined_function_outer_scope_p (b))
			continue;
		tree fn = block_ultimate_origin (b);
		if (!fn || TREE_CODE (fn) != FUNCTION_DECL)
			break;
		stf_allocator_desc wrapper;
		if (!stf_is_wrapper (fn) || stf_is_allocator (fn)
		    || !stf_classify_allocator (fn, &wrapper)) {
			caller = fn;
			scope = b;
			break;
		}
		/* What the wrapper passes on, also where GCC folded the real
		 * call (realloc (NULL, n) is malloc (n)). */
		s.flags |= STF_SF_INLINED | (wrapper.flags & ~STF_SF_CONSTCNT);
		s.allocator = stf_function_name (fn);
		s.sizeless_wrapper = wrapper.size_arg < 0;
		loc = BLOCK_SOURCE_LOCATION (b);
	}

	const early_site *e = find_early (position_key (loc), s.allocator);
	if (e) {
		s.func = e->func;
		s.dest = e->dest;
		s.type = e->type;
		s.used_as = e->used_as;
		s.sub_objects = e->sub_objects;
		s.header = e->header;
		s.undeclared_prefix = e->undeclared_prefix;
	} else {
		/* A call the optimizers made up: analyze the final code. */
		dest_info d = analyze_dest (call, alloc, caller, scope);
		s.func = stf_function_name (caller);
		s.dest = d.name;
		s.type = element_type (d);
		s.used_as = -1;
		s.sub_objects = false;
		s.undeclared_prefix = 0;
	}
	if (!s.type && (s.flags & STF_SF_STRING))
		s.type = char_type_node;

	s.count = 0;
	uint64_t size, n = 1;
	HOST_WIDE_INT elem = s.type ? int_size_in_bytes (s.type) : -1;
	if (elem > 0 && constant_arg (call, alloc.size_arg, &size)
	    && (alloc.count_arg < 0 || constant_arg (call, alloc.count_arg, &n))
	    && (size * n) % (uint64_t) elem == 0) {
		s.count = size * n / (uint64_t) elem;
		s.flags |= STF_SF_CONSTCNT;
	}
	if (!stf_slab_arg_path (call, alloc, &s.slab_static, &s.slab_path))
		s.slab_static.clear ();

	expanded_location xl = expand_location (loc);
	s.file = xl.file ? xl.file : "";
	s.line = xl.line;
	s.column = xl.column;

	std::string key = s.func + '\0' + s.dest + '\0' + s.allocator + '\0' + s.file
			  + '\0' + std::to_string (s.line) + ':' + std::to_string (s.column);
	auto it = site_by_key.find (key);
	if (it != site_by_key.end ())
		return (int) it->second;
	if (s.type)
		stf_keep (s.type);
	sites.push_back (s);
	site_by_key[key] = sites.size () - 1;
	return (int) sites.size () - 1;
}

/* stf__alloc_site = &site_ids[idx]; right before the call.  When only_if_none
 * (the call is in a wrapper some callers do not mark), the cell is stored
 * only if no marker is pending: stf__alloc_site = stf__alloc_site ?: cell. */
void insert_marker (gimple_stmt_iterator *gsi, gcall *call, unsigned idx,
		    bool only_if_none, unsigned *todo)
{
	tree site = stf_alloc_site_decl ();
	tree ptype = TREE_TYPE (site);
	tree ids = stf_site_ids_decl ();
	tree cell = build4 (ARRAY_REF, TREE_TYPE (TREE_TYPE (ids)), ids,
			    build_int_cst (integer_type_node, idx), NULL_TREE, NULL_TREE);
	tree value = build_fold_addr_expr (cell);
	location_t loc = gimple_location (call);
	tree vuse = gimple_vuse (call);
	auto insert = [&] (gimple *stmt) {
		gimple_set_location (stmt, loc);
		gsi_insert_before (gsi, stmt, GSI_SAME_STMT);
	};
	if (only_if_none) {
		tree pending = make_ssa_name (ptype);
		gassign *load = gimple_build_assign (pending, site);
		if (vuse)
			gimple_set_vuse (load, vuse);
		insert (load);
		if (!useless_type_conversion_p (ptype, TREE_TYPE (value))) {
			tree converted = make_ssa_name (ptype);
			insert (gimple_build_assign (converted, NOP_EXPR, value));
			value = converted;
		}
		tree none = make_ssa_name (boolean_type_node);
		insert (gimple_build_assign (none, EQ_EXPR, pending, build_int_cst (ptype, 0)));
		tree chosen = make_ssa_name (ptype);
		insert (gimple_build_assign (chosen, COND_EXPR, none, value, pending));
		value = chosen;
	}
	gassign *store = gimple_build_assign (site, value);
	if (vuse) {
		/* Thread the store into the virtual use-def chain by hand:
		 * it uses the call's old memory state and defines the one
		 * the call now uses. */
		tree vdef = make_ssa_name (gimple_vop (cfun), store);
		gimple_set_vuse (store, vuse);
		gimple_set_vdef (store, vdef);
		insert (store);
		SET_USE (gimple_vuse_op (call), vdef);
	} else {
		insert (store);
		mark_virtual_operands_for_renaming (cfun);
		*todo |= TODO_update_ssa_only_virtuals;
	}
}

/* The size an STF_ALLOCATOR call hands out, as a size_t value before the
 * call: its size argument (times its count argument), else the size of
 * the element type the site stores the result as; 0 (register nothing)
 * for an untyped or character destination without a size argument. */
tree handed_out_size (gcall *call, const stf_allocator_desc &alloc, const pending_site &s,
		      gimple_stmt_iterator *gsi)
{
	unsigned nargs = gimple_call_num_args (call);
	/* an object of no type (stored in a `void *`) is registered by its
	 * size argument too: libstf types it by the use of the member
	 * pointing to it (a pool's `elts = pool_alloc(p, n * size)`).  Not
	 * the size a wrapper without a size parameter passes on, inlined
	 * (robjd's string_new (s) calling zmalloc (strlen (s), T_STRING)):
	 * the wrapper's own call registers by its type only, and so must its
	 * inlined body, or -O2 registers sub-objects -O0 leaves as bytes of
	 * the block, to be typed by the member holding them (the strings
	 * taken for the struct counter the member is also used as). */
	if (alloc.size_arg >= 0 && (unsigned) alloc.size_arg < nargs && !s.sizeless_wrapper) {
		tree size = fold_convert (size_type_node, gimple_call_arg (call, alloc.size_arg));
		if (alloc.count_arg >= 0 && (unsigned) alloc.count_arg < nargs)
			size = fold_build2 (MULT_EXPR, size_type_node, size,
					    fold_convert (size_type_node,
							  gimple_call_arg (call, alloc.count_arg)));
		return force_gimple_operand_gsi (gsi, size, true, NULL_TREE, true,
						 GSI_SAME_STMT);
	}
	if (!s.type || !COMPLETE_TYPE_P (s.type))
		return size_zero_node;
	HOST_WIDE_INT elem = int_size_in_bytes (s.type);
	if (elem <= 1)
		return size_zero_node;
	return build_int_cst (size_type_node, elem);
}

/* Right after a call to an STF_ALLOCATOR function: stf__sub_object
 * (result, size, &site_ids[idx]), which types what it handed out (a
 * sub-object of one of its blocks, or a whole block).  No marker is set
 * before such a call: the blocks allocated inside are the allocator's own
 * sites, so nothing is left pending when it allocates nothing. */
void insert_registration (gimple_stmt_iterator *gsi, gcall *call, unsigned idx,
			  unsigned *todo)
{
	tree lhs = gimple_call_lhs (call);
	stf_allocator_desc alloc;
	if (!lhs || !stf_classify_allocator (gimple_call_fndecl (call), &alloc))
		return;
	if (stmt_ends_bb_p (call)) {
		warning_at (gimple_location (call), 0, "stf: the object %qD returns here is "
			    "not typed (the call ends its basic block); it is transferred as "
			    "untyped memory", gimple_call_fndecl (call));
		return;
	}
	location_t loc = gimple_location (call);
	/* the size, computed before the call (its arguments may be
	 * overwritten by it) */
	tree size = handed_out_size (call, alloc, sites[idx], gsi);
	bool integer;
	tree cache = stf_slot_cache_arg (call, alloc, gsi, &integer);
	if (TREE_CODE (size) != INTEGER_CST) {
		tree saved = make_ssa_name (size_type_node);
		gassign *a = gimple_build_assign (saved, size);
		gimple_set_location (a, loc);
		gsi_insert_before (gsi, a, GSI_SAME_STMT);
		size = saved;
	}
	tree ids = stf_site_ids_decl ();
	tree cell = build_fold_addr_expr (build4 (ARRAY_REF, TREE_TYPE (TREE_TYPE (ids)), ids,
						  build_int_cst (integer_type_node, idx),
						  NULL_TREE, NULL_TREE));
	bool shadowed = TREE_CODE (size) == INTEGER_CST
			&& tree_fits_uhwi_p (size) && tree_to_uhwi (size) >= 8;
	/* a size that varies: noted in the map when its wrapper's header
	 * holds it (a size-prefixing wrapper's strings) */
	bool sized = TREE_CODE (size) != INTEGER_CST;
	bool inline_note = sized || (shadowed && stf_inline_note_fits (size));
	tree fn = shadowed || sized ? stf_sub_note_decl (sized) : stf_sub_object_decl ();
	tree cell_type = TREE_VALUE (TREE_CHAIN (TREE_CHAIN (TYPE_ARG_TYPES (TREE_TYPE (fn)))));
	gimple_stmt_iterator after = *gsi;
	tree ptr = lhs;
	if (TREE_CODE (lhs) != SSA_NAME) {
		/* stored straight to memory: read it back */
		ptr = make_ssa_name (TREE_TYPE (lhs));
		gassign *load = gimple_build_assign (ptr, unshare_expr (lhs));
		gimple_set_location (load, loc);
		gsi_insert_after (&after, load, GSI_NEW_STMT);
	}
	if (!useless_type_conversion_p (ptr_type_node, TREE_TYPE (ptr))) {
		tree converted = make_ssa_name (ptr_type_node);
		gassign *conv = gimple_build_assign (converted, NOP_EXPR, ptr);
		gimple_set_location (conv, loc);
		gsi_insert_after (&after, conv, GSI_NEW_STMT);
		ptr = converted;
	}
	tree cell_value = make_ssa_name (cell_type);
	gassign *conv = gimple_build_assign (cell_value, NOP_EXPR, cell);
	gimple_set_location (conv, loc);
	gsi_insert_after (&after, conv, GSI_NEW_STMT);
	/* the slot allocator's cache first: the inline note ends the block */
	gcall *rec = cache ? stf_insert_slot_arg (&after, call, cache, integer, cell_value, loc)
			   : NULL;
	/* a note's call takes its code cache (none for a size noted by the
	 * call only) */
	gcall *reg = !shadowed && !sized ? gimple_build_call (fn, 3, ptr, size, cell_value)
		: gimple_build_call (fn, 4, ptr, size, cell_value,
				     inline_note ? build_fold_addr_expr (stf_inline_note_cache ())
				     : build_int_cst (build_pointer_type (unsigned_char_type_node), 0));
	gimple_set_location (reg, loc);
	if (inline_note)
		stf_inline_note (&after, ptr, size, reg, loc);
	else
		gsi_insert_after (&after, reg, GSI_NEW_STMT);
	cgraph_node::get (current_function_decl)
		->create_edge (cgraph_node::get_create (fn), reg, gimple_bb (call)->count);
	/* a pool's allocator is called with the same pool over and over:
	 * the call records a pointer cache once per thread (a masked pointer
	 * is never 0, the words' first value); an integer one, or 0 (a
	 * static cache), is recorded by the call each time */
	if (rec && !integer && TREE_CODE (cache) == SSA_NAME) {
		gimple *last = gsi_stmt (after);
		gimple_stmt_iterator at = gsi_for_stmt (rec);
		stf_inline_slot_arg (&at);
		after = gsi_for_stmt (last);
	}
	mark_virtual_operands_for_renaming (cfun);
	*todo |= TODO_update_ssa_only_virtuals;
	*gsi = after;
}

const pass_data dests_pass_data = {
	GIMPLE_PASS, "stf_dests", OPTGROUP_NONE, TV_NONE,
	PROP_ssa | PROP_cfg, 0, 0, 0, 0
};

class dests_pass : public gimple_opt_pass {
public:
	explicit dests_pass (gcc::context *ctxt) : gimple_opt_pass (dests_pass_data, ctxt) {}
	bool gate (function *) final override { return stf_active (); }
	unsigned int execute (function *fun) final override
	{
		if (stf_body_marking (fun->decl) == STF_MARK_NONE)
			return 0;
		basic_block bb;
		FOR_EACH_BB_FN (bb, fun)
			for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi);
			     gsi_next (&gsi))
				if (gcall *call = dyn_cast <gcall *> (gsi_stmt (gsi)))
					record_early (call);
		return 0;
	}
};

const pass_data sites_pass_data = {
	GIMPLE_PASS, "stf_sites", OPTGROUP_NONE, TV_NONE,
	PROP_ssa | PROP_cfg, 0, 0, 0, 0
};

class sites_pass : public gimple_opt_pass {
public:
	explicit sites_pass (gcc::context *ctxt) : gimple_opt_pass (sites_pass_data, ctxt) {}
	bool gate (function *) final override { return stf_active (); }
	unsigned int execute (function *fun) final override;
};

/* A call stf__sub_free (p) the deallocs pass put before a partner free
 * (deallocators.cc), made inline here (inline-notes.cc). */
static bool gives_back (gcall *call)
{
	tree fn = gimple_call_fndecl (call);
	return fn && DECL_NAME (fn) && gimple_call_num_args (call) == 1
	       && !strcmp (IDENTIFIER_POINTER (DECL_NAME (fn)), "stf__sub_free");
}

unsigned int sites_pass::execute (function *fun)
{
	unsigned todo = 0;
	/* the calls now on a slow way, in blocks visited later */
	std::set<gimple *> slow_ways;
	enum stf_marking marking = stf_body_marking (fun->decl);
	basic_block bb;
	stf_note_function_strings (fun);
	FOR_EACH_BB_FN (bb, fun) {
		for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi);
		     gsi_next (&gsi)) {
			gcall *call = dyn_cast <gcall *> (gsi_stmt (gsi));
			if (!call)
				continue;
			if (gives_back (call) && slow_ways.insert (call).second) {
				stf_inline_give_back (&gsi);
				todo |= TODO_update_ssa_only_virtuals;
				continue;
			}
			if (marking == STF_MARK_NONE)
				continue;
			int idx = record_site (call);
			if (idx < 0)
				continue;
			if (stf_registers_result (gimple_call_fndecl (call)))
				insert_registration (&gsi, call, (unsigned) idx, &todo);
			else
				insert_marker (&gsi, call, (unsigned) idx,
					       marking == STF_MARK_FALLBACK, &todo);
		}
	}
	return todo;
}

} /* namespace */

opt_pass *stf_make_dests_pass (gcc::context *ctxt)
{
	return new dests_pass (ctxt);
}

opt_pass *stf_make_sites_pass (gcc::context *ctxt)
{
	return new sites_pass (ctxt);
}

unsigned stf_site_count (void)
{
	return sites.size ();
}

void stf_collect_sites (stf_blob &blob, stf_types &types)
{
	/* Ordinals count the sites of one caller and destination in source
	 * order. */
	std::vector<unsigned> order (sites.size ());
	for (unsigned i = 0; i < order.size (); i++)
		order[i] = i;
	std::stable_sort (order.begin (), order.end (), [] (unsigned a, unsigned b) {
		const pending_site &x = sites[a], &y = sites[b];
		if (x.file != y.file)
			return x.file < y.file;
		if (x.line != y.line)
			return x.line < y.line;
		if (x.column != y.column)
			return x.column < y.column;
		return x.allocator < y.allocator;
	});
	std::vector<unsigned> ordinal (sites.size ());
	std::map<std::pair<std::string, std::string>, unsigned> next;
	for (unsigned i : order)
		ordinal[i] = next[std::make_pair (sites[i].func, sites[i].dest)]++;

	for (unsigned i = 0; i < sites.size (); i++) {
		pending_site &s = sites[i];
		if (!s.type && s.used_as >= 0 && !s.sub_objects)
			s.type = stf_site_used_as (s.used_as);
		stf_site_rec r;
		memset (&r, 0, sizeof r);
		std::string id = std::string (stf_unit_file ()) + ":" + s.func + "/"
				 + s.dest + "#" + std::to_string (ordinal[i]);
		r.id = blob.str (id);
		r.func = blob.str (s.func);
		r.allocator = blob.str (s.allocator);
		r.dest = blob.str (s.dest);
		r.type = s.type ? types.index (s.type) : STF_NONE;
		if (r.type == STF_NONE && s.used_as >= 0)
			stf_name_untyped_site (s.used_as, id, s.sub_objects);
		r.ordinal = ordinal[i];
		r.line = s.line;
		r.flags = s.flags;
		r.count = s.count;
		if (!s.slab_static.empty ()) {
			r.flags |= STF_SF_SLAB_STATIC;
			r.slab = blob.str (s.slab_static);
			r.slab_path = blob.str (s.slab_path);
		}
		if (s.header.known) {
			r.flags |= STF_SF_SIZE_HEADER;
			r.prefix = (uint32_t) s.header.prefix;
			r.size_at = s.header.at;
			r.size_width = s.header.width;
			r.size_add = s.header.add;
			r.counter = blob.str (s.header.counter);
		}
		if (s.undeclared_prefix) {
			r.flags |= STF_SF_UNDECLARED_PREFIX;
			r.prefix = (uint32_t) s.undeclared_prefix;
		}
		blob.sites.push_back (r);
	}
}
