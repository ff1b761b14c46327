/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * size-header.cc - where a size-prefixing wrapper keeps the size.
 *
 * An STF_ALLOCATOR function such as
 *
 *     void *xmalloc(size_t n) {
 *             struct hdr *h = malloc(sizeof *h + n);
 *             h->magic = MAGIC; h->size = n; used_memory += n;
 *             return h + 1;
 *     }
 *
 * hands out the bytes after a prefix of its own.  When the struct behind
 * such an object grows in an update, the transfer moves the whole block to
 * one of the new size (transfer/subobjects.c); the program then reads its
 * size back from the header (an xrealloc copying h->size bytes, an xfree
 * subtracting it from used_memory), so the header must say the new size and
 * the counter must count it.  This file finds, in the wrapper's body, the
 * prefix (every return is the block plus one constant), the one field of
 * the prefix the size argument is stored into (n, or n plus a constant,
 * converted at most) and the static it is added to (`used += n`, or an
 * atomic add), and nothing else done with the size (a size rounded up, or
 * passed to another function, may be kept in a form the transfer cannot
 * rewrite): then the prefix is understood.  The analysis runs on the
 * unoptimized SSA form, the same at every optimization level.
 */
#include "stf-plugin.h"
#include "size-header.h"
#include "attributes.h"
#include "objects.h"
#include "tree-dfa.h"

