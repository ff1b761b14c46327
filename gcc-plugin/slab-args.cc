/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * slab-args.cc - where a slot allocator's call reads the slab it passes:
 * the path from a static (STF_SF_SLAB_STATIC's slab and slab_path), so
 * that the transfer finds the slab of a site never called before an
 * update (libstf/transfer/slots.c, idle_site_slab).
 */
#include "stf-plugin.h"
#include "slab-args.h"
#include "objects.h"

/* Where a pointer is loaded from, as a path from a static: reference
 * `ref` is read at the byte offset this appends to *offs from the
 * address of static *id (a variable) or from a pointer itself loaded so
 * (a member of a static, a pointer chain: srv.cache, srv->cache,
 * g->pools[2]).  Constant offsets only: false for a computed index
 * (g->pools[i]), a local or anything else. */
static bool load_path (tree ref, std::string *id, std::vector<HOST_WIDE_INT> *offs, int depth)
{
	poly_int64 bitsize, bitpos;
	tree offset;
	machine_mode mode;
	int unsignedp, reversep, volatilep;
	HOST_WIDE_INT bits;
	if (depth > 8)
		return false;
	tree base = get_inner_reference (ref, &bitsize, &bitpos, &offset, &mode, &unsignedp,
					 &reversep, &volatilep);
	if (offset || !bitpos.is_constant (&bits) || bits % BITS_PER_UNIT)
		return false;
	HOST_WIDE_INT off = bits / BITS_PER_UNIT;
	if (TREE_CODE (base) == VAR_DECL) {
		std::string func;
		if (!is_global_var (base) || (*id = stf_object_id (base, &func)).empty ())
			return false;
		offs->push_back (off);
		return true;
	}
	if (TREE_CODE (base) != MEM_REF || !tree_fits_shwi_p (TREE_OPERAND (base, 1)))
		return false;
	off += tree_to_shwi (TREE_OPERAND (base, 1));
	/* the pointer it is read through: p + constant, converted, loaded */
	tree ptr = TREE_OPERAND (base, 0);
	while (TREE_CODE (ptr) == SSA_NAME) {
		gassign *def = dyn_cast <gassign *> (SSA_NAME_DEF_STMT (ptr));
		if (!def)
			return false;
		if (gimple_assign_rhs_code (def) == POINTER_PLUS_EXPR
		    && tree_fits_shwi_p (gimple_assign_rhs2 (def))) {
			off += tree_to_shwi (gimple_assign_rhs2 (def));
			ptr = gimple_assign_rhs1 (def);
		} else if (CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (def))
			   || (gimple_assign_single_p (def)
			       && TREE_CODE (gimple_assign_rhs1 (def)) == SSA_NAME)) {
			ptr = gimple_assign_rhs1 (def);
		} else if (gimple_assign_single_p (def)
			   && load_path (gimple_assign_rhs1 (def), id, offs, depth + 1)) {
			offs->push_back (off);
			return true;
		} else {
			return false;
		}
	}
	return false;
}

bool stf_slab_arg_path (gcall *call, const stf_allocator_desc &alloc, std::string *id,
			std::string *path)
{
	if (!(alloc.flags & STF_SF_SLOT) || gimple_call_num_args (call) < 1)
		return false;
	tree arg = gimple_call_arg (call, 0);
	if (!POINTER_TYPE_P (TREE_TYPE (arg)) || TREE_CODE (arg) != SSA_NAME)
		return false;
	gimple *def = SSA_NAME_DEF_STMT (arg);
	std::vector<HOST_WIDE_INT> offs;
	if (!def || !gimple_assign_single_p (def)
	    || !load_path (gimple_assign_rhs1 (def), id, &offs, 0))
		return false;
	path->clear ();
	for (HOST_WIDE_INT o : offs)
		*path += (path->empty () ? "" : ",") + std::to_string (o);
	return true;
}

