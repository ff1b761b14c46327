/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * byte-reads.cc - the statics whose type holds pointers and whose bytes
 * the code reads through a char-typed pointer, mixing them into what it
 * computes: dnsmasq's hash_bucket() hashes names with the bytes of a
 * table of {type, name} pairs,
 *
 *	const unsigned char *mix_tab = (const unsigned char *)typestr;
 *	val = ((val << 7) | (val >> 25)) + (mix_tab[(val + c) & 0x3F] ^ c);
 *
 * and the bytes of `name` are the address of a string literal, which is
 * another in the new version (another executable, or the same at another
 * base): every name hashes to another bucket than the transferred table
 * holds it in.  The transfer compares such a static's bytes in the two
 * versions and rolls back when they differ (libstf/transfer/
 * byte-reads.c).
 *
 * A read is a load of one byte (`p[i]`, `*p`) through a pointer the code
 * derived (copies, conversions, pointer arithmetic) from the static's
 * address (`(uint8_t *)&s`, `(const unsigned char *)typestr`), whose
 * value is used: a byte only stored elsewhere is a copy, not mixed in.
 * What changes nothing: writes through the char pointer (memset, copying
 * into it), statics without pointers, an STF_BYTES_REBUILT static (what
 * was computed from its bytes is rebuilt in an stf_on_commit() callback),
 * and the code's reads of a char member by its name.
 *
 * The pass runs right after "ssa", on the unoptimized code, so every
 * optimization level records the same.
 */
#include "stf-plugin.h"
#include "attributes.h"
#include "byte-reads.h"
#include "objects.h"

namespace {

/* static -> the first function reading its bytes */
std::map<tree, std::string> read_statics;

/* The static whose address (or an element's: &typestr[0]) pointer v was
 * derived from, NULL_TREE if none. */
tree static_of (tree v, int depth)
{
	if (depth > 12)
		return NULL_TREE;
	if (TREE_CODE (v) == ADDR_EXPR) {
		tree base = TREE_OPERAND (v, 0);
		while (TREE_CODE (base) == ARRAY_REF)
			base = TREE_OPERAND (base, 0);
		return VAR_P (base) && is_global_var (base) ? base : NULL_TREE;
	}
	if (TREE_CODE (v) != SSA_NAME || SSA_NAME_IS_DEFAULT_DEF (v))
		return NULL_TREE;
	gimple *d = SSA_NAME_DEF_STMT (v);
	if (gphi *p = dyn_cast <gphi *> (d)) {
		/* a loop's cursor: p = phi (&s, p + 1) */
		for (unsigned i = 0; i < gimple_phi_num_args (p); i++)
			if (tree s = static_of (gimple_phi_arg_def (p, i), depth + 1))
				return s;
		return NULL_TREE;
	}
	gassign *a = dyn_cast <gassign *> (d);
	if (!a || !(gimple_assign_single_p (a) || CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a))
		    || gimple_assign_rhs_code (a) == POINTER_PLUS_EXPR))
		return NULL_TREE;
	tree rhs = gimple_assign_rhs1 (a);
	if (!POINTER_TYPE_P (TREE_TYPE (rhs)) && TREE_CODE (rhs) != ADDR_EXPR)
		return NULL_TREE;
	return static_of (rhs, depth + 1);
}

/* Is the byte v only stored elsewhere (copied), through conversions? */
bool only_copied (tree v, int depth)
{
	imm_use_iterator it;
	use_operand_p use;
	if (depth > 6)
		return false;
	FOR_EACH_IMM_USE_FAST (use, it, v) {
		gimple *u = USE_STMT (use);
		if (is_gimple_debug (u))
			continue;
		gassign *a = dyn_cast <gassign *> (u);
		if (!a)
			return false;
		tree lhs = gimple_assign_lhs (a);
		if (TREE_CODE (lhs) != SSA_NAME) {
			if (gimple_assign_rhs1 (a) != v)
				return false; /* an index */
			continue;
		}
		if (!CONVERT_EXPR_CODE_P (gimple_assign_rhs_code (a)) &&
		    !(gimple_assign_single_p (a) && gimple_assign_rhs1 (a) == v))
			return false;
		if (!only_copied (lhs, depth + 1))
			return false;
	}
	return true;
}

bool is_byte (tree type)
{
	return INTEGRAL_TYPE_P (type) && TYPE_SIZE_UNIT (type) && integer_onep (TYPE_SIZE_UNIT (type));
}

/* Load a (lhs = ref), if it reads a byte of a static holding pointers
 * through a char pointer: that static. */
tree byte_read (gassign *a)
{
	tree lhs = gimple_assign_lhs (a), ref = gimple_assign_rhs1 (a);
	if (TREE_CODE (lhs) != SSA_NAME || TREE_CODE (ref) != MEM_REF || !is_byte (TREE_TYPE (ref)))
		return NULL_TREE;
	tree s = static_of (TREE_OPERAND (ref, 0), 0);
	if (!s || is_byte (strip_array_types (TREE_TYPE (s))) || !stf_holds_pointer (TREE_TYPE (s)) ||
	    lookup_attribute ("stf_bytes_rebuilt", DECL_ATTRIBUTES (s)) || only_copied (lhs, 0))
		return NULL_TREE;
	return s;
}

const pass_data byte_reads_pass_data = {
	GIMPLE_PASS, "stf_byte_reads", OPTGROUP_NONE, TV_NONE,
	PROP_ssa | PROP_cfg, 0, 0, 0, 0
};

class byte_reads_pass : public gimple_opt_pass {
public:
	explicit byte_reads_pass (gcc::context *ctxt)
		: gimple_opt_pass (byte_reads_pass_data, ctxt) {}
	bool gate (function *) final override { return stf_active (); }
	unsigned int execute (function *fun) final override
	{
		basic_block bb;
		FOR_EACH_BB_FN (bb, fun)
			for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi);
			     gsi_next (&gsi)) {
				gassign *a = dyn_cast <gassign *> (gsi_stmt (gsi));
				tree s = a && gimple_assign_single_p (a) ? byte_read (a) : NULL_TREE;
				if (s && read_statics.emplace (s, stf_function_name (fun->decl)).second)
					stf_keep (s);
			}
		return 0;
	}
};

} /* namespace */

opt_pass *stf_make_byte_reads_pass (gcc::context *ctxt)
{
	return new byte_reads_pass (ctxt);
}

void stf_collect_byte_reads (stf_blob &blob, stf_types &types)
{
	for (const auto &rs : read_statics) {
		std::string func;
		stf_use_rec r;
		memset (&r, 0, sizeof r);
		r.type = r.used = types.index (TREE_TYPE (rs.first));
		r.member = blob.str (stf_object_id (rs.first, &func));
		r.flags = STF_USE_BYTES_READ;
		r.via_type = STF_NONE;
		r.via = blob.str (rs.second);
		blob.uses.push_back (r);
	}
	read_statics.clear ();
}