namespace {

typedef std::map<tree, HOST_WIDE_INT> block_ptrs; /* pointer -> offset into the block */

bool block_ref (tree ref, const block_ptrs &blk, HOST_WIDE_INT *off);

/* The constant offset into the block of a pointer value; false if it is
 * no pointer into the block or its offset varies. */
bool block_address (tree addr, const block_ptrs &blk, HOST_WIDE_INT *off)
{
	if (TREE_CODE (addr) == SSA_NAME) {
		auto it = blk.find (addr);
		if (it == blk.end ())
			return false;
		*off = it->second;
		return true;
	}
	return TREE_CODE (addr) == ADDR_EXPR && block_ref (TREE_OPERAND (addr, 0), blk, off);
}

/* The constant offset into the block of a memory reference. */
bool block_ref (tree ref, const block_ptrs &blk, HOST_WIDE_INT *off)
{
	poly_int64 bitsize, bitpos;
	tree offset;
	machine_mode mode;
	int unsignedp, reversep, volatilep = 0;
	tree base = get_inner_reference (ref, &bitsize, &bitpos, &offset, &mode, &unsignedp,
					 &reversep, &volatilep);
	HOST_WIDE_INT bits, at, moff;
	if (offset || !bitpos.is_constant (&bits) || bits % BITS_PER_UNIT
	    || TREE_CODE (base) != MEM_REF || !block_address (TREE_OPERAND (base, 0), blk, &at)
	    || !mem_ref_offset (base).force_shwi ().is_constant (&moff))
		return false;
	*off = at + moff + bits / BITS_PER_UNIT;
	return true;
}

/* Whether v is the size argument, converted at most, plus a constant
 * (*add). */
bool size_value (tree v, tree n, int64_t *add)
{
	*add = 0;
	for (int depth = 0; depth < 8; depth++) {
		if (v == n || (TREE_CODE (v) == SSA_NAME && SSA_NAME_VAR (v) == n
			       && SSA_NAME_IS_DEFAULT_DEF (v)))
			return true;
		if (TREE_CODE (v) != SSA_NAME)
			return false;
		gassign *def = dyn_cast <gassign *> (SSA_NAME_DEF_STMT (v));
		if (!def || !INTEGRAL_TYPE_P (TREE_TYPE (gimple_assign_lhs (def))))
			return false;
		tree_code code = gimple_assign_rhs_code (def);
		if (code == PLUS_EXPR && TREE_CODE (gimple_assign_rhs2 (def)) == INTEGER_CST)
			*add += tree_to_shwi (gimple_assign_rhs2 (def));
		else if (!gimple_assign_single_p (def) && !CONVERT_EXPR_CODE_P (code))
			return false;
		v = gimple_assign_rhs1 (def);
	}
	return false;
}

/* A static or global variable of an integer type: a counter may be one. */
bool counter_variable (tree v)
{
	return v && TREE_CODE (v) == VAR_DECL && is_global_var (v)
	       && INTEGRAL_TYPE_P (TREE_TYPE (v)) && !DECL_THREAD_LOCAL_P (v);
}

/* `g = g + size` (its store): the counter g, else NULL. */
tree counter_store (gassign *store, tree n)
{
	tree g = gimple_assign_lhs (store);
	tree v = gimple_assign_rhs1 (store);
	if (!counter_variable (g) || TREE_CODE (v) != SSA_NAME)
		return NULL_TREE;
	gassign *sum = dyn_cast <gassign *> (SSA_NAME_DEF_STMT (v));
	if (!sum || gimple_assign_rhs_code (sum) != PLUS_EXPR)
		return NULL_TREE;
	int64_t add;
	for (int k = 0; k < 2; k++) {
		tree old = k ? gimple_assign_rhs2 (sum) : gimple_assign_rhs1 (sum);
		tree size = k ? gimple_assign_rhs1 (sum) : gimple_assign_rhs2 (sum);
		gassign *load = TREE_CODE (old) == SSA_NAME
			? dyn_cast <gassign *> (SSA_NAME_DEF_STMT (old)) : NULL;
		if (load && gimple_assign_single_p (load) && gimple_assign_rhs1 (load) == g
		    && size_value (size, n, &add))
			return g;
	}
	return NULL_TREE;
}

/* An atomic add of the size to a counter (__atomic_fetch_add(&g, n, ...),
 * __sync_add_and_fetch and the like): the counter, else NULL. */
tree counter_call (gcall *call, tree n)
{
	if (!gimple_call_builtin_p (call, BUILT_IN_NORMAL) || gimple_call_num_args (call) < 2)
		return NULL_TREE;
	built_in_function f = DECL_FUNCTION_CODE (gimple_call_fndecl (call));
	auto in = [f] (built_in_function lo, built_in_function hi) { return f >= lo && f <= hi; };
	if (!in (BUILT_IN_ATOMIC_FETCH_ADD_1, BUILT_IN_ATOMIC_FETCH_ADD_16)
	    && !in (BUILT_IN_ATOMIC_ADD_FETCH_1, BUILT_IN_ATOMIC_ADD_FETCH_16)
	    && !in (BUILT_IN_SYNC_FETCH_AND_ADD_1, BUILT_IN_SYNC_FETCH_AND_ADD_16)
	    && !in (BUILT_IN_SYNC_ADD_AND_FETCH_1, BUILT_IN_SYNC_ADD_AND_FETCH_16))
		return NULL_TREE;
	tree a = gimple_call_arg (call, 0);
	int64_t add;
	if (TREE_CODE (a) != ADDR_EXPR || !counter_variable (TREE_OPERAND (a, 0))
	    || !size_value (gimple_call_arg (call, 1), n, &add))
		return NULL_TREE;
	return TREE_OPERAND (a, 0);
}

/* Calls that may take the size without keeping it: the allocators, and
 * filling or copying bytes. */
bool size_call_harmless (gcall *call)
{
	tree fn = gimple_call_fndecl (call);
	stf_allocator_desc d;
	if (fn && stf_classify_allocator (fn, &d))
		return true;
	if (!gimple_call_builtin_p (call, BUILT_IN_NORMAL))
		return false;
	switch (DECL_FUNCTION_CODE (fn)) {
	case BUILT_IN_MEMCPY: case BUILT_IN_MEMMOVE: case BUILT_IN_MEMSET:
	case BUILT_IN_MEMCPY_CHK: case BUILT_IN_MEMMOVE_CHK: case BUILT_IN_MEMSET_CHK:
		return true;
	default:
		return false;
	}
}

bool mentions_any (gimple *stmt, const std::set<tree> &values, unsigned first_op)
{
	for (unsigned i = first_op; i < gimple_num_ops (stmt); i++) {
		tree op = gimple_op (stmt, i);
		if (op && walk_tree_without_duplicates (&op, [] (tree *tp, int *walk, void *data) {
			    if (TYPE_P (*tp) || DECL_P (*tp))
				    *walk = 0;
			    return ((const std::set<tree> *) data)->count (*tp) ? *tp : NULL_TREE;
		    }, (void *) &values))
			return true;
	}
	return false;
}

/* The blocks the allocator's NULL result leads to (`if (!h) return
 * oom(n);`): there is no block there, so what they do with the size is
 * not kept in one. */
std::vector<basic_block> null_path_heads (function *fun, tree block)
{
	std::vector<basic_block> heads;
	basic_block bb;
	FOR_EACH_BB_FN (bb, fun) {
		/* safe: an empty block has no last statement */
		gcond *c = safe_dyn_cast <gcond *> (last_stmt (bb));
		if (!c || gimple_cond_lhs (c) != block || !integer_zerop (gimple_cond_rhs (c))
		    || (gimple_cond_code (c) != EQ_EXPR && gimple_cond_code (c) != NE_EXPR))
			continue;
		edge e;
		edge_iterator ei;
		unsigned want = gimple_cond_code (c) == EQ_EXPR ? EDGE_TRUE_VALUE : EDGE_FALSE_VALUE;
		FOR_EACH_EDGE (e, ei, bb->succs)
			if ((e->flags & want) && single_pred_p (e->dest))
				heads.push_back (e->dest);
	}
	return heads;
}

bool on_null_path (basic_block bb, const std::vector<basic_block> &heads)
{
	for (basic_block h : heads)
		if (dominated_by_p (CDI_DOMINATORS, bb, h))
			return true;
	return false;
}

/* The returned values: each NULL, another allocator's block, or this
 * block plus *prefix, the same every time. */
bool returns_prefix (tree v, const block_ptrs &blk, gcall *call, std::set<tree> &seen,
		     const std::vector<basic_block> &null_paths, HOST_WIDE_INT *prefix)
{
	HOST_WIDE_INT off;
	if (integer_zerop (v))
		return true;
	if (block_address (v, blk, &off)) {
		if (*prefix >= 0 && *prefix != off)
			return false;
		*prefix = off;
		return true;
	}
	if (TREE_CODE (v) != SSA_NAME)
		return false;
	if (!seen.insert (v).second)
		return true;
	gimple *def = SSA_NAME_DEF_STMT (v);
	if (gphi *phi = dyn_cast <gphi *> (def)) {
		for (unsigned k = 0; k < gimple_phi_num_args (phi); k++)
			if (!on_null_path (gimple_phi_arg_edge (phi, k)->src, null_paths)
			    && !returns_prefix (gimple_phi_arg_def (phi, k), blk, call, seen,
						null_paths, prefix))
				return false;
		return true;
	}
	if (gassign *a = dyn_cast <gassign *> (def))
		return (gimple_assign_single_p (a) || CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a)))
		       && returns_prefix (gimple_assign_rhs1 (a), blk, call, seen, null_paths,
					  prefix);
	gcall *other = dyn_cast <gcall *> (def);
	stf_allocator_desc d;
	return other && other != call && gimple_call_fndecl (other)
	       && stf_classify_allocator (gimple_call_fndecl (other), &d);
}

