/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * member-uses.cc - the struct types T the value of a `void *` member S.m
 * is used as: a load of S.m that flows (through SSA copies, conversions,
 * phis and pointer arithmetic by multiples of sizeof T) into a T * or a
 * memory reference of type T, and a store of a T * value into S.m.
 *
 * nginx's ngx_array_t keeps its elements behind `void *elts`, allocated by
 * generic code with an element size: the allocation site cannot type the
 * block, only the code reading it (`struct entry *e = a->elts`) says what
 * it holds.  The transfer types an untyped block reached through S.m as
 * an array of T when T is the only type recorded (libstf/transfer/
 * untyped.c).  The same struct array can hold zones behind one path and
 * entries behind another: each use also records, when the code says it,
 * the path through which the struct holding the member was reached (the
 * member `z->entries` it was loaded from or is embedded in, or a static
 * variable `zones`), so the element type is per path.  Pointer arithmetic
 * on the member's value by a product with an integer member of the same
 * struct (`(char *)a->elts + a->size * a->nelts`) records that member as
 * the element size (STF_USE_STRIDE).  An array of `void *` members
 * (user-data slots `void *ud[N]`, a different type behind each) records
 * its uses per element when the code names the element by a constant
 * (`c->ud[UD_STATS]`, STF_USE_ELEMENT), else for every element.
 * A value the code returns from a function returning `void *` (a
 * container's accessors: `void *vec_at(v, i) { return (char *)v->items +
 * v->size * i; }`) is used wherever the function's result is: the uses of
 * the results of such a function called in the unit are the member's
 * uses, through chains of such functions too; for a public function the
 * record says which members it returns and what its results are used as,
 * and libstf joins them across units by its name.  The pass runs right
 * after "ssa", on the unoptimized code, so the record is the same at every
 * optimization level.
 */
#include "stf-plugin.h"
#include "member-uses.h"
#include "member-offsets.h"
#include "attributes.h"
#include "allocators.h"
#include "tree-dfa.h"
#include "member-uses-state.h"

namespace stf_member_uses {

/* key -> the T seen; trees of the unit, alive until it is written */
std::map<use_key, std::set<tree>> uses;

/* F -> the keys (and offsets) whose values F returns, F a function
 * returning `void *`.  A key's path may be one of F's parameters (the
 * struct holding the member was given to F): each call says which path
 * its argument comes from. */
std::map<tree, std::set<std::pair<use_key, HOST_WIDE_INT>>> returned;

/* A call of such an F: its result is followed like a member's value,
 * under the key (NULL, F, NULL, number of the call); the paths of its
 * arguments. */
std::map<tree, std::vector<call_site>> calls;
HOST_WIDE_INT ncalls;

use_key result_of (tree fn, HOST_WIDE_INT call)
{
	return use_key (NULL_TREE, fn, NULL_TREE, call);
}

/* Callbacks.  A `void *` handed to a function is used as that function's
 * parameter is: the uses of a parameter p of type `void *` are followed
 * under the key (NULL, p, NULL, -1), and a value followed under key k
 * that flows into p (passed as that argument) or into another `void *`
 * member k2 (stored there) has k's uses grow by p's or k2's (flows).
 * Which functions a call reaches: a direct call's callee; at a call of a
 * function not defined here (a library's `event_new(base, fd, ev, on_read,
 * c->ctx)`, `pthread_create(&t, NULL, worker, arg)`), the functions whose
 * addresses the call passes along with the value (all their `void *`
 * parameters); an indirect call `t->fn(t->arg)` or `fn(arg)` reaches the
 * functions stored into its function-pointer member (S, fn), or passed as
 * its function-pointer parameter (NULL, fn): the slot's functions.  A
 * store of a function into t->fn next to a store into a `void *` member
 * t->arg of the same struct links arg to fn's functions' `void *`
 * parameter when fn's type has only one (`struct task { void (*fn)(void
 * *); void *arg; }`, run elsewhere).  A function not defined in the unit
 * is joined by name across units (STF_USE_PASSED, STF_USE_PARAM). */
use_key param_of (tree parm)
{
	return use_key (NULL_TREE, parm, NULL_TREE, -1);
}

std::map<use_key, std::set<use_key>> flows;

/* Allocation sites of no type (`void *ctx = malloc (n)`, `event_new
 * (base, fd, EV_READ, on_read, xmalloc (n))`): the result is followed
 * like a member's value, under the key (NULL, NULL, NULL, n), n the
 * site's number here; what the functions it is handed to use it as is
 * the site's type (sites.cc).  The allocation's size when it is a
 * constant, else 0. */
std::vector<unsigned HOST_WIDE_INT> site_sizes;

/* The IDs of the sites of no type that libstf types (STF_USE_SITE), by
 * number. */
std::map<HOST_WIDE_INT, std::string> site_ids;

use_key site_key (HOST_WIDE_INT n)
{
	return use_key (NULL_TREE, NULL_TREE, NULL_TREE, n);
}

/* A function-pointer member (S, FIELD_DECL) or parameter (NULL, PARM_DECL)
 * and the functions stored into it or passed as it, directly or from
 * another slot (a parameter stored into a member). */
std::map<fn_slot, std::set<tree>> slot_fns;
std::map<fn_slot, std::set<fn_slot>> slot_flows;

/* key -> (slot, argument): the value is passed as that argument (-1:
 * every `void *` parameter) of each function of the slot. */
std::map<use_key, std::set<std::pair<fn_slot, int>>> slot_calls;

/* key -> (function, argument) it is passed as (-1: every `void *`
 * parameter), resolved at the end of the unit: a parameter's key when
 * the function is defined here, else a record by the function's name. */
std::map<use_key, std::set<std::pair<tree, int>>> passed_to;

/* (function, argument) -> functions passed as it: the function-pointer
 * parameter's slot once the callee's parameters are known. */
std::map<std::pair<tree, int>, std::set<tree>> fn_args;

/* (function, argument) -> the slots of the function pointers passed as
 * it (`defer (tab[i].fn, arg)`). */
std::map<std::pair<tree, int>, std::set<fn_slot>> fn_arg_slots;

/* The parameters of the functions defined in the unit. */
std::map<tree, std::vector<tree>> params_of;

/* (S, m's FIELD_DECL) -> the integer members S.k the code indexes m's
 * value by (`(char *)a->elts + a->size * i`): the element size of the
 * array behind m, which the transfer updates when the element type's size
 * changes. */
std::map<std::pair<tree, tree>, std::set<tree>> strides;

/* The load of S.m being followed: its struct's reference (the same `a`
 * must hold the stride) and its FIELD_DECL. */
tree follow_base, follow_field;

tree reached_through (tree base);

/* The path of the struct a pointer value points to (see reached_through). */
tree pointer_path (tree name)
{
	if (TREE_CODE (name) == ADDR_EXPR)
		return reached_through (TREE_OPERAND (name, 0));
	if (TREE_CODE (name) != SSA_NAME)
		return NULL_TREE;
	if (SSA_NAME_IS_DEFAULT_DEF (name) && SSA_NAME_VAR (name)
	    && TREE_CODE (SSA_NAME_VAR (name)) == PARM_DECL)
		return SSA_NAME_VAR (name); /* the caller knows */
	gimple *def = SSA_NAME_DEF_STMT (name);
	gassign *a = def ? dyn_cast <gassign *> (def) : NULL;
	if (!a || !gimple_assign_single_p (a))
		return NULL_TREE;
	tree from = gimple_assign_rhs1 (a);
	if (!POINTER_TYPE_P (TREE_TYPE (from)))
		return NULL_TREE;
	if (TREE_CODE (from) == PARM_DECL)
		return from;
	return TREE_CODE (from) == ADDR_EXPR ? pointer_path (from) : reached_through (from);
}

/* What the struct holding a member was reached through, given the
 * struct's reference base: the member it is embedded in (`z->entries.elts`)
 * or whose pointer value it is (`z->entries->elts`, the pointer loaded in
 * the statement defining the SSA name), or a static variable it is
 * (`zones.elts`) or whose value points to it (`zones->elts`); the
 * parameter it is (`a->elts`: the path is the caller's, when the value
 * is returned); NULL when the code does not say. */
tree reached_through (tree base)
{
	if (TREE_CODE (base) == MEM_REF && integer_zerop (TREE_OPERAND (base, 1)))
		return pointer_path (TREE_OPERAND (base, 0));
	if (TREE_CODE (base) == COMPONENT_REF) {
		tree f = TREE_OPERAND (base, 1);
		tree rec = DECL_CONTEXT (f);
		if (TREE_CODE (f) == FIELD_DECL && DECL_NAME (f) && rec
		    && TREE_CODE (rec) == RECORD_TYPE)
			return f;
	}
	if (VAR_P (base) && is_global_var (base) && DECL_NAME (base))
		return base;
	return NULL_TREE;
}

/* GLib's arrays keep their elements behind a byte pointer of their
 * public struct (GArray's `gchar *data`, GByteArray's `guint8 *data`),
 * read as the program's struct by `g_array_index (a, struct rec, i)`:
 * that member is followed like a `void *` member, so the records say
 * what the elements are (transfer/glib-arrays.c).  By the structs' tags:
 * GLib's headers come from -I directories (pkg-config), not system ones. */
static bool glib_array_data (tree field, tree ft)
{
	tree rec = DECL_CONTEXT (field);
	tree name = rec ? TYPE_NAME (TYPE_MAIN_VARIANT (rec)) : NULL_TREE;
	if (name && TREE_CODE (name) == TYPE_DECL)
		name = DECL_NAME (name);
	if (!name || TREE_CODE (name) != IDENTIFIER_NODE || !DECL_NAME (field)
	    || strcmp (IDENTIFIER_POINTER (DECL_NAME (field)), "data"))
		return false;
	const char *tag = IDENTIFIER_POINTER (name);
	tree pt = TYPE_MAIN_VARIANT (TREE_TYPE (ft));
	return (!strcmp (tag, "_GArray") || !strcmp (tag, "_GByteArray"))
	       && (pt == char_type_node || pt == signed_char_type_node
		   || pt == unsigned_char_type_node);
}

/* The `void *` member a reference reads or writes: S.m as (S, FIELD_DECL,
 * path, -1), or an element of S.m, an array of `void *` (user-data slots
 * `void *ud[N]`): (S, FIELD_DECL, path, i) when the index is a constant i,
 * else -1 (a use of any element). */
bool generic_member (tree ref, use_key *key)
{
	HOST_WIDE_INT element = -1;
	bool in_array = false;
	if (TREE_CODE (ref) == ARRAY_REF) {
		tree index = TREE_OPERAND (ref, 1);
		if (tree_fits_shwi_p (index) && tree_to_shwi (index) >= 0)
			element = tree_to_shwi (index);
		ref = TREE_OPERAND (ref, 0);
		in_array = true;
	}
	if (TREE_CODE (ref) != COMPONENT_REF)
		return false;
	tree field = TREE_OPERAND (ref, 1);
	tree ft = TREE_TYPE (field);
	tree rec = DECL_CONTEXT (field);
	if (in_array) {
		if (TREE_CODE (ft) != ARRAY_TYPE)
			return false;
		ft = TREE_TYPE (ft);
	}
	if (TREE_CODE (field) != FIELD_DECL || TREE_CODE (ft) != POINTER_TYPE
	    || !(VOID_TYPE_P (TREE_TYPE (ft)) || glib_array_data (field, ft))
	    || !rec || TREE_CODE (rec) != RECORD_TYPE || !DECL_NAME (field))
		return false;
	*key = use_key (TYPE_MAIN_VARIANT (rec), field, reached_through (TREE_OPERAND (ref, 0)),
			element);
	return true;
}

/* An allocator's results are new blocks (typed by their call sites), not
 * a member's value, even when it returns one (a slab's `return c->free`):
 * malloc and its like, STF_ALLOCATOR functions and the wrappers found
 * around allocators, builtins and the system's functions. */
bool hands_out_blocks (tree fn)
{
	return fndecl_built_in_p (fn) || DECL_IS_MALLOC (fn) || DECL_IN_SYSTEM_HEADER (fn)
	       || stf_is_allocator (fn) || stf_is_wrapper (fn);
}

/* T when type is T * for a complete struct T, else NULL. */
tree struct_pointee (tree type)
{
	if (!POINTER_TYPE_P (type))
		return NULL_TREE;
	tree t = TYPE_MAIN_VARIANT (TREE_TYPE (type));
	return TREE_CODE (t) == RECORD_TYPE && COMPLETE_TYPE_P (t) ? t : NULL_TREE;
}

/* Record T for key if the value, off bytes past the member's pointer
 * (-1: unknown), can point at an element of an array of T. */
void note (const use_key &key, tree t, HOST_WIDE_INT off)
{
	if (!t || !tree_fits_uhwi_p (TYPE_SIZE_UNIT (t)))
		return;
	unsigned HOST_WIDE_INT size = tree_to_uhwi (TYPE_SIZE_UNIT (t));
	if (!size || (off > 0 && off % size))
		return;
	uses[key].insert (t);
}

/* The memory reference of type T a reference is based on, when its base
 * is *(name + off). */
void note_deref (const use_key &key, tree ref, tree name, HOST_WIDE_INT off)
{
	if (!ref)
		return;
	while (handled_component_p (ref))
		ref = TREE_OPERAND (ref, 0);
	if (TREE_CODE (ref) != MEM_REF || TREE_OPERAND (ref, 0) != name
	    || !tree_fits_shwi_p (TREE_OPERAND (ref, 1)))
		return;
	tree t = TYPE_MAIN_VARIANT (TREE_TYPE (ref));
	if (TREE_CODE (t) == RECORD_TYPE && COMPLETE_TYPE_P (t))
		note (key, t, off < 0 ? -1 : off + tree_to_shwi (TREE_OPERAND (ref, 1)));
}

/* What v is a copy of, through SSA copies and conversions: the operand
 * first copied, or the SSA name not defined by a copy (a parameter's
 * default definition, a call's result). */
tree through_copies (tree v)
{
	for (int depth = 0; TREE_CODE (v) == SSA_NAME && depth < 6; depth++) {
		gassign *a = dyn_cast <gassign *> (SSA_NAME_DEF_STMT (v));
		if (!a || !(gimple_assign_single_p (a) ||
			    CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a))))
			break;
		v = gimple_assign_rhs1 (a);
	}
	return v;
}

/* The member of the struct follow_base refers to that v is loaded from
 * (through copies and conversions), when it is an integer: NULL if not. */
tree loaded_from_base (tree v)
{
	v = through_copies (v);
	if (TREE_CODE (v) != COMPONENT_REF || !follow_base)
		return NULL_TREE;
	tree f = TREE_OPERAND (v, 1);
	if (TREE_CODE (f) != FIELD_DECL || !DECL_NAME (f) || !INTEGRAL_TYPE_P (TREE_TYPE (f))
	    || DECL_CONTEXT (f) != DECL_CONTEXT (follow_field)
	    || !operand_equal_p (TREE_OPERAND (v, 0), follow_base, 0))
		return NULL_TREE;
	return f;
}

/* Pointer arithmetic on the member's value by `by`: a product with an
 * integer member of the same struct makes that member the stride. */
void note_stride (const use_key &key, tree by)
{
	if (!std::get<0> (key) || TREE_CODE (TREE_TYPE (std::get<1> (key))) == ARRAY_TYPE)
		return; /* the slots themselves are not an element array */
	for (int depth = 0; TREE_CODE (by) == SSA_NAME && depth < 6; depth++) {
		gassign *a = dyn_cast <gassign *> (SSA_NAME_DEF_STMT (by));
		if (!a)
			return;
		enum tree_code code = gimple_assign_rhs_code (a);
		if (code == MULT_EXPR) {
			for (int k = 1; k <= 2; k++) {
				tree f = loaded_from_base (k == 1 ? gimple_assign_rhs1 (a)
								  : gimple_assign_rhs2 (a));
				if (f)
					strides[std::make_pair (std::get<0> (key),
								std::get<1> (key))].insert (f);
			}
			return;
		}
		if (!CONVERT_EXPR_CODE_P (code))
			return;
		by = gimple_assign_rhs1 (a);
	}
}

/* F when v is F's address, F a function. */
tree function_of (tree v)
{
	if (TREE_CODE (v) != ADDR_EXPR)
		return NULL_TREE;
	tree f = TREE_OPERAND (v, 0);
	return TREE_CODE (f) == FUNCTION_DECL ? f : NULL_TREE;
}

/* p when v is the value parameter p of the function was given. */
tree parameter_of (tree v)
{
	if (TREE_CODE (v) != SSA_NAME || !SSA_NAME_IS_DEFAULT_DEF (v) || !SSA_NAME_VAR (v)
	    || TREE_CODE (SSA_NAME_VAR (v)) != PARM_DECL)
		return NULL_TREE;
	return SSA_NAME_VAR (v);
}

bool void_pointer_p (tree type)
{
	return POINTER_TYPE_P (type) && VOID_TYPE_P (TREE_TYPE (type));
}

bool function_pointer_p (tree type)
{
	return POINTER_TYPE_P (type) && TREE_CODE (TREE_TYPE (type)) == FUNCTION_TYPE;
}

/* The function-pointer member (S, fp) a reference reads or writes, or
 * the static variable (NULL, v) holding function pointers (`hook`, an
 * element of `hooks[]`). */
bool fn_member (tree ref, fn_slot *slot)
{
	tree var = TREE_CODE (ref) == ARRAY_REF ? TREE_OPERAND (ref, 0) : ref;
	if (VAR_P (var) && is_global_var (var) && function_pointer_p (TREE_TYPE (ref))) {
		*slot = fn_slot (NULL_TREE, var);
		return true;
	}
	if (TREE_CODE (ref) != COMPONENT_REF)
		return false;
	tree field = TREE_OPERAND (ref, 1), ft = TREE_TYPE (field);
	tree rec = DECL_CONTEXT (field);
	if (TREE_CODE (field) != FIELD_DECL || !POINTER_TYPE_P (ft)
	    || TREE_CODE (TREE_TYPE (ft)) != FUNCTION_TYPE || !rec
	    || TREE_CODE (rec) != RECORD_TYPE)
		return false;
	*slot = fn_slot (TYPE_MAIN_VARIANT (rec), field);
	return true;
}

/* The slot an indirect call's callee comes from: a function-pointer
 * member loaded (through copies), a parameter, or a function's result
 * (member-uses-returns.cc). */
bool callee_slot (tree callee, fn_slot *slot)
{
	callee = through_copies (callee);
	if (tree p = parameter_of (callee)) {
		*slot = fn_slot (NULL_TREE, p);
		return true;
	}
	return fn_member (callee, slot) || returned_fn_slot (callee, slot);
}

/* key -> (function, parameter) of the functions not defined in the unit
 * its value is passed to: joined across units by the name. */
std::map<use_key, std::set<std::pair<tree, int>>> passed_out;

/* key -> (callee, F): the value is passed to a call of callee that also
 * passes F's address; F's `void *` parameters get it when callee is not
 * defined in the unit (a library's registration function).  The same
 * with a function read from a slot (`register (tab[i].fn, arg)`): the
 * slot's functions. */
std::map<use_key, std::set<std::pair<tree, tree>>> registered;
std::map<use_key, std::set<std::pair<tree, fn_slot>>> registered_slots;

/* The slot a function-pointer value is read from (`tab[i].fn`, a
 * parameter), when it is not a function's address. */
bool fn_value_slot (tree v, fn_slot *slot)
{
	return function_pointer_p (TREE_TYPE (v)) && callee_slot (v, slot);
}

/* The function whose address a value (an indirect call's callee, an
 * argument) is, directly or copied (`hooks[0] (ctx)` of a constant table
 * is folded to `_1 = on_touch; _1 (ctx)`), or NULL. */
tree copied_function (tree v)
{
	return function_of (through_copies (v));
}

/* The value followed under key is argument i of call c. */
void note_call (const use_key &key, gcall *c, unsigned i)
{
	tree fn = gimple_call_fndecl (c);
	if (!fn)
		fn = copied_function (gimple_call_fn (c));
	if (!fn) {
		fn_slot slot;
		if (callee_slot (gimple_call_fn (c), &slot))
			slot_calls[key].insert (std::make_pair (slot, (int) i));
		return;
	}
	setter_call sc = { key, user_data_setter (fn, i), fn, {} };
	for (unsigned k = 0; k < gimple_call_num_args (c); k++) {
		fn_slot slot;
		if (tree f = copied_function (gimple_call_arg (c, k))) {
			registered[key].insert (std::make_pair (fn, f));
			sc.callbacks.insert (f);
		} else if (fn_value_slot (gimple_call_arg (c, k), &slot)) {
			registered_slots[key].insert (std::make_pair (fn, slot));
		}
	}
	if (sc.accessor) {
		setter_calls.push_back (sc);
		return;
	}
	/* given back, copied, or a block's size asked: not a use */
	if (!hands_out_blocks (fn) && !stf_is_deallocator (fn))
		passed_to[key].insert (std::make_pair (fn, (int) i));
}

/* Follow the value loaded from the member to the types it is used as. */
void follow (const use_key &key, tree name, HOST_WIDE_INT off, int depth,
	     std::set<tree> &seen)
{
	if (depth > 8 || !seen.insert (name).second)
		return;
	note (key, struct_pointee (TREE_TYPE (name)), off);
	imm_use_iterator it;
	use_operand_p use;
	FOR_EACH_IMM_USE_FAST (use, it, name) {
		gimple *u = USE_STMT (use);
		if (greturn *r = dyn_cast <greturn *> (u)) {
			if (gimple_return_retval (r) == name && current_function_decl
			    && !hands_out_blocks (current_function_decl))
				returned[current_function_decl].insert (std::make_pair (key, off));
			continue;
		}
		if (gphi *p = dyn_cast <gphi *> (u)) {
			follow (key, gimple_phi_result (p), off, depth + 1, seen);
			continue;
		}
		if (gcall *c = dyn_cast <gcall *> (u)) {
			for (unsigned i = 0; !off && i < gimple_call_num_args (c); i++)
				if (gimple_call_arg (c, i) == name)
					note_call (key, c, i);
			continue;
		}
		gassign *a = dyn_cast <gassign *> (u);
		if (!a)
			continue;
		tree lhs = gimple_assign_lhs (a);
		enum tree_code code = gimple_assign_rhs_code (a);
		if (gimple_assign_rhs1 (a) == name
		    && (gimple_assign_single_p (a) || CONVERT_EXPR_CODE_P (code)
			|| code == POINTER_PLUS_EXPR)) {
			HOST_WIDE_INT next = off;
			if (code == POINTER_PLUS_EXPR) {
				tree by = gimple_assign_rhs2 (a);
				next = off >= 0 && tree_fits_shwi_p (by) ? off + tree_to_shwi (by) : -1;
				if (!off)
					note_stride (key, by);
			}
			use_key to;
			if (TREE_CODE (lhs) == SSA_NAME)
				follow (key, lhs, next, depth + 1, seen);
			else if (code != POINTER_PLUS_EXPR && !next && generic_member (lhs, &to))
				flows[key].insert (to); /* stored into another `void *` */
			else if (code != POINTER_PLUS_EXPR)
				note (key, struct_pointee (TREE_TYPE (lhs)), next);
			continue;
		}
		note_deref (key, lhs, name, off);
		if (gimple_assign_single_p (a))
			note_deref (key, gimple_assign_rhs1 (a), name, off);
	}
}

/* The stores of the function being scanned into function-pointer members
 * and into `void *` members: the struct they are stored into (the
 * reference's base) and the member. */
std::vector<std::pair<tree, fn_slot>> fn_stores;
std::vector<std::pair<tree, use_key>> value_stores;

/* A store of a function (or of a function-pointer parameter) into a
 * function-pointer member. */
void scan_fn_store (tree lhs, tree rhs)
{
	fn_slot slot;
	if (!fn_member (lhs, &slot))
		return;
	if (tree f = function_of (rhs))
		slot_fns[slot].insert (f);
	else if (tree p = parameter_of (rhs))
		slot_flows[slot].insert (fn_slot (NULL_TREE, p));
	else
		return;
	if (slot.first) /* a member, next to the struct's `void *` */
		fn_stores.push_back (std::make_pair (TREE_OPERAND (lhs, 0), slot));
}

/* The index of the one `void *` parameter of a function-pointer type, or
 * -1. */
int only_void_param (tree fntype)
{
	int found = -1, i = 0;
	for (tree a = TYPE_ARG_TYPES (fntype); a && a != void_list_node; a = TREE_CHAIN (a), i++)
		if (void_pointer_p (TREE_VALUE (a))) {
			if (found >= 0)
				return -1;
			found = i;
		}
	return found;
}

/* `t->fn = handle_conn; t->arg = c;` in one function: arg is passed to
 * fn's functions (when fn takes one `void *`). */
void link_stores_of_one_struct ()
{
	for (const auto &fs : fn_stores) {
		int i = only_void_param (TREE_TYPE (TREE_TYPE (fs.second.second)));
		if (i < 0)
			continue;
		for (const auto &vs : value_stores)
			if (std::get<0> (vs.second) == fs.second.first
			    && operand_equal_p (vs.first, fs.first, 0))
				slot_calls[vs.second].insert (std::make_pair (fs.second, i));
	}
	fn_stores.clear ();
	value_stores.clear ();
}

/* The structs the unit's code reads a `void *` value as (`struct conn *c
 * = arg`, `((struct conn *) arg)->hits`): STF_USE_CAST records, what
 * makes libstf suspect an untyped block of such a struct's size
 * (transfer/sized-blocks.c). */
std::set<tree> casts;

void note_cast (tree ref)
{
	while (handled_component_p (ref))
		ref = TREE_OPERAND (ref, 0);
	if (TREE_CODE (ref) != MEM_REF || TREE_CODE (TREE_OPERAND (ref, 0)) != SSA_NAME
	    || !void_pointer_p (TREE_TYPE (TREE_OPERAND (ref, 0))))
		return;
	tree t = TYPE_MAIN_VARIANT (TREE_TYPE (ref));
	if (TREE_CODE (t) == RECORD_TYPE && COMPLETE_TYPE_P (t))
		casts.insert (t);
}

void scan_cast (gassign *a)
{
	tree lhs = gimple_assign_lhs (a), rhs = gimple_assign_rhs1 (a);
	if (TREE_CODE (lhs) == SSA_NAME && TREE_CODE (rhs) == SSA_NAME
	    && void_pointer_p (TREE_TYPE (rhs)) && struct_pointee (TREE_TYPE (lhs))
	    && (gimple_assign_single_p (a) || CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a))))
		casts.insert (struct_pointee (TREE_TYPE (lhs)));
	if (gimple_assign_single_p (a)) {
		note_cast (lhs);
		note_cast (rhs);
	}
}

void scan (gassign *a)
{
	use_key key;
	tree lhs = gimple_assign_lhs (a);
	scan_cast (a);
	if (!gimple_assign_single_p (a))
		return;
	scan_fn_store (lhs, gimple_assign_rhs1 (a));
	auto out = getter_outs.find (gimple_assign_rhs1 (a));
	if (out != getter_outs.end () && TREE_CODE (lhs) == SSA_NAME) {
		/* `void *arg; bufferevent_getcb (..., &arg); c = arg;` */
		std::set<tree> seen;
		follow (user_data_key (out->second->getter), lhs, 0, 0, seen);
		return;
	}
	if (generic_member (gimple_assign_rhs1 (a), &key)) {
		/* a load: where its value goes */
		if (TREE_CODE (lhs) == SSA_NAME) {
			std::set<tree> seen;
			follow_base = TREE_OPERAND (gimple_assign_rhs1 (a), 0);
			follow_field = std::get<1> (key);
			follow (key, lhs, 0, 0, seen);
			follow_base = follow_field = NULL_TREE;
		} else {
			note (key, struct_pointee (TREE_TYPE (lhs)), 0);
		}
	} else if (generic_member (lhs, &key)) {
		/* a store of a T * value */
		note (key, struct_pointee (TREE_TYPE (gimple_assign_rhs1 (a))), 0);
		value_stores.push_back (std::make_pair (TREE_OPERAND (lhs, 0), key));
	}
}

/* The path of a struct pointer passed as an argument (a parameter of the
 * caller: the value is used in the caller, a handler given the struct). */
tree arg_path (tree arg)
{
	return POINTER_TYPE_P (TREE_TYPE (arg)) ? pointer_path (arg) : NULL_TREE;
}

/* The result of a call of a function returning `void *`: where it goes. */
void scan_call (gcall *c)
{
	tree fn = gimple_call_fndecl (c), lhs = gimple_call_lhs (c);
	if (fn)
		scan_param_passes (c, fn);
	for (unsigned i = 0; fn && i < gimple_call_num_args (c); i++) {
		fn_slot slot;
		if (tree f = copied_function (gimple_call_arg (c, i)))
			fn_args[std::make_pair (fn, (int) i)].insert (f);
		else if (fn_value_slot (gimple_call_arg (c, i), &slot))
			fn_arg_slots[std::make_pair (fn, (int) i)].insert (slot);
	}
	if (!fn || !lhs || TREE_CODE (lhs) != SSA_NAME)
		return;
	const user_data_accessor *a = user_data_getter (fn);
	if (a && a->out < 0) {
		std::set<tree> seen;
		follow (user_data_key (a->getter), lhs, 0, 0, seen);
		return;
	}
	tree rt = TREE_TYPE (TREE_TYPE (fn));
	if (!POINTER_TYPE_P (rt) || !VOID_TYPE_P (TREE_TYPE (rt)) || hands_out_blocks (fn))
		return;
	call_site site = { ncalls++, {} };
	for (unsigned i = 0; i < gimple_call_num_args (c); i++)
		site.arg_paths.push_back (arg_path (gimple_call_arg (c, i)));
	std::set<tree> seen;
	follow (result_of (fn, site.number), lhs, 0, 0, seen);
	calls[fn].push_back (site);
}

/* Key k returned by fn, seen from a call of it: a path that is one of
 * fn's parameters becomes the path of the call's argument. */
use_key at_call (const use_key &k, tree fn, const call_site &site)
{
	tree path = std::get<2> (k);
	if (!path || TREE_CODE (path) != PARM_DECL || DECL_CONTEXT (path) != fn)
		return k;
	unsigned i = 0;
	for (tree p = DECL_ARGUMENTS (fn); p && p != path; p = DECL_CHAIN (p))
		i++;
	path = i < site.arg_paths.size () ? site.arg_paths[i] : NULL_TREE;
	return use_key (std::get<0> (k), std::get<1> (k), path, std::get<3> (k));
}

/* Give each key a function returns the uses of that function's results
 * at each call, on the call's path, until no set grows (a chain of
 * accessors: F returns G's result). */
void merge_returned ()
{
	for (bool grew = true; grew;) {
		grew = false;
		for (const auto &fr : returned) {
			for (const call_site &site : calls[fr.first]) {
				auto res = uses.find (result_of (fr.first, site.number));
				if (res == uses.end ())
					continue;
				const std::set<tree> types = res->second;
				for (const auto &ko : fr.second) {
					use_key k = at_call (ko.first, fr.first, site);
					size_t before = uses[k].size ();
					for (tree t : types)
						note (k, t, ko.second);
					grew |= uses[k].size () != before;
				}
			}
		}
	}
}

/* The functions of a slot: stored into it, passed as it, or from the
 * slots flowing into it. */
void close_slots ()
{
	for (const auto &fa : fn_args) {
		auto ps = params_of.find (fa.first.first);
		if (ps != params_of.end () && fa.first.second < (int) ps->second.size ())
			slot_fns[fn_slot (NULL_TREE, ps->second[fa.first.second])].insert (
				fa.second.begin (), fa.second.end ());
	}
	for (const auto &fa : fn_arg_slots) {
		auto ps = params_of.find (fa.first.first);
		if (ps != params_of.end () && fa.first.second < (int) ps->second.size ())
			slot_flows[fn_slot (NULL_TREE, ps->second[fa.first.second])].insert (
				fa.second.begin (), fa.second.end ());
	}
	for (bool grew = true; grew;) {
		grew = false;
		for (const auto &sf : slot_flows)
			for (const fn_slot &from : sf.second) {
				auto it = slot_fns.find (from);
				if (it == slot_fns.end ())
					continue;
				std::set<tree> &to = slot_fns[sf.first];
				size_t before = to.size ();
				to.insert (it->second.begin (), it->second.end ());
				grew |= to.size () != before;
			}
	}
	for (const auto &sc : slot_calls)
		for (const auto &call : sc.second)
			for (tree f : slot_fns[call.first])
				passed_to[sc.first].insert (std::make_pair (f, call.second));
	for (const auto &r : registered)
		for (const auto &cf : r.second)
			if (!params_of.count (cf.first))
				passed_to[r.first].insert (std::make_pair (cf.second, -1));
	for (const auto &r : registered_slots)
		for (const auto &cs : r.second)
			if (!params_of.count (cs.first))
				for (tree f : slot_fns[cs.second]) {
					passed_to[r.first].insert (std::make_pair (f, -1));
					for (setter_call &sc : setter_calls)
						if (sc.key == r.first && sc.setter == cs.first)
							sc.callbacks.insert (f);
				}
}

/* Key k's value is parameter i of f: f's parameter's uses are k's, or
 * the struct it is declared a pointer to. */
void pass_to (const use_key &k, tree f, int i)
{
	int n = 0;
	for (tree a = TYPE_ARG_TYPES (TREE_TYPE (f)); a && a != void_list_node;
	     a = TREE_CHAIN (a), n++) {
		if (i >= 0 && n != i)
			continue;
		tree type = TREE_VALUE (a);
		if (i >= 0 && struct_pointee (type))
			note (k, struct_pointee (type), 0);
		if (!void_pointer_p (type))
			continue;
		auto ps = params_of.find (f);
		if (ps != params_of.end () && n < (int) ps->second.size ())
			flows[k].insert (param_of (ps->second[n]));
		else if (TREE_PUBLIC (f))
			passed_out[k].insert (std::make_pair (f, n));
	}
}

/* Key from grows by what key to has in table: whether it grew. */
template <typename T>
bool join (std::map<use_key, std::set<T>> &table, const use_key &from, const use_key &to)
{
	auto it = table.find (to);
	if (it == table.end () || it->second.empty ())
		return false;
	const std::set<T> add = it->second;
	std::set<T> &mine = table[from];
	size_t before = mine.size ();
	mine.insert (add.begin (), add.end ());
	return mine.size () != before;
}

/* Merge the uses along the flows (a value passed on or stored on has the
 * uses of where it went) and the accessors' results, until nothing
 * grows. */
void merge_until_stable ()
{
	for (bool grew = true; grew;) {
		merge_returned ();
		grew = false;
		for (const auto &fl : flows)
			for (const use_key &to : fl.second) {
				grew |= join (uses, fl.first, to);
				grew |= join (passed_out, fl.first, to);
				grew |= join (pool_out, fl.first, to);
			}
	}
}

void merge_flows ()
{
	close_slots ();
	for (const auto &pt : passed_to)
		for (const auto &fi : pt.second)
			pass_to (pt.first, fi.first, fi.second);
	merge_until_stable ();
	if (join_user_data_pools ())
		merge_until_stable ();
}

/* The uses of the function's `void *` parameters (what a callback casts
 * its argument to). */
void follow_parameters (function *fun)
{
	std::vector<tree> &params = params_of[fun->decl];
	for (tree p = DECL_ARGUMENTS (fun->decl); p; p = DECL_CHAIN (p)) {
		params.push_back (p);
		stf_keep (p);
		tree d = void_pointer_p (TREE_TYPE (p)) ? ssa_default_def (fun, p) : NULL_TREE;
		if (d) {
			std::set<tree> seen;
			follow (param_of (p), d, 0, 0, seen);
		}
	}
}

const pass_data member_uses_pass_data = {
	GIMPLE_PASS, "stf_member_uses", OPTGROUP_NONE, TV_NONE,
	PROP_ssa | PROP_cfg, 0, 0, 0, 0
};

class member_uses_pass : public gimple_opt_pass {
public:
	explicit member_uses_pass (gcc::context *ctxt)
		: gimple_opt_pass (member_uses_pass_data, ctxt) {}
	bool gate (function *) final override { return stf_active (); }
	unsigned int execute (function *fun) final override
	{
		basic_block bb;
		FOR_EACH_BB_FN (bb, fun)
			for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi);
			     gsi_next (&gsi))
				if (gcall *c = dyn_cast <gcall *> (gsi_stmt (gsi)))
					scan_getter_out (c);
		FOR_EACH_BB_FN (bb, fun)
			for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi);
			     gsi_next (&gsi))
				if (gassign *a = dyn_cast <gassign *> (gsi_stmt (gsi))) {
					scan (a);
					stf_scan_offset_member (a);
				} else if (gcall *c = dyn_cast <gcall *> (gsi_stmt (gsi)))
					scan_call (c);
				else if (greturn *r = dyn_cast <greturn *> (gsi_stmt (gsi)))
					scan_fn_return (fun, r);
		getter_outs.clear ();
		link_stores_of_one_struct ();
		follow_parameters (fun);
		return 0;
	}
};

} /* namespace stf_member_uses */

using namespace stf_member_uses;

opt_pass *stf_make_member_uses_pass (gcc::context *ctxt)
{
	return new member_uses_pass (ctxt);
}

int stf_follow_site_value (tree value, unsigned HOST_WIDE_INT size)
{
	HOST_WIDE_INT n = site_sizes.size ();
	site_sizes.push_back (size);
	std::set<tree> seen;
	follow (site_key (n), value, 0, 0, seen);
	return (int) n;
}

bool stf_site_handed_to_functions (int n)
{
	use_key k = site_key (n);
	return passed_to.count (k) || registered.count (k) || registered_slots.count (k)
	       || slot_calls.count (k) || passed_out.count (k) || pool_out.count (k);
}

void stf_resolve_member_uses (void)
{
	merge_flows ();
}
