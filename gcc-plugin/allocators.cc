/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * allocators.cc - which functions allocate.
 *
 * Besides the C library's allocators, calls to allocator wrappers are
 * sites of their callers: the caller knows what the block is for.  A
 * function is a wrapper when it is annotated STF_ALLOCATOR, when it is
 * declared with GCC's malloc attribute outside a system header, or when
 * its body shows that everything it returns comes straight from an
 * allocator: real code (xmalloc, vsf_sysutil_malloc) has such wrappers
 * without annotations.
 *
 * The body is looked at once for the whole unit, before the first
 * optimization pass, in the lowered GIMPLE that every optimization level
 * shares, so the same functions are wrappers at -O0 and -O3 and site IDs
 * do not depend on the level.  (GCC's own inference, DECL_IS_MALLOC set by
 * ipa-pure-const, exists only from -O1 on and only after the early passes
 * have run, so it cannot be used for that.)  A function returns fresh
 * blocks when every value it returns is NULL or the result of an allocator
 * call, copied or converted through local variables only, and that result
 * is used for nothing else than comparisons with NULL, as the destination
 * of memcpy/memset/strcpy and the like, and for free: a function that keeps
 * the block elsewhere, initializes it through a typed pointer (it knows
 * the type better than its callers), or may return anything else (a
 * static buffer, a parameter) is not a wrapper.  Except when its size is
 * a parameter passed on unchanged (or the product of two, a calloc-style
 * wrapper's count and size): then its callers chose the size, and so the
 * type, and what it stores is a leading tag or header of theirs
 * (`void *make(int tag, size_t n)` storing the tag through an `int *`).
 * One that keeps the block in a `char *` and copies bytes into it from a
 * `char *` (a string constructor) hands out strings, as strdup does.
 *
 * A wrapper returning what an STF_ALLOCATOR hands out in a size its
 * callers chose (a generic `obj_new` returning xmalloc's result) is one as
 * well: the code after each
 * call to it registers what it returned with the caller's site, as after a
 * call to the STF_ALLOCATOR (stf_registers_result).
 *
 * What was found is kept as an internal attribute of the function's decl,
 * which GCC's clones (xmalloc.constprop.0) inherit.
 */
#include "stf-plugin.h"
#include "allocators.h"
#include "attributes.h"
#include "stf-format.h"

namespace {

/* Everything libstf tracks that takes the pending-site marker. */
const stf_allocator_desc library[] = {
	{ "malloc",          0, -1, -1, 0 },
	{ "calloc",          1,  0, -1, STF_SF_ZEROED },
	{ "realloc",         1, -1, -1, STF_SF_REALLOC },
	{ "reallocarray",    2,  1, -1, STF_SF_REALLOC },
	{ "aligned_alloc",   1, -1, -1, 0 },
	{ "memalign",        1, -1, -1, 0 },
	{ "posix_memalign",  2, -1,  0, 0 },
	{ "valloc",          0, -1, -1, 0 },
	{ "pvalloc",        -1, -1, -1, 0 },
	{ "strdup",         -1, -1, -1, STF_SF_STRING },
	{ "strndup",        -1, -1, -1, STF_SF_STRING },
	{ "mmap",            1, -1, -1, STF_SF_MMAP },
	{ "mmap64",          1, -1, -1, STF_SF_MMAP },
};

/* The name has a space: no source can write this attribute. */
const char found_attr[] = "stf found allocator";

/* What a wrapper passes on of the allocators it returns the blocks of. */
const unsigned inherited = STF_SF_ZEROED | STF_SF_REALLOC | STF_SF_MMAP | STF_SF_STRING;

struct found_wrapper {
	unsigned flags;
	int size_arg, count_arg; /* parameters, -1 if unknown */
	bool fallback;           /* see STF_MARK_FALLBACK */
	bool sub_objects;        /* returns what an STF_ALLOCATOR hands out:
	                            see stf_registers_result */
	tree origin;             /* the function found (not a clone of it) */
};

bool get_found (const_tree fndecl, found_wrapper *w)
{
	tree a = lookup_attribute (found_attr, DECL_ATTRIBUTES (fndecl));
	if (!a)
		return false;
	tree v = TREE_VALUE (a);
	w->flags = (unsigned) tree_to_shwi (TREE_VALUE (v));
	v = TREE_CHAIN (v);
	w->size_arg = (int) tree_to_shwi (TREE_VALUE (v));
	v = TREE_CHAIN (v);
	w->count_arg = (int) tree_to_shwi (TREE_VALUE (v));
	v = TREE_CHAIN (v);
	w->fallback = !integer_zerop (TREE_VALUE (v));
	v = TREE_CHAIN (v);
	w->sub_objects = !integer_zerop (TREE_VALUE (v));
	w->origin = TREE_VALUE (TREE_CHAIN (v));
	return true;
}

void set_found (tree fndecl, const found_wrapper &w)
{
	tree v = tree_cons (NULL_TREE, fndecl, NULL_TREE);
	const int fields[] = { w.sub_objects, w.fallback, w.count_arg, w.size_arg,
			       (int) w.flags };
	for (int f : fields)
		v = tree_cons (NULL_TREE, build_int_cst (integer_type_node, f), v);
	DECL_ATTRIBUTES (fndecl) = tree_cons (get_identifier (found_attr), v,
					      DECL_ATTRIBUTES (fndecl));
}

/* GCC's malloc attribute (also the malloc (deallocator) form), written by
 * the user: system headers put it on fopen and the like, which are not
 * blocks a program's state transfer may type. */
bool user_malloc (const_tree fndecl)
{
	return lookup_attribute ("malloc", DECL_ATTRIBUTES (fndecl))
	       && !fndecl_built_in_p (fndecl)
	       && !in_system_header_at (DECL_SOURCE_LOCATION (fndecl));
}

/* A value only this function can change: a local non-static variable
 * whose address is never taken, the result, or a temporary. */
bool local_value (tree fn, tree v)
{
	switch (TREE_CODE (v)) {
	case SSA_NAME:
	case RESULT_DECL:
		return true;
	case VAR_DECL:
		return !TREE_STATIC (v) && !DECL_EXTERNAL (v) && !TREE_ADDRESSABLE (v)
		       && !TREE_THIS_VOLATILE (v) && !DECL_HAS_VALUE_EXPR_P (v)
		       && DECL_CONTEXT (v) == fn;
	default:
		return false;
	}
}

/* Calls that fill or free a block (their first argument) without keeping
 * its address. */
bool keeps_no_address (gcall *call)
{
	if (!gimple_call_builtin_p (call, BUILT_IN_NORMAL) || gimple_call_num_args (call) < 1)
		return false;
	switch (DECL_FUNCTION_CODE (gimple_call_fndecl (call))) {
	case BUILT_IN_FREE:
	case BUILT_IN_MEMCPY: case BUILT_IN_MEMMOVE: case BUILT_IN_MEMSET:
	case BUILT_IN_STRCPY: case BUILT_IN_STRNCPY: case BUILT_IN_STPCPY:
	case BUILT_IN_STPNCPY: case BUILT_IN_STRCAT: case BUILT_IN_STRNCAT:
	case BUILT_IN_MEMCPY_CHK: case BUILT_IN_MEMMOVE_CHK: case BUILT_IN_MEMSET_CHK:
	case BUILT_IN_STRCPY_CHK: case BUILT_IN_STRNCPY_CHK: case BUILT_IN_STPCPY_CHK:
	case BUILT_IN_STRCAT_CHK: case BUILT_IN_STRNCAT_CHK:
		return true;
	default:
		return false;
	}
}

tree find_in_set (tree *tp, int *walk_subtrees, void *data)
{
	const std::set<tree> *values = (const std::set<tree> *) data;
	if (TYPE_P (*tp) || DECL_P (*tp))
		*walk_subtrees = 0;
	return values->count (*tp) ? *tp : NULL_TREE;
}

bool mentions (tree t, const std::set<tree> &values)
{
	return t && walk_tree_without_duplicates (&t, find_in_set, (void *) &values);
}

bool stmt_mentions (gimple *stmt, const std::set<tree> &values, unsigned first_op)
{
	for (unsigned i = first_op; i < gimple_num_ops (stmt); i++)
		if (mentions (gimple_op (stmt, i), values))
			return true;
	return false;
}

/* The one statement defining v, a value only fn changes; NULL if none or
 * several. */
gimple *only_def (tree fn, const std::vector<gimple *> &stmts, tree v)
{
	if (TREE_CODE (v) == SSA_NAME)
		return SSA_NAME_DEF_STMT (v);
	if (!local_value (fn, v))
		return NULL;
	gimple *def = NULL;
	for (gimple *s : stmts)
		if (gimple_get_lhs (s) == v) {
			if (def)
				return NULL;
			def = s;
		}
	return def;
}

/* The parameter a value is, unchanged (through a conversion at most), -1
 * if none. */
int param_of (tree fn, const std::vector<gimple *> &stmts, tree a)
{
	if (TREE_CODE (a) == SSA_NAME) {
		gassign *def = dyn_cast <gassign *> (SSA_NAME_DEF_STMT (a));
		if (!def || !(gimple_assign_single_p (def)
			      || CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (def))))
			return -1;
		a = gimple_assign_rhs1 (def);
	}
	if (TREE_CODE (a) != PARM_DECL || TREE_ADDRESSABLE (a))
		return -1;
	for (gimple *s : stmts)
		if (gimple_get_lhs (s) == a)
			return -1;
	int i = 0;
	for (tree p = DECL_ARGUMENTS (fn); p; p = DECL_CHAIN (p), i++)
		if (p == a)
			return i;
	return -1;
}

/* The parameter an argument of a call passes on unchanged, -1 if none. */
int param_index (tree fn, const std::vector<gimple *> &stmts, gcall *call, int arg)
{
	if (arg < 0 || (unsigned) arg >= gimple_call_num_args (call))
		return -1;
	return param_of (fn, stmts, gimple_call_arg (call, arg));
}

/* Whether a size argument of a call is the product of two parameters (a
 * calloc-style wrapper's `xmalloc(count * size)`): their indexes. */
bool param_product (tree fn, const std::vector<gimple *> &stmts, gcall *call, int arg,
		    int *count, int *size)
{
	if (arg < 0 || (unsigned) arg >= gimple_call_num_args (call))
		return false;
	gimple *d = only_def (fn, stmts, gimple_call_arg (call, arg));
	gassign *def = d ? dyn_cast <gassign *> (d) : NULL;
	if (!def || gimple_assign_rhs_code (def) != MULT_EXPR)
		return false;
	*count = param_of (fn, stmts, gimple_assign_rhs1 (def));
	*size = param_of (fn, stmts, gimple_assign_rhs2 (def));
	return *count >= 0 && *size >= 0;
}

/* The same parameter from every allocator call, or -1. */
void merge_param (int *acc, int v)
{
	if (*acc == -2)
		*acc = v;
	else if (*acc != v)
		*acc = -1;
}

/* Whether a value's type is a byte pointer (`char *`, `const unsigned
 * char *`). */
bool byte_pointer (tree v)
{
	if (!POINTER_TYPE_P (TREE_TYPE (v)))
		return false;
	tree t = TREE_TYPE (TREE_TYPE (v));
	return TREE_CODE (t) == INTEGER_TYPE && TYPE_PRECISION (t) == CHAR_TYPE_SIZE;
}

/* Whether a fresh value is a named local of a byte pointer type (`char
 * *o`): the function's author says the block holds bytes. */
bool byte_local (tree v)
{
	return TREE_CODE (v) == VAR_DECL && !DECL_ARTIFICIAL (v) && byte_pointer (v);
}

/* Whether a call copies bytes read through a byte pointer (a string, not
 * a `const void *` to any object) into a fresh block: memcpy, strcpy and
 * the like, not memset, nor free, which takes one argument. */
bool copies_bytes_into_fresh (gimple *stmt, const std::set<tree> &fresh)
{
	gcall *call = dyn_cast <gcall *> (stmt);
	if (!call || !keeps_no_address (call) || gimple_call_num_args (call) < 2
	    || !fresh.count (gimple_call_arg (call, 0)) || !byte_pointer (gimple_call_arg (call, 1)))
		return false;
	built_in_function code = DECL_FUNCTION_CODE (gimple_call_fndecl (call));
	return code != BUILT_IN_MEMSET && code != BUILT_IN_MEMSET_CHK;
}

/* Whether stmt stores into a fresh block (`*p = tag`, `b->kind = k`)
 * something other than a fresh address. */
bool stores_into_fresh (gimple *stmt, const std::set<tree> &fresh)
{
	if (!gimple_store_p (stmt) || !is_gimple_assign (stmt))
		return false;
	tree base = get_base_address (gimple_assign_lhs (stmt));
	if (!base || TREE_CODE (base) != MEM_REF || !fresh.count (TREE_OPERAND (base, 0)))
		return false;
	return !stmt_mentions (stmt, fresh, 1);
}

/* Whether a use of a fresh value is one that keeps the block fresh.  With
 * caller_sized (the block's size is a parameter, passed on unchanged),
 * stores into the block keep it so: the function fills in a leading tag
 * or header of what its callers chose the size of (`make(T_FILE,
 * sizeof(struct file))`), and the callers know the whole type. */
bool use_keeps_fresh (gimple *stmt, const std::set<tree> &fresh, bool caller_sized)
{
	auto in = [&] (tree t) { return t && fresh.count (t); };
	auto null_test = [&] (tree_code code, tree a, tree b) {
		return (code == EQ_EXPR || code == NE_EXPR)
		       && ((in (a) && integer_zerop (b)) || (in (b) && integer_zerop (a)));
	};
	switch (gimple_code (stmt)) {
	case GIMPLE_RETURN:
		/* Its value was checked with the definitions. */
		return true;
	case GIMPLE_COND:
		if (null_test (gimple_cond_code (stmt), gimple_cond_lhs (stmt),
			       gimple_cond_rhs (stmt)))
			return true;
		break;
	case GIMPLE_ASSIGN:
		/* Definitions of fresh values were checked already. */
		if (in (gimple_assign_lhs (stmt)))
			return true;
		if (gimple_num_ops (stmt) == 3
		    && null_test (gimple_assign_rhs_code (stmt), gimple_assign_rhs1 (stmt),
				  gimple_assign_rhs2 (stmt)))
			return true;
		if (caller_sized && stores_into_fresh (stmt, fresh))
			return true;
		break;
	case GIMPLE_CALL: {
		gcall *call = as_a <gcall *> (stmt);
		if (in (gimple_call_lhs (call)))
			return !stmt_mentions (stmt, fresh, 1);
		if (!gimple_call_lhs (call) && keeps_no_address (call)
		    && in (gimple_call_arg (call, 0))) {
			for (unsigned i = 1; i < gimple_call_num_args (call); i++)
				if (mentions (gimple_call_arg (call, i), fresh))
					return false;
			return true;
		}
		break;
	}
	default:
		break;
	}
	return !stmt_mentions (stmt, fresh, 0);
}

/* Whether everything fn returns is a fresh block from an allocator (see
 * the top of the file); what it inherits from them goes to *w. */
bool returns_fresh (tree fn, found_wrapper *w)
{
	function *f = DECL_STRUCT_FUNCTION (fn);
	if (!f || !f->cfg || !POINTER_TYPE_P (TREE_TYPE (TREE_TYPE (fn))))
		return false;
	std::vector<gimple *> stmts;
	basic_block bb;
	FOR_EACH_BB_FN (bb, f)
		for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi);
		     gsi_next (&gsi))
			if (!is_gimple_debug (gsi_stmt (gsi)))
				stmts.push_back (gsi_stmt (gsi));

	std::vector<tree> work;
	for (gimple *s : stmts)
		if (greturn *r = dyn_cast <greturn *> (s)) {
			tree v = gimple_return_retval (r);
			if (!v)
				return false;
			if (integer_zerop (v))
				continue;
			if (!local_value (fn, v))
				return false;
			work.push_back (v);
		}

	/* Every definition of a returned value, and of the values it is
	 * copied from, is an allocator call or NULL. */
	std::set<tree> fresh;
	unsigned any = 0, all = ~0u;
	int size_arg = -2, count_arg = -2;
	bool allocates = false, sub_objects = false;
	while (!work.empty ()) {
		tree v = work.back ();
		work.pop_back ();
		if (!fresh.insert (v).second)
			continue;
		bool defined = false;
		for (gimple *s : stmts) {
			if (gimple_get_lhs (s) != v)
				continue;
			defined = true;
			if (gcall *call = dyn_cast <gcall *> (s)) {
				tree callee = gimple_call_fndecl (call);
				stf_allocator_desc d;
				if (!callee || !stf_classify_allocator (callee, &d) || d.out_arg >= 0)
					return false;
				allocates = true;
				sub_objects |= stf_registers_result (callee);
				any |= d.flags;
				all &= d.flags;
				int size_p = param_index (fn, stmts, call, d.size_arg);
				int count_p = param_index (fn, stmts, call, d.count_arg);
				int c, z;
				if (size_p < 0 && d.count_arg < 0
				    && param_product (fn, stmts, call, d.size_arg, &c, &z)) {
					count_p = c;
					size_p = z;
				}
				merge_param (&size_arg, size_p);
				merge_param (&count_arg, count_p);
			} else if (gassign *a = dyn_cast <gassign *> (s)) {
				if (!gimple_assign_single_p (a)
				    && !CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a)))
					return false;
				tree from = gimple_assign_rhs1 (a);
				if (integer_zerop (from))
					continue;
				if (!local_value (fn, from))
					return false;
				work.push_back (from);
			} else {
				return false;
			}
		}
		if (!defined)
			return false;
	}
	if (!allocates)
		return false;
	for (gimple *s : stmts)
		if (!use_keeps_fresh (s, fresh, size_arg >= 0))
			return false;
	w->flags = (any & STF_SF_REALLOC) | (all & inherited & ~STF_SF_REALLOC);
	/* A constructor of strings (string_newlen (s, n): `char *o =
	 * zmalloc (n, T_STRING); memcpy (o, s, n)` with `const char *s`)
	 * hands out bytes, as strdup does, whatever its callers keep them
	 * in: a `void *` member holding other values too must not type them
	 * as the struct it is also read as (a string of that struct's size
	 * taken for one).  A copy of any object (memdup (const void *p,
	 * size_t n)) leaves the type to its callers. */
	bool byte_block = false, bytes_copied = false;
	for (tree v : fresh)
		byte_block |= byte_local (v);
	for (gimple *s : stmts)
		bytes_copied |= copies_bytes_into_fresh (s, fresh);
	if (byte_block && bytes_copied)
		w->flags |= STF_SF_STRING;
	w->size_arg = size_arg < 0 ? -1 : size_arg;
	w->count_arg = count_arg < 0 ? -1 : count_arg;
	/* Only its callers' sizes say what it hands out: one that chooses the
	 * size itself (a module's create_conf, called through a pointer)
	 * knows the type better, and its own site types its objects. */
	w->sub_objects = sub_objects && size_arg >= 0;
	return true;
}

} /* namespace */