/* The pointers into the block, with their offsets, and the values
 * computed from the size, through the whole body. */
void follow_values (function *fun, tree block, tree n, block_ptrs &blk, std::set<tree> &sized)
{
	blk[block] = 0;
	if (n) {
		if (tree d = ssa_default_def (fun, n))
			sized.insert (d);
		sized.insert (n);
	}
	for (bool changed = true; changed;) {
		changed = false;
		basic_block bb;
		FOR_EACH_BB_FN (bb, fun) {
			for (gphi_iterator pi = gsi_start_phis (bb); !gsi_end_p (pi); gsi_next (&pi)) {
				gphi *phi = pi.phi ();
				tree res = gimple_phi_result (phi);
				for (unsigned k = 0; k < gimple_phi_num_args (phi); k++)
					if (sized.count (gimple_phi_arg_def (phi, k)))
						changed |= sized.insert (res).second;
			}
			for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi);
			     gsi_next (&gsi)) {
				gassign *a = dyn_cast <gassign *> (gsi_stmt (gsi));
				if (!a || TREE_CODE (gimple_assign_lhs (a)) != SSA_NAME)
					continue;
				tree lhs = gimple_assign_lhs (a), rhs1 = gimple_assign_rhs1 (a);
				tree_code code = gimple_assign_rhs_code (a);
				HOST_WIDE_INT off;
				if (!blk.count (lhs) && POINTER_TYPE_P (TREE_TYPE (lhs))) {
					bool copy = gimple_assign_single_p (a) || CONVERT_EXPR_CODE_P (code);
					if (copy && block_address (rhs1, blk, &off)) {
						blk[lhs] = off;
						changed = true;
					} else if (code == POINTER_PLUS_EXPR
						   && TREE_CODE (gimple_assign_rhs2 (a)) == INTEGER_CST
						   && block_address (rhs1, blk, &off)) {
						blk[lhs] = off + tree_to_shwi (gimple_assign_rhs2 (a));
						changed = true;
					}
				}
				if (!sized.count (lhs) && mentions_any (a, sized, 1))
					changed |= sized.insert (lhs).second;
			}
		}
	}
}

