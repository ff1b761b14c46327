/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * addr-keys.cc - the objects whose address the code keeps as an integer:
 * a pointer converted to an integer that is then hashed, stored or used to
 * choose a slot (`h = ((uintptr_t)c >> 4) * K; live[h % n] = ...`).  A set
 * keyed by object address finds nothing in the new version if its objects
 * move: libstf keeps them at their address (libstf/transfer/addr-keys.c).
 *
 * The integer is followed through copies, conversions and arithmetic to
 * what keeps it: a store to memory, an index or pointer offset, a return
 * (a hash function), an argument of a function of the program.  What does
 * not keep it: comparisons, a conversion back to a pointer (rounding), an
 * alignment test on the raw address (`& 15`, `% 64`), a difference of two
 * addresses (an offset), the C library's functions (printf), and the raw
 * address (tagged, `| 1`, or with an offset) stored: a number to ttst, or
 * in a uintptr_t followed value by value (untyped-plan.c).
 *
 * The pointer is followed back to its type: a struct T (STF_USE_ADDR_KEY
 * for T); a `void *` parameter (its function's callers say what they pass:
 * in the unit, or by STF_USE_ADDR_PARAM and STF_USE_ADDR_ARG records joined
 * across units by the function's name); anything else, or a parameter of
 * a function whose address is taken (its callers are not known), is a
 * pointer of no known type (STF_USE_ADDR_ANY).
 *
 * Objects whose addresses order a container are keys too (STF_USE_ADDR_ORDER):
 * a relational comparison of two pointers (`a < b`, `(uintptr_t)a >
 * (uintptr_t)b`), or the sign of their difference (`(intptr_t)((uintptr_t)a
 * - (uintptr_t)b) < 0`, a comparator returning it), when both are
 * addresses the code holds: loaded from memory, parameters, results of
 * calls.  A tree, a sorted array, tsearch's or qsort's comparator compare
 * so.  Not an order: a pointer derived in the function from a base (an
 * iterator `p++` against an end `a + n`), two members of one object
 * (`q->head < q->tail`, positions in its buffer), a pointer to bytes or
 * numbers (a position in a buffer), a range check (`p >= slab && p < slab
 * + n`: a value the function also compares with an address it derives;
 * `p >= b->start && p < b->end`: with two members of one object), an
 * element count compared or used as an index (`c - conns < n`).
 *
 * The pass runs right after "ssa", on the unoptimized code, so every
 * optimization level records the same.
 */
#include "stf-plugin.h"
#include "addr-keys.h"

namespace {

/* What a pointer whose address is kept points to. */
enum src_kind { SRC_TYPE, SRC_PARAM, SRC_ANY, SRC_NONE };
struct key_src {
	src_kind kind;
	tree what;  /* SRC_TYPE: the struct; SRC_PARAM: the function */
	int param;  /* SRC_PARAM: its number */
};

/* How an address is kept: 0 (hashed, a slot chosen by it) or
 * STF_USE_ADDR_ORDER. */
typedef uint32_t key_how;

/* struct T -> the function keeping its objects' addresses, and how */
std::map<tree, std::pair<std::string, key_how>> keyed_types;
/* (function, parameter number) whose `void *` value's address is kept */
std::map<std::pair<tree, int>, key_how> keyed_params;
/* functions keeping the address of a pointer of no known type */
std::map<std::string, key_how> any_fns;
/* A pointer passed as a `void *` parameter of a function of the program
 * (by the function named caller): what it points to. */
struct passed_ptr {
	tree callee;
	int arg;
	key_src src;
	std::string caller;
};
std::vector<passed_ptr> passed;
std::set<tree> defined;
/* those of them whose address is taken: called through pointers too, by
 * callers no record names */
std::set<tree> addressed;

tree struct_of (tree type)
{
	if (!POINTER_TYPE_P (type))
		return NULL_TREE;
	tree t = TYPE_MAIN_VARIANT (TREE_TYPE (type));
	return (TREE_CODE (t) == RECORD_TYPE || TREE_CODE (t) == UNION_TYPE) && COMPLETE_TYPE_P (t)
	       ? t : NULL_TREE;
}

bool void_pointer (tree type)
{
	return POINTER_TYPE_P (type) && VOID_TYPE_P (TREE_TYPE (type));
}

/* The compiler's functions and the libraries' (declared by headers
 * installed in /usr/include or /usr/local/include: GLib's, found through
 * -I) keep nothing the program hashes. */
bool foreign (tree fn)
{
	const char *file = fn ? DECL_SOURCE_FILE (fn) : "";
	return !fn || fndecl_built_in_p (fn) || DECL_IN_SYSTEM_HEADER (fn) ||
	       !strncmp (file, "/usr/include/", 13) || !strncmp (file, "/usr/local/include/", 19);
}

/* The pointer v is, or (through SSA copies) an integer v was converted
 * from; NULL_TREE if none. */
tree as_pointer (tree v)
{
	for (int depth = 0; depth < 6; depth++) {
		if (POINTER_TYPE_P (TREE_TYPE (v)))
			return v;
		if (TREE_CODE (v) != SSA_NAME)
			return NULL_TREE;
		gassign *a = dyn_cast <gassign *> (SSA_NAME_DEF_STMT (v));
		if (!a || !(gimple_assign_single_p (a) ||
			    CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a))))
			return NULL_TREE;
		v = gimple_assign_rhs1 (a);
	}
	return NULL_TREE;
}

