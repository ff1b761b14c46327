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
 * The bytes may be read in another function the static's address is
 * passed to (`mix(typestr, val, c)` reading `((const unsigned char
 * *)tab)[i]`), through any number of calls in the unit: each function's
 * parameters read that way, and the arguments each call passes on, are
 * joined at the end of the unit, when every body has been seen.
 *
 * The pass runs right after "ssa", on the unoptimized code (calls not yet
 * inlined), so every optimization level records the same.
 */
#include "stf-plugin.h"
#include "attributes.h"
#include "byte-reads.h"
#include "objects.h"

namespace {

/* static -> the first function reading its bytes */
std::map<tree, std::string> read_statics;

/* A pointer parameter of a function: (function, index from 0). */
typedef std::pair<tree, unsigned> param_ref;

/* parameter -> the function reading its bytes (itself or a callee) */
std::map<param_ref, std::string> read_params;

/* A call passing a pointer derived from origin (a static holding
 * pointers, or a parameter of the caller) as parameter `to` of a function
 * of the unit. */
struct passed_on {
	tree origin;
	param_ref from; /* when origin is a parameter */
	param_ref to;
};
std::vector<passed_on> passes;

/* The SSA names static_of has walked from, for one origin_of query,
 * each with the least depth it was reached at: a name reached again no
 * shallower has nothing new to give (it is on the current path, or its
 * walk found nothing within more steps).  Without it, phis whose
 * arguments are other phis (OpenSSH's moduli.c) made the walk
 * exponential: one unit compiled for over ten minutes. */
std::map<tree, int> walked;

/* The static whose address (or an element's: &typestr[0]) pointer v was
 * derived from, or the parameter whose value it was, NULL_TREE if
 * neither. */
tree static_of (tree v, int depth)
{
	if (depth > 12)
		return NULL_TREE;
	if (TREE_CODE (v) == SSA_NAME) {
		auto w = walked.emplace (v, depth);
		if (!w.second && w.first->second <= depth)
			return NULL_TREE;
		w.first->second = depth;
	}
	if (TREE_CODE (v) == ADDR_EXPR) {
		tree base = TREE_OPERAND (v, 0);
		while (TREE_CODE (base) == ARRAY_REF)
			base = TREE_OPERAND (base, 0);
		return VAR_P (base) && is_global_var (base) ? base : NULL_TREE;
	}
	if (TREE_CODE (v) == SSA_NAME && SSA_NAME_IS_DEFAULT_DEF (v)) {
		tree p = SSA_NAME_VAR (v);
		return p && TREE_CODE (p) == PARM_DECL ? p : NULL_TREE;
	}
	if (TREE_CODE (v) != SSA_NAME)
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

/* Is s a static whose bytes matter when read: holding pointers, not
 * bytes itself, not rebuilt by the program? */
bool watched_static (tree s)
{
	return VAR_P (s) && !is_byte (strip_array_types (TREE_TYPE (s))) &&
	       stf_holds_pointer (TREE_TYPE (s)) &&
	       !lookup_attribute ("stf_bytes_rebuilt", DECL_ATTRIBUTES (s));
}

/* What v came from, if it is a watched static or a pointer parameter. */
tree origin_of (tree v)
{
	walked.clear ();
	tree o = static_of (v, 0);
	if (!o || (TREE_CODE (o) == PARM_DECL ? !POINTER_TYPE_P (TREE_TYPE (o)) : !watched_static (o)))
		return NULL_TREE;
	return o;
}

param_ref param_of (tree fn, tree parm)
{
	unsigned i = 0;
	for (tree p = DECL_ARGUMENTS (fn); p && p != parm; p = DECL_CHAIN (p))
		i++;
	return param_ref (fn, i);
}

/* Load a (lhs = ref), if it reads a byte through a char pointer derived
 * from a static holding pointers or from a parameter: that origin. */
tree byte_read (gassign *a)
{
	tree lhs = gimple_assign_lhs (a), ref = gimple_assign_rhs1 (a);
	if (TREE_CODE (lhs) != SSA_NAME || TREE_CODE (ref) != MEM_REF || !is_byte (TREE_TYPE (ref)))
		return NULL_TREE;
	tree o = origin_of (TREE_OPERAND (ref, 0));
	return o && !only_copied (lhs, 0) ? o : NULL_TREE;
}

/* The pointers call c passes on from a watched static or a parameter to
 * a function of the unit. */
void note_passes (function *fun, gcall *c)
{
	tree callee = gimple_call_fndecl (c);
	if (!callee || fndecl_built_in_p (callee))
		return;
	for (unsigned i = 0; i < gimple_call_num_args (c); i++) {
		tree o = origin_of (gimple_call_arg (c, i));
		if (!o)
			continue;
		passed_on p = { o, TREE_CODE (o) == PARM_DECL ? param_of (fun->decl, o) : param_ref (),
				param_ref (callee, i) };
		passes.push_back (p);
		stf_keep (o);
		stf_keep (callee);
	}
}

void note_read (function *fun, tree origin)
{
	std::string name = stf_function_name (fun->decl);
	if (TREE_CODE (origin) == PARM_DECL)
		read_params.emplace (param_of (fun->decl, origin), name);
	else if (read_statics.emplace (origin, name).second)
		stf_keep (origin);
}

/* The statics passed, through any chain of calls, to a parameter whose
 * bytes are read. */
void join_passes (void)
{
	for (bool grew = true; grew;) {
		grew = false;
		for (const passed_on &p : passes) {
			auto r = read_params.find (p.to);
			if (r != read_params.end () && TREE_CODE (p.origin) == PARM_DECL)
				grew |= read_params.emplace (p.from, r->second).second;
		}
	}
	for (const passed_on &p : passes) {
		auto r = read_params.find (p.to);
		if (r != read_params.end () && TREE_CODE (p.origin) != PARM_DECL)
			read_statics.emplace (p.origin, r->second);
	}
	passes.clear ();
	read_params.clear ();
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
				gimple *g = gsi_stmt (gsi);
				if (gcall *c = dyn_cast <gcall *> (g))
					note_passes (fun, c);
				gassign *a = dyn_cast <gassign *> (g);
				if (tree o = a && gimple_assign_single_p (a) ? byte_read (a) : NULL_TREE)
					note_read (fun, o);
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
	join_passes ();
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