struct prefix_store {
	HOST_WIDE_INT at;
	uint32_t width;
	int64_t add;
};

bool scan_body (const struct block_walk &w, gcall *call, tree n, stf_size_header *out);

/* The prefix every return of fun outside the null paths hands out past
 * (returns_prefix), -1 when one returns anything else; 0 when none
 * returns the block. */
HOST_WIDE_INT returned_prefix (function *fun, gcall *call, const block_ptrs &blk,
			       const std::vector<basic_block> &null_paths)
{
	HOST_WIDE_INT prefix = -1;
	basic_block bb;
	FOR_EACH_BB_FN (bb, fun) {
		greturn *r = safe_dyn_cast <greturn *> (last_stmt (bb));
		if (!r || on_null_path (bb, null_paths))
			continue;
		std::set<tree> seen;
		tree v = gimple_return_retval (r);
		if (!v || !returns_prefix (v, blk, call, seen, null_paths, &prefix))
			return -1;
	}
	return prefix < 0 ? 0 : prefix;
}

/* The block that call allocates and the pointers into it in the function
 * being compiled (the size argument n, NULL if none, and the values
 * computed from it in *sized), with its null paths; dominance information
 * is there until the object goes. */
struct block_walk {
	function *fun;
	block_ptrs blk;
	std::set<tree> sized;
	std::vector<basic_block> null_paths;
	bool had_doms;

	block_walk (gcall *call, tree n) : fun (DECL_STRUCT_FUNCTION (current_function_decl))
	{
		follow_values (fun, gimple_call_lhs (call), n, blk, sized);
		had_doms = dom_info_available_p (fun, CDI_DOMINATORS);
		if (!had_doms)
			calculate_dominance_info (CDI_DOMINATORS);
		null_paths = null_path_heads (fun, gimple_call_lhs (call));
	}
	~block_walk ()
	{
		if (!had_doms)
			free_dominance_info (CDI_DOMINATORS);
	}
};

/* Whether call allocates a heap block a function may hand out part of. */
bool heap_block_call (gcall *call, const stf_allocator_desc &alloc)
{
	tree block = gimple_call_lhs (call);
	return alloc.name && alloc.out_arg < 0 && !(alloc.flags & (STF_SF_MMAP | STF_SF_STRING))
	       && block && TREE_CODE (block) == SSA_NAME;
}

} /* namespace */