/* Does the tree use v inside a memory reference (an index, a base)? */
tree find_name (tree *t, int *, void *v)
{
	return *t == (tree) v ? *t : NULL_TREE;
}

bool in_reference (tree ref, tree v)
{
	return ref && ref != v && walk_tree (&ref, find_name, v, NULL);
}

bool small_constant (tree c)
{
	return TREE_CODE (c) == INTEGER_CST && tree_fits_uhwi_p (c) && tree_to_uhwi (c) <= 4096;
}

/* The declared type of parameter i of fn, NULL when not declared. */
tree param_type (tree fn, int i)
{
	int n = 0;
	for (tree a = TYPE_ARG_TYPES (TREE_TYPE (fn)); a && a != void_list_node; a = TREE_CHAIN (a))
		if (n++ == i)
			return TREE_VALUE (a);
	return NULL_TREE;
}

/* Does call c keep v, one of its arguments?  Not the C library, nor a
 * printf-like function of the program taking it among its variable
 * arguments. */
bool kept_by_call (gcall *c, tree v)
{
	tree fn = gimple_call_fndecl (c);
	if (foreign (fn))
		return false;
	if (!fn || !stdarg_p (TREE_TYPE (fn)))
		return true;
	for (unsigned i = 0; i < gimple_call_num_args (c); i++)
		if (gimple_call_arg (c, i) == v && param_type (fn, (int) i))
			return true;
	return false;
}

/* Is the integer v, derived from an address (raw: only conversions,
 * tags and constant offsets applied yet, no mixing), kept? */