bool stf_classify_allocator (tree fndecl, stf_allocator_desc *out)
{
	std::string name = stf_decl_name (fndecl);
	if (name.compare (0, 10, "__builtin_") == 0)
		name = name.substr (10);
	for (const stf_allocator_desc &a : library)
		if (name == a.name) {
			*out = a;
			return true;
		}
	bool annotated = stf_is_allocator (fndecl);
	found_wrapper w;
	bool found = get_found (fndecl, &w);
	if (!annotated && !found && !user_malloc (fndecl))
		return false;
	out->name = NULL;
	out->size_arg = out->count_arg = out->out_arg = -1;
	out->flags = STF_SF_WRAPPER | (annotated ? 0 : STF_SF_AUTOWRAP);
	if (found) {
		out->flags |= w.flags;
		out->size_arg = w.size_arg;
		out->count_arg = w.count_arg;
		/* A clone (obj_new.constprop.0) may take fewer parameters: the
		 * code registering what it returns takes the size of the type
		 * its caller's site keeps, not an argument that may be another. */
		if (w.sub_objects && fndecl != w.origin)
			out->size_arg = out->count_arg = -1;
	}
	/* An STF_ALLOCATOR function says nothing more: its size is its first
	 * size_t parameter, if it has one. */
	tree as = lookup_attribute ("alloc_size", TYPE_ATTRIBUTES (TREE_TYPE (fndecl)));
	if (annotated && out->size_arg < 0 && !(as && TREE_VALUE (as))) {
		int i = 0, nsizes = 0;
		for (tree p = TYPE_ARG_TYPES (TREE_TYPE (fndecl)); p && !VOID_TYPE_P (TREE_VALUE (p));
		     p = TREE_CHAIN (p), i++)
			if (TYPE_MAIN_VARIANT (TREE_VALUE (p)) == size_type_node && !nsizes++)
				out->size_arg = i;
		static std::set<tree> refused;
		if (nsizes > 1 && refused.insert (fndecl).second)
			error_at (DECL_SOURCE_LOCATION (fndecl), "%<STF_ALLOCATOR%> function %qD "
				  "has several %<size_t%> parameters: say which is the size of "
				  "what it returns with %<__attribute__((alloc_size (N)))%> (or "
				  "%<alloc_size (COUNT, SIZE)%>) on its declaration", fndecl);
	}
	/* alloc_size tells which arguments of a wrapper carry the size. */
	if (as && TREE_VALUE (as)) {
		tree args = TREE_VALUE (as);
		out->count_arg = -1;
		if (tree_fits_shwi_p (TREE_VALUE (args)))
			out->size_arg = tree_to_shwi (TREE_VALUE (args)) - 1;
		if (TREE_CHAIN (args) && tree_fits_shwi_p (TREE_VALUE (TREE_CHAIN (args)))) {
			out->count_arg = out->size_arg;
			out->size_arg = tree_to_shwi (TREE_VALUE (TREE_CHAIN (args))) - 1;
		}
	}
	/* No size argument: the allocator decides how much it hands out (a
	 * slab's slot, sized when the slab was made), not its caller. */
	if (annotated && out->size_arg < 0)
		out->flags |= STF_SF_SLOT;
	return true;
}

