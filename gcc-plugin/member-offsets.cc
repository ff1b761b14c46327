/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * member-offsets.cc - integer members the code adds to a pointer or
 * subtracts from one (STF_USE_OFFSET): offsets of a member inside another
 * struct, kept as numbers.  uthash's table keeps the offset of the handle
 * in the element (`tbl->hho`, computed as `(char *)&e->hh - (char *)e`,
 * which GCC folds to a constant) and goes from a handle back to its
 * element with `(char *)hhp - tbl->hho`, from an element to its handle
 * with `(char *)elp + tbl->hho`.  When the element type gains a member
 * before the handle, the number must follow: the transfer converts it
 * (libstf/transfer/member-offsets.c), given what the code does with it.
 *
 * Each `p + S.m` or `p - S.m` (a POINTER_PLUS_EXPR whose offset is the
 * value loaded from integer member m of struct S, through conversions
 * and a negation) records (S, m, the struct p points to, subtracted?).
 * Byte buffers and their positions (`c->rbuf + c->rbytes`) are not
 * offsets of members: only struct and `void` pointers are recorded.  The
 * pass runs on the unoptimized code (with member-uses.cc), so the record
 * is the same at every optimization level.
 */
#include "stf-plugin.h"
#include "member-offsets.h"

namespace {

/* (S, FIELD_DECL of m) -> (the struct pointed to or NULL for `void *`,
 * subtracted) */
typedef std::pair<tree, tree> offset_member;
std::map<offset_member, std::set<std::pair<tree, bool>>> offsets;

/* The integer member whose loaded value `by` is, through conversions
 * and negations (*negated: an odd number of them), or NULL. */
tree loaded_member (tree by, bool *negated)
{
	*negated = false;
	for (int depth = 0; TREE_CODE (by) == SSA_NAME && depth < 6; depth++) {
		gassign *a = dyn_cast <gassign *> (SSA_NAME_DEF_STMT (by));
		if (!a)
			return NULL_TREE;
		enum tree_code code = gimple_assign_rhs_code (a);
		tree rhs = gimple_assign_rhs1 (a);
		if (code == COMPONENT_REF) {
			tree f = TREE_OPERAND (rhs, 1);
			tree rec = DECL_CONTEXT (f);
			if (TREE_CODE (f) != FIELD_DECL || !DECL_NAME (f) || DECL_BIT_FIELD (f)
			    || !INTEGRAL_TYPE_P (TREE_TYPE (f)) || !rec
			    || TREE_CODE (rec) != RECORD_TYPE)
				return NULL_TREE;
			return f;
		}
		if (code == NEGATE_EXPR)
			*negated = !*negated;
		else if (!CONVERT_EXPR_CODE_P (code))
			return NULL_TREE;
		by = rhs;
	}
	return NULL_TREE;
}

/* The struct a pointer operand points to, void_type_node for `void *`,
 * NULL for anything else (bytes, numbers). */
tree operand_pointee (tree p)
{
	tree t = TREE_TYPE (p);
	if (!POINTER_TYPE_P (t))
		return NULL_TREE;
	tree to = TYPE_MAIN_VARIANT (TREE_TYPE (t));
	if (TREE_CODE (to) == RECORD_TYPE || TREE_CODE (to) == UNION_TYPE)
		return to;
	return VOID_TYPE_P (to) ? void_type_node : NULL_TREE;
}

} /* namespace */

void stf_scan_offset_member (gassign *a)
{
	if (gimple_assign_rhs_code (a) != POINTER_PLUS_EXPR)
		return;
	bool negated;
	tree f = loaded_member (gimple_assign_rhs2 (a), &negated);
	tree to = f ? operand_pointee (gimple_assign_rhs1 (a)) : NULL_TREE;
	if (!to)
		return;
	offsets[offset_member (TYPE_MAIN_VARIANT (DECL_CONTEXT (f)), f)].insert (
		std::make_pair (VOID_TYPE_P (to) ? NULL_TREE : to, negated));
}

void stf_collect_member_offsets (stf_blob &blob, stf_types &types)
{
	for (const auto &om : offsets) {
		uint32_t rec = types.index (om.first.first);
		if (rec == STF_NONE)
			continue;
		for (const auto &use : om.second) {
			stf_use_rec r;
			memset (&r, 0, sizeof r);
			r.type = rec;
			r.member = blob.str (stf_decl_name (om.first.second));
			r.used = use.first ? types.index (use.first) : STF_NONE;
			r.flags = STF_USE_OFFSET | (use.second ? STF_USE_OFFSET_SUB : 0);
			r.via_type = STF_NONE;
			blob.uses.push_back (r);
		}
	}
	offsets.clear ();
}