bool kept (tree v, bool raw, int depth, std::set<tree> &seen)
{
	if (depth > 12 || !seen.insert (v).second)
		return false;
	imm_use_iterator it;
	use_operand_p use;
	FOR_EACH_IMM_USE_FAST (use, it, v) {
		gimple *u = USE_STMT (use);
		if (is_a <greturn *> (u))
			return true;
		if (gphi *p = dyn_cast <gphi *> (u)) {
			if (kept (gimple_phi_result (p), raw, depth + 1, seen))
				return true;
			continue;
		}
		if (gcall *c = dyn_cast <gcall *> (u)) {
			if (kept_by_call (c, v))
				return true;
			continue;
		}
		gassign *a = dyn_cast <gassign *> (u);
		if (!a)
			continue;
		tree lhs = gimple_assign_lhs (a), rhs1 = gimple_assign_rhs1 (a);
		tree rhs2 = gimple_num_ops (a) > 2 ? gimple_assign_rhs2 (a) : NULL_TREE;
		enum tree_code code = gimple_assign_rhs_code (a);
		if (TREE_CODE (lhs) != SSA_NAME) {
			/* the value indexing the place stored to, or a hash
			 * stored; an address stored as it is (tagged, or with
			 * an offset) is a number, or followed value by value
			 * in a uintptr_t (untyped-plan.c) */
			if (in_reference (lhs, v) || !raw)
				return true;
			continue;
		}
		if (gimple_assign_single_p (a) && rhs1 != v)
			return true; /* an index of a load */
		if (TREE_CODE_CLASS (code) == tcc_comparison)
			continue;
		if (code == POINTER_PLUS_EXPR)
			return true; /* an offset */
		if (CONVERT_EXPR_CODE_P (code) || gimple_assign_single_p (a)) {
			if (!POINTER_TYPE_P (TREE_TYPE (lhs)) &&
			    kept (lhs, raw, depth + 1, seen))
				return true;
			continue;
		}
		tree other = rhs1 == v ? rhs2 : rhs1;
		bool mixed = raw;
		switch (code) {
		case BIT_AND_EXPR:
		case TRUNC_MOD_EXPR:
		case FLOOR_MOD_EXPR:
			if (raw && other && small_constant (other))
				continue; /* alignment */
			mixed = false;
			break;
		case MINUS_EXPR:
			if (other && as_pointer (other))
				continue; /* an offset between two addresses */
			mixed = raw && other && TREE_CODE (other) == INTEGER_CST;
			break;
		case PLUS_EXPR:
		case BIT_IOR_EXPR:
			mixed = raw && other && TREE_CODE (other) == INTEGER_CST;
			break;
		default:
			mixed = false;
			break;
		}
		if (kept (lhs, mixed, depth + 1, seen))
			return true;
	}
	return false;
}

/* The number of parameter p of fn. */
int param_number (tree fn, tree p)
{
	int i = 0;
	for (tree a = DECL_ARGUMENTS (fn); a; a = DECL_CHAIN (a), i++)
		if (a == p)
			return i;
	return -1;
}

/* What the pointer v points to: followed back through copies,
 * conversions and constant offsets to a struct type or a parameter. */
key_src source_of (tree v)
{
	key_src any = { SRC_ANY, NULL_TREE, -1 };
	for (int depth = 0; depth < 8; depth++) {
		if (tree t = struct_of (TREE_TYPE (v)))
			return key_src { SRC_TYPE, t, -1 };
		if (TREE_CODE (v) == ADDR_EXPR) {
			tree base = TREE_OPERAND (v, 0);
			while (handled_component_p (base))
				base = TREE_OPERAND (base, 0);
			/* a local's address (a seed mixed from the stack) is
			 * no state */
			if (DECL_P (base) && !(VAR_P (base) && is_global_var (base)))
				return key_src { SRC_NONE, NULL_TREE, -1 };
			tree t = TYPE_MAIN_VARIANT (TREE_TYPE (base));
			if ((TREE_CODE (t) == RECORD_TYPE || TREE_CODE (t) == UNION_TYPE)
			    && COMPLETE_TYPE_P (t))
				return key_src { SRC_TYPE, t, -1 };
			return DECL_P (base) ? key_src { SRC_NONE, NULL_TREE, -1 } : any;
		}
		if (TREE_CODE (v) != SSA_NAME)
			return any;
		if (SSA_NAME_IS_DEFAULT_DEF (v)) {
			tree p = SSA_NAME_VAR (v);
			if (p && TREE_CODE (p) == PARM_DECL && void_pointer (TREE_TYPE (p))
			    && DECL_CONTEXT (p) && TREE_CODE (DECL_CONTEXT (p)) == FUNCTION_DECL)
				return key_src { SRC_PARAM, DECL_CONTEXT (p),
						 param_number (DECL_CONTEXT (p), p) };
			return any;
		}
		gassign *a = dyn_cast <gassign *> (SSA_NAME_DEF_STMT (v));
		if (!a || !(gimple_assign_single_p (a) || CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a))
			    || gimple_assign_rhs_code (a) == POINTER_PLUS_EXPR))
			return any;
		v = gimple_assign_rhs1 (a);
		if (!POINTER_TYPE_P (TREE_TYPE (v)) && TREE_CODE (v) != ADDR_EXPR)
			return any;
	}
	return any;
}