int64_t stf_undeclared_prefix (gcall *call, const stf_allocator_desc &alloc, tree type)
{
	tree fn = current_function_decl;
	tree ret = TREE_TYPE (TREE_TYPE (fn));
	/* a `char *` handed out is text (a counted string's), no struct */
	if (!heap_block_call (call, alloc) || stf_is_wrapper (fn) || !POINTER_TYPE_P (ret)
	    || TYPE_MAIN_VARIANT (TREE_TYPE (ret)) == char_type_node
	    || TYPE_MAIN_VARIANT (TREE_TYPE (ret)) == unsigned_char_type_node)
		return 0;
	block_walk w (call, NULL_TREE);
	HOST_WIDE_INT prefix = returned_prefix (w.fun, call, w.blk, w.null_paths);
	/* inside the site's type: a member of a typed block (`return
	 * &w->conn`), which the transfer knows */
	HOST_WIDE_INT inside = type ? int_size_in_bytes (type) : -1;
	return prefix > 0 && prefix >= inside ? prefix : 0;
}

bool stf_find_size_header (gcall *call, const stf_allocator_desc &alloc, stf_size_header *out)
{
	*out = stf_size_header ();
	tree fn = current_function_decl;
	stf_allocator_desc self;
	if (!heap_block_call (call, alloc) || !stf_is_allocator (fn)
	    || !stf_classify_allocator (fn, &self) || self.size_arg < 0)
		return false;
	tree n = DECL_ARGUMENTS (fn);
	for (int i = 0; n && i < self.size_arg; i++)
		n = DECL_CHAIN (n);
	if (!n || !INTEGRAL_TYPE_P (TREE_TYPE (n)))
		return false;

	block_walk w (call, n);
	return scan_body (w, call, n, out);
}

namespace {

/* The rest of stf_find_size_header: the statements of the body. */
bool scan_body (const block_walk &w, gcall *call, tree n, stf_size_header *out)
{
	const block_ptrs &blk = w.blk;
	const std::set<tree> &sized = w.sized;
	HOST_WIDE_INT prefix = returned_prefix (w.fun, call, blk, w.null_paths);
	std::vector<prefix_store> stores;
	std::set<tree> counters;
	basic_block bb;
	FOR_EACH_BB_FN (bb, w.fun) {
		if (on_null_path (bb, w.null_paths))
			continue;
		for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi); gsi_next (&gsi)) {
			gimple *stmt = gsi_stmt (gsi);
			if (is_gimple_debug (stmt) || is_a <greturn *> (stmt))
				continue;
			if (gcall *c = dyn_cast <gcall *> (stmt)) {
				if (tree g = counter_call (c, n))
					counters.insert (g);
				else if (mentions_any (c, sized, 0) && !size_call_harmless (c))
					return false; /* the size handed on: kept who knows how */
				continue;
			}
			gassign *a = dyn_cast <gassign *> (stmt);
			if (!a || TREE_CODE (gimple_assign_lhs (a)) == SSA_NAME
			    || !mentions_any (a, sized, 1))
				continue;
			/* a value of the size stored into memory */
			tree lhs = gimple_assign_lhs (a);
			HOST_WIDE_INT at;
			int64_t add;
			if (tree g = counter_store (a, n)) {
				counters.insert (g);
			} else if (block_ref (lhs, blk, &at) && gimple_num_ops (a) == 2
				   && size_value (gimple_assign_rhs1 (a), n, &add)
				   && tree_fits_uhwi_p (TYPE_SIZE_UNIT (TREE_TYPE (lhs)))) {
				stores.push_back ({ at, (uint32_t) tree_to_uhwi (
					TYPE_SIZE_UNIT (TREE_TYPE (lhs))), add });
			} else {
				return false;
			}
		}
	}
	if (prefix <= 0 || counters.size () > 1)
		return false;
	for (const prefix_store &s : stores)
		if (s.at + s.width > prefix || (s.width != 4 && s.width != 8)
		    || s.at != stores[0].at || s.width != stores[0].width || s.add != stores[0].add)
			return false; /* the size in the object, or in two places */
	out->known = true;
	out->prefix = prefix;
	if (!stores.empty ()) {
		out->at = (int32_t) (stores[0].at - prefix);
		out->width = stores[0].width;
		out->add = stores[0].add;
	}
	if (!counters.empty ()) {
		std::string func;
		out->counter = stf_object_id (*counters.begin (), &func);
	}
	return true;
}

} /* namespace */