bool stf_is_wrapper (const_tree fndecl)
{
	return stf_is_allocator (fndecl)
	       || lookup_attribute (found_attr, DECL_ATTRIBUTES (fndecl))
	       || user_malloc (fndecl);
}

bool stf_registers_result (const_tree fndecl)
{
	found_wrapper w;
	return stf_is_allocator (fndecl) || (get_found (fndecl, &w) && w.sub_objects);
}

enum stf_marking stf_body_marking (const_tree fndecl)
{
	/* STF_ALLOCATOR: what it returns is typed after the call returns;
	 * the blocks it allocates inside are its own sites. */
	if (!stf_is_wrapper (fndecl) || stf_is_allocator (fndecl))
		return STF_MARK_ALL;
	found_wrapper w;
	return get_found (fndecl, &w) && w.fallback ? STF_MARK_FALLBACK : STF_MARK_NONE;
}

void stf_find_wrappers (void *, void *)
{
	if (!stf_active ())
		return;
	std::vector<cgraph_node *> candidates;
	cgraph_node *node;
	FOR_EACH_FUNCTION_WITH_GIMPLE_BODY (node)
		if (POINTER_TYPE_P (TREE_TYPE (TREE_TYPE (node->decl)))
		    && !lookup_attribute (found_attr, DECL_ATTRIBUTES (node->decl)))
			candidates.push_back (node);

	/* Wrappers of wrappers: repeat until nothing new is found (the
	 * result does not depend on the order of the functions). */
	std::set<cgraph_node *> done;
	for (bool changed = true; changed;) {
		changed = false;
		for (cgraph_node *n : candidates) {
			found_wrapper w;
			if (done.count (n) || !returns_fresh (n->decl, &w))
				continue;
			done.insert (n);
			changed = true;
			bool annotated = stf_is_allocator (n->decl);
			if (!annotated)
				w.flags |= STF_SF_AUTOWRAP;
			/* Callers that do not know it is a wrapper (in other
			 * units, through a pointer) do not mark their calls:
			 * then its own sites apply. */
			w.fallback = !annotated && (TREE_PUBLIC (n->decl) || n->address_taken);
			set_found (n->decl, w);
			if (w.fallback)
				stf_verbose (DECL_SOURCE_LOCATION (n->decl), "stf: %qD returns "
					     "fresh blocks only: an allocator wrapper; calls from "
					     "other files or through pointers are its own sites "
					     "unless its declaration says %<STF_ALLOCATOR%>", n->decl);
			else if (!annotated)
				stf_verbose (DECL_SOURCE_LOCATION (n->decl), "stf: %qD returns "
					     "fresh blocks only: an allocator wrapper", n->decl);
		}
	}
	/* Declared with the malloc attribute and defined here, but not seen
	 * to return fresh blocks: a wrapper all the same, by the user's word. */
	for (cgraph_node *n : candidates)
		if (!done.count (n) && !stf_is_allocator (n->decl) && user_malloc (n->decl)) {
			found_wrapper w = { STF_SF_AUTOWRAP, -1, -1,
					    TREE_PUBLIC (n->decl) || n->address_taken, false,
					    n->decl };
			set_found (n->decl, w);
		}
}