/* The address of what src points to is kept by function fn, as how says.
 * Whether a key grew. */
bool note_key (const key_src &src, const std::string &fn, key_how how)
{
	switch (src.kind) {
	case SRC_TYPE:
		stf_keep (src.what);
		return keyed_types.emplace (src.what, std::make_pair (fn, how)).second;
	case SRC_PARAM:
		stf_keep (src.what);
		if (addressed.count (src.what))
			any_fns.emplace (fn, how);
		return keyed_params.emplace (std::make_pair (src.what, src.param), how).second;
	case SRC_ANY:
		return any_fns.emplace (fn, how).second;
	default:
		return false;
	}
}

/* Is v (a pointer, or an integer converted from one) an address the code
 * holds: loaded from memory (*ref: the reference), a parameter, a call's
 * result, or a phi of those (a node reached walking a tree)?  Not one
 * derived by arithmetic in the function (an iterator, an end), a
 * constant or a local's address. */
bool held_address (tree v, tree *ref, int depth, std::set<tree> &seen)
{
	*ref = NULL_TREE;
	if (TREE_CODE (v) != SSA_NAME || depth > 12)
		return false;
	if (!seen.insert (v).second)
		return true; /* round a loop: its other arguments say */
	if (SSA_NAME_IS_DEFAULT_DEF (v))
		return SSA_NAME_VAR (v) && TREE_CODE (SSA_NAME_VAR (v)) == PARM_DECL;
	gimple *d = SSA_NAME_DEF_STMT (v);
	if (is_a <gcall *> (d))
		return true;
	if (gphi *p = dyn_cast <gphi *> (d)) {
		for (unsigned i = 0; i < gimple_phi_num_args (p); i++) {
			tree arg = gimple_phi_arg_def (p, i), r;
			if (!integer_zerop (arg) && !held_address (arg, &r, depth + 1, seen))
				return false;
		}
		return true;
	}
	gassign *a = dyn_cast <gassign *> (d);
	if (!a)
		return false;
	tree rhs = gimple_assign_rhs1 (a);
	if (CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a)) ||
	    (gimple_assign_single_p (a) && TREE_CODE (rhs) == SSA_NAME))
		return held_address (rhs, ref, depth + 1, seen);
	if (!gimple_assign_single_p (a) ||
	    !(TREE_CODE (rhs) == COMPONENT_REF || TREE_CODE (rhs) == MEM_REF ||
	      TREE_CODE (rhs) == ARRAY_REF || (VAR_P (rhs) && is_global_var (rhs))))
		return false;
	*ref = rhs;
	return true;
}

/* Two members of one object: positions in its buffer, not two objects. */
bool members_of_one (tree r1, tree r2)
{
	return r1 && r2 && TREE_CODE (r1) == COMPONENT_REF && TREE_CODE (r2) == COMPONENT_REF &&
	       operand_equal_p (TREE_OPERAND (r1, 0), TREE_OPERAND (r2, 0), 0);
}

/* Is v, or (through SSA copies and conversions) what it was converted
 * from, a pointer to a struct or union, or a `void *`: an object's
 * address?  Not a pointer to bytes or numbers only: a position in a
 * buffer (`slab` in a range check `(char *)p >= slab`). */
bool object_pointer (tree v)
{
	for (int depth = 0; depth < 8; depth++) {
		tree t = TREE_TYPE (v);
		if (POINTER_TYPE_P (t) && (TREE_CODE (TREE_TYPE (t)) == RECORD_TYPE ||
					   TREE_CODE (TREE_TYPE (t)) == UNION_TYPE ||
					   VOID_TYPE_P (TREE_TYPE (t))))
			return true;
		if (TREE_CODE (v) != SSA_NAME)
			return false;
		gassign *a = dyn_cast <gassign *> (SSA_NAME_DEF_STMT (v));
		if (!a || !(gimple_assign_single_p (a) ||
			    CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a))))
			return false;
		v = gimple_assign_rhs1 (a);
	}
	return false;
}

/* The current function's comparisons of two held object addresses (with
 * the references they were loaded by), and the addresses it also
 * compares with one it derives (`p < slab + n`: a range check, whose `p
 * >= slab` orders nothing). */
struct comparison {
	tree v[2];
	tree ref[2];
};
std::vector<comparison> compared;
std::vector<tree> ranged;

/* The value v is a copy or conversion of: the SSA name defined otherwise,
 * and *ref the reference it was loaded by (NULL_TREE if none). */
tree root_of (tree v, tree *ref)
{
	*ref = NULL_TREE;
	for (int depth = 0; TREE_CODE (v) == SSA_NAME && depth < 8; depth++) {
		gassign *a = dyn_cast <gassign *> (SSA_NAME_DEF_STMT (v));
		if (!a)
			break;
		tree rhs = gimple_assign_rhs1 (a);
		if (!CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a)) &&
		    !(gimple_assign_single_p (a) && TREE_CODE (rhs) == SSA_NAME)) {
			if (gimple_assign_single_p (a))
				*ref = rhs;
			break;
		}
		v = rhs;
	}
	return v;
}

/* Is v a value the function compares with an address it derives? */
bool range_checked (tree v)
{
	tree ref, root = root_of (v, &ref);
	for (tree r : ranged) {
		tree rref, rroot = root_of (r, &rref);
		if (rroot == root || (ref && rref && operand_equal_p (ref, rref, 0)))
			return true;
	}
	return false;
}

/* Two addresses compared by their order (a, b: pointers or integers
 * converted from them): remembered for the end of the function if both
 * are held addresses (not derived from a base, not members of one
 * object) of structs or of no known type (`void *`), compared as such or
 * converted (`(char *)a - (char *)b`); a held one compared with a derived
 * one is range checked. */
void compare (tree a, tree b)
{
	tree ra, rb;
	std::set<tree> seen_a, seen_b;
	if (!as_pointer (a) || !as_pointer (b))
		return;
	bool held_a = held_address (a, &ra, 0, seen_a), held_b = held_address (b, &rb, 0, seen_b);
	if (held_a != held_b) {
		tree derived = held_a ? b : a;
		if (TREE_CODE (derived) == SSA_NAME)
			ranged.push_back (held_a ? a : b);
		return;
	}
	if (held_a && object_pointer (a) && object_pointer (b) && !members_of_one (ra, rb))
		compared.push_back (comparison { { a, b }, { ra, rb } });
}

/* Are a and b one value (copies or conversions of one SSA name, or
 * loaded by one reference)? */
bool same_value (tree a, tree b)
{
	tree ra, rb, roota = root_of (a, &ra), rootb = root_of (b, &rb);
	return roota == rootb || (ra && rb && operand_equal_p (ra, rb, 0));
}

/* Is comparison i one of a value with two members of one object (`p >=
 * b->start && p < b->end`, memcached's slab_rebalance_alloc() with `void
 * *` bounds): a range check, ordering nothing? */
bool between_members (size_t i)
{
	const comparison &x = compared[i];
	for (size_t j = 0; j < compared.size (); j++) {
		const comparison &y = compared[j];
		for (int s = 0; j != i && s < 2; s++)
			for (int t = 0; t < 2; t++)
				if (same_value (x.v[s], y.v[t]) &&
				    members_of_one (x.ref[1 - s], y.ref[1 - t]))
					return true;
	}
	return false;
}

/* Function fn orders the objects its compared addresses point to, but
 * those of range checks. */
void note_orders (const std::string &fn)
{
	for (size_t i = 0; i < compared.size (); i++) {
		const comparison &ab = compared[i];
		if (range_checked (ab.v[0]) || range_checked (ab.v[1]) || between_members (i))
			continue;
		for (tree p : { as_pointer (ab.v[0]), as_pointer (ab.v[1]) }) {
			key_src src = source_of (p);
			if (src.kind != SRC_ANY || void_pointer (TREE_TYPE (p)))
				note_key (src, fn, STF_USE_ADDR_ORDER);
		}
	}
	compared.clear ();
	ranged.clear ();
}

bool relational (enum tree_code code)
{
	return code == LT_EXPR || code == LE_EXPR || code == GT_EXPR || code == GE_EXPR;
}

/* Is the difference v of two addresses used as their order: its sign
 * tested, or returned (a comparator's result; not an element count,
 * elements: an index)? */
bool sign_used (tree v, bool elements, int depth)
{
	imm_use_iterator it;
	use_operand_p use;
	if (depth > 6)
		return false;
	FOR_EACH_IMM_USE_FAST (use, it, v) {
		gimple *u = USE_STMT (use);
		if (is_a <greturn *> (u) && !elements)
			return true;
		if (gcond *c = dyn_cast <gcond *> (u)) {
			tree other = gimple_cond_lhs (c) == v ? gimple_cond_rhs (c) : gimple_cond_lhs (c);
			if (relational (gimple_cond_code (c)) && integer_zerop (other))
				return true;
			continue;
		}
		gassign *a = dyn_cast <gassign *> (u);
		if (!a || TREE_CODE (gimple_assign_lhs (a)) != SSA_NAME)
			continue;
		enum tree_code code = gimple_assign_rhs_code (a);
		if (relational (code)) {
			tree other = gimple_assign_rhs1 (a) == v ? gimple_assign_rhs2 (a)
							      : gimple_assign_rhs1 (a);
			if (integer_zerop (other))
				return true;
		} else if ((CONVERT_EXPR_CODE_P (code) || gimple_assign_single_p (a)) &&
			   sign_used (gimple_assign_lhs (a), elements, depth + 1)) {
			return true;
		}
	}
	return false;
}

/* Statement s, if it compares two addresses by their order. */
void scan_order (gassign *s)
{
	enum tree_code code = gimple_assign_rhs_code (s);
	tree a = gimple_assign_rhs1 (s);
	tree b = gimple_num_ops (s) > 2 ? gimple_assign_rhs2 (s) : NULL_TREE;
	if (!b)
		return;
	if (relational (code)) {
		compare (a, b);
		return;
	}
	if (code != POINTER_DIFF_EXPR && code != MINUS_EXPR)
		return;
	if (code == MINUS_EXPR && (POINTER_TYPE_P (TREE_TYPE (a)) || !as_pointer (a)))
		return;
	/* p - q of struct pointers counts elements */
	tree t = TREE_TYPE (a);
	bool elements = POINTER_TYPE_P (t) && TYPE_SIZE_UNIT (TREE_TYPE (t)) &&
			!integer_onep (TYPE_SIZE_UNIT (TREE_TYPE (t))) && !VOID_TYPE_P (TREE_TYPE (t));
	if (sign_used (gimple_assign_lhs (s), elements, 0))
		compare (a, b);
}

/* Pointers passed as `void *` parameters of the program's functions. */
void scan_call (gcall *c, tree caller)
{
	tree fn = gimple_call_fndecl (c);
	if (foreign (fn) || !strncmp (stf_decl_name (fn), "stf_", 4))
		return; /* libstf's own, and the plugin's update points */
	for (unsigned i = 0; i < gimple_call_num_args (c); i++) {
		tree arg = gimple_call_arg (c, i), pt = param_type (fn, (int) i);
		if (!POINTER_TYPE_P (TREE_TYPE (arg)) || (pt && !void_pointer (pt)))
			continue;
		key_src src = source_of (arg);
		if (src.kind == SRC_NONE)
			continue;
		stf_keep (fn);
		passed.push_back (passed_ptr { fn, (int) i, src, stf_function_name (caller) });
	}
}

const pass_data addr_keys_pass_data = {
	GIMPLE_PASS, "stf_addr_keys", OPTGROUP_NONE, TV_NONE,
	PROP_ssa | PROP_cfg, 0, 0, 0, 0
};

class addr_keys_pass : public gimple_opt_pass {
public:
	explicit addr_keys_pass (gcc::context *ctxt)
		: gimple_opt_pass (addr_keys_pass_data, ctxt) {}
	bool gate (function *) final override { return stf_active (); }
	unsigned int execute (function *fun) final override
	{
		stf_keep (fun->decl);
		defined.insert (fun->decl);
		cgraph_node *node = cgraph_node::get (fun->decl);
		if (node && node->address_taken)
			addressed.insert (fun->decl);
		std::string name = stf_function_name (fun->decl);
		basic_block bb;
		FOR_EACH_BB_FN (bb, fun)
			for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi);
			     gsi_next (&gsi)) {
				gimple *s = gsi_stmt (gsi);
				if (gcall *c = dyn_cast <gcall *> (s)) {
					scan_call (c, fun->decl);
					continue;
				}
				if (gcond *c = dyn_cast <gcond *> (s)) {
					if (relational (gimple_cond_code (c)))
						compare (gimple_cond_lhs (c), gimple_cond_rhs (c));
					continue;
				}
				gassign *a = dyn_cast <gassign *> (s);
				if (a)
					scan_order (a);
				if (!a || !CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a)))
					continue;
				tree lhs = gimple_assign_lhs (a), rhs = gimple_assign_rhs1 (a);
				std::set<tree> seen;
				if (TREE_CODE (lhs) == SSA_NAME && INTEGRAL_TYPE_P (TREE_TYPE (lhs))
				    && POINTER_TYPE_P (TREE_TYPE (rhs)) && kept (lhs, true, 0, seen))
					note_key (source_of (rhs), name, 0);
			}
		note_orders (name);
		return 0;
	}
};

/* The unit's callers of its keyed parameters: what they pass is keyed,
 * until nothing grows (a parameter passed on to another). */
void resolve ()
{
	for (bool grew = true; grew;) {
		grew = false;
		for (const passed_ptr &p : passed) {
			auto kp = keyed_params.find (std::make_pair (p.callee, p.arg));
			if (kp != keyed_params.end ())
				grew |= note_key (p.src, stf_function_name (p.callee), kp->second);
		}
	}
}

void emit (stf_blob &blob, uint32_t type, uint32_t member, uint32_t flags, uint32_t via)
{
	stf_use_rec r;
	memset (&r, 0, sizeof r);
	r.type = r.used = type;
	r.member = member;
	r.flags = STF_USE_ADDR_KEY | flags;
	r.via_type = STF_NONE;
	r.via = via;
	blob.uses.push_back (r);
}

} /* namespace */

opt_pass *stf_make_addr_keys_pass (gcc::context *ctxt)
{
	return new addr_keys_pass (ctxt);
}

void stf_collect_addr_keys (stf_blob &blob, stf_types &types)
{
	resolve ();
	for (const auto &kt : keyed_types) {
		uint32_t t = types.index (kt.first);
		if (t != STF_NONE)
			emit (blob, t, 0, kt.second.second, blob.str (kt.second.first));
	}
	for (const auto &fn : any_fns)
		emit (blob, STF_NONE, 0, STF_USE_ADDR_ANY | fn.second, blob.str (fn.first));
	for (const auto &kp : keyed_params)
		if (TREE_PUBLIC (kp.first.first) && kp.first.second <= (int) STF_USE_INDEX_MAX)
			emit (blob, STF_NONE, blob.str (stf_function_name (kp.first.first)),
			      STF_USE_ADDR_PARAM | kp.second |
			      (uint32_t) kp.first.second << STF_USE_INDEX_SHIFT, 0);
	/* pointers passed to the functions of other units, for their
	 * STF_USE_ADDR_PARAM records */
	std::set<std::tuple<uint32_t, uint32_t, int, uint32_t>> done;
	for (const passed_ptr &p : passed) {
		if (defined.count (p.callee) || p.arg > (int) STF_USE_INDEX_MAX)
			continue;
		uint32_t t = p.src.kind == SRC_TYPE ? types.index (p.src.what) : STF_NONE;
		uint32_t callee = blob.str (stf_function_name (p.callee)), via = blob.str (p.caller);
		if (done.insert (std::make_tuple (t, callee, p.arg, via)).second)
			emit (blob, t, callee, STF_USE_ADDR_ARG | (uint32_t) p.arg << STF_USE_INDEX_SHIFT, via);
	}
	keyed_types.clear ();
	keyed_params.clear ();
	any_fns.clear ();
	passed.clear ();
	defined.clear ();
	addressed.clear ();
}
