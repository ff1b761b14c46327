/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * inline-notes.cc - the notes of a pool's objects in libstf's shadow map,
 * emitted inline at both ends of an STF_ALLOCATOR's objects.
 *
 * libstf notes what an STF_ALLOCATOR call of a constant size hands out
 * from its heap region in a byte per 8-byte granule (the code of the
 * call's site and size) and clears it at the partner free
 * (libstf/runtime/sub-shadow.c).  A call into libstf at each end cost a
 * pool pair ~2x the plain pool's instructions; inline, the note is a few
 * loads and two stores, the give-back one load and one store:
 *
 *   after p = alloc (...):
 *     if (units && sizes[codes[*cell]] == SIZE && p - lo < bytes
 *         && !((p - lo) & 7) && map[(p - lo) >> 3] != SLOW
 *         && units[(p - lo) >> 16])
 *       map[(p - lo) >> 3] = code, the object's other granules 0;
 *     else
 *       stf__sub_note (p, SIZE, cell);
 *
 *   and for a size n that varies (a size-prefixing wrapper's strings),
 *   with sizes[code] == SHADOW_HEADER_SIZE and 0 < n <= 1024, the code
 *   alone (its size is read from the wrapper's header at the fold), else
 *   stf__sub_note_sized (p, n, cell);
 *
 *   stf__sub_free (p), before a partner free (deallocators.cc), becomes
 *     if (p - lo < bytes && !((p - lo) & 7) && map[(p - lo) >> 3] - 1 < 254)
 *       map[(p - lo) >> 3] = 0;
 *     else
 *       stf__sub_free (p);
 *
 * Both are emitted by the late pass (sites.cc), after "optimized": the
 * analyses of the program's code right after "ssa" (addr-keys.cc,
 * member-uses.cc, objects.cc) see the calls only, not the map's offset of
 * a pointer (an address converted to an integer, shifted and masked,
 * which addr-keys.cc would take for a hash of the object's address).
 *
 * The fields are read at their offsets in libstf's struct stf_shadow
 * (runtime/sub-shadow.h, which asserts them), through char pointers (no
 * type-based alias assumption about the program's own types).
 */
#include "stf-plugin.h"
#include "inline-notes.h"
#include "emit.h"
#include "cfgloop.h"

namespace {

/* struct stf_shadow's fields (libstf/runtime/sub-shadow.h) */
const HOST_WIDE_INT SH_LO = 0, SH_BYTES = 8, SH_MAP = 16, SH_UNITS = 24, SH_CODES = 32,
		    SH_SIZES = 40;
const unsigned GRANULE_SHIFT = 3, UNIT_SHIFT = 16, SLOW = 255;
/* sizes[] of a code whose objects are sized by their wrapper's header,
 * and the largest of them noted (SHADOW_HEADER_SIZE, SHADOW_HEADER_MAX) */
const unsigned HOST_WIDE_INT HEADER_SIZE = 0xffffffffu, HEADER_MAX = 1024;
/* Larger objects are noted by a call (stf__sub_note): clearing the
 * granules they cover takes more than 8 stores of 16 bytes. */
const unsigned HOST_WIDE_INT MAX_INLINE_SIZE = 1024;

tree shadow_decl (void)
{
	static tree decl;
	if (!decl)
		decl = stf_extern_var ("stf__shadow",
				       build_array_type (unsigned_char_type_node, NULL_TREE), true);
	return decl;
}

tree char_ptr (void)
{
	return build_pointer_type (unsigned_char_type_node);
}

/* The statements of one block, built in order. */
struct block_code {
	gimple_seq seq = NULL;
	location_t loc;

	explicit block_code (location_t l) : loc (l) {}

	gimple *add (gimple *g)
	{
		gimple_set_location (g, loc);
		gimple_seq_add_stmt (&seq, g);
		return g;
	}
	tree op (tree type, enum tree_code code, tree a, tree b = NULL_TREE)
	{
		tree lhs = make_ssa_name (type);
		add (b ? gimple_build_assign (lhs, code, a, b) : gimple_build_assign (lhs, code, a));
		return lhs;
	}
	/* *(type *)(base + off) */
	tree load (tree type, tree base, HOST_WIDE_INT off = 0)
	{
		tree lhs = make_ssa_name (type);
		add (gimple_build_assign (lhs, build2 (MEM_REF, type, base,
						       build_int_cst (char_ptr (), off))));
		return lhs;
	}
	void store (tree base, tree value, HOST_WIDE_INT off = 0)
	{
		add (gimple_build_assign (build2 (MEM_REF, TREE_TYPE (value), base,
						  build_int_cst (char_ptr (), off)), value));
	}
	/* a field of stf__shadow */
	tree field (tree type, HOST_WIDE_INT off)
	{
		return load (type, build_fold_addr_expr (shadow_decl ()), off);
	}
	tree bool_and (tree a, tree b)
	{
		return op (boolean_type_node, BIT_AND_EXPR, a, b);
	}
	tree cmp (enum tree_code code, tree a, tree b)
	{
		return op (boolean_type_node, code, a, b);
	}
};

/* p - lo, and whether it lies on a granule of the map (lo, bytes read
 * here). */
tree granule_offset (block_code &b, tree p, tree *inside)
{
	tree lo = b.field (size_type_node, SH_LO);
	tree bytes = b.field (size_type_node, SH_BYTES);
	tree addr = b.op (size_type_node, NOP_EXPR, p);
	tree off = b.op (size_type_node, MINUS_EXPR, addr, lo);
	tree low = b.op (size_type_node, BIT_AND_EXPR, off,
			 build_int_cst (size_type_node, (1 << GRANULE_SHIFT) - 1));
	*inside = b.bool_and (b.cmp (LT_EXPR, off, bytes),
			      b.cmp (EQ_EXPR, low, build_int_cst (size_type_node, 0)));
	return off;
}

/* &map[off >> 3] */
tree granule_byte (block_code &b, tree off)
{
	tree map = b.field (char_ptr (), SH_MAP);
	tree g = b.op (size_type_node, RSHIFT_EXPR, off, build_int_cst (integer_type_node,
									 GRANULE_SHIFT));
	return b.op (char_ptr (), POINTER_PLUS_EXPR, map, g);
}

/* One test of the chain: its block's statements, then `if (cond)`. */
struct test {
	block_code code;
	tree cond;
};

/* At *gsi in bb (before the statement there, or after it; bb may be
 * empty): `if (every test holds) fast; else slow;`.  The statements after
 * that point go to a new block; *gsi is left on the first test's
 * condition, the last statement of its block. */
void branch (gimple_stmt_iterator *gsi, bool before, std::vector<test> &tests,
	     block_code &fast, block_code &slow, basic_block bb)
{
	gcond *first = gimple_build_cond (NE_EXPR, tests[0].cond, boolean_false_node,
					  NULL_TREE, NULL_TREE);
	tests[0].code.add (first);
	if (before)
		gsi_insert_seq_before (gsi, tests[0].code.seq, GSI_SAME_STMT);
	else
		gsi_insert_seq_after (gsi, tests[0].code.seq, GSI_CONTINUE_LINKING);
	edge rest = split_block (bb, first);
	basic_block join = rest->dest;
	remove_edge (rest);

	std::vector<basic_block> blocks (1, bb);
	basic_block last = bb;
	auto new_block = [&] (gimple_seq seq) {
		basic_block b = create_empty_bb (last);
		b->count = bb->count;
		if (current_loops)
			add_bb_to_loop (b, bb->loop_father);
		gimple_stmt_iterator at = gsi_last_bb (b);
		gsi_insert_seq_after (&at, seq, GSI_CONTINUE_LINKING);
		return last = b;
	};
	for (size_t i = 1; i < tests.size (); i++) {
		gcond *c = gimple_build_cond (NE_EXPR, tests[i].cond, boolean_false_node,
					      NULL_TREE, NULL_TREE);
		tests[i].code.add (c);
		blocks.push_back (new_block (tests[i].code.seq));
	}
	basic_block fast_bb = new_block (fast.seq);
	basic_block slow_bb = new_block (slow.seq);
	for (size_t i = 0; i < blocks.size (); i++) {
		basic_block next = i + 1 < blocks.size () ? blocks[i + 1] : fast_bb;
		make_edge (blocks[i], next, EDGE_TRUE_VALUE)->probability =
			profile_probability::very_likely ();
		make_edge (blocks[i], slow_bb, EDGE_FALSE_VALUE)->probability =
			profile_probability::very_unlikely ();
	}
	make_edge (fast_bb, join, EDGE_FALLTHRU)->probability = profile_probability::always ();
	make_edge (slow_bb, join, EDGE_FALLTHRU)->probability = profile_probability::always ();
	free_dominance_info (CDI_DOMINATORS);
	free_dominance_info (CDI_POST_DOMINATORS);
	if (current_loops)
		loops_state_set (LOOPS_NEED_FIXUP);
	mark_virtual_operands_for_renaming (cfun);
	*gsi = gsi_last_bb (bb);
}

} /* namespace */

bool stf_inline_note_fits (tree size)
{
	return tree_fits_uhwi_p (size) && tree_to_uhwi (size) >= 1u << GRANULE_SHIFT
	       && tree_to_uhwi (size) <= MAX_INLINE_SIZE;
}

void stf_inline_note (gimple_stmt_iterator *after, tree ptr, tree size, tree cell,
		      gcall *slow_call, location_t loc)
{
	std::vector<test> tests;
	tests.reserve (3);
	/* the map exists */
	tests.push_back ({ block_code (loc), NULL_TREE });
	tree units = tests[0].code.field (char_ptr (), SH_UNITS);
	tests[0].cond = tests[0].code.cmp (NE_EXPR, units, build_int_cst (char_ptr (), 0));
	/* the site's code is for this size; p on a granule of the map */
	tests.push_back ({ block_code (loc), NULL_TREE });
	block_code &b = tests[1].code;
	tree site = b.load (uint32_type_node, cell);
	tree codes = b.field (char_ptr (), SH_CODES);
	tree code_at = b.op (char_ptr (), POINTER_PLUS_EXPR, codes,
			     b.op (sizetype, NOP_EXPR, site));
	tree code = b.load (unsigned_char_type_node, code_at);
	tree size_off = b.op (sizetype, MULT_EXPR, b.op (sizetype, NOP_EXPR, code),
			      build_int_cst (sizetype, 4));
	tree size_at = b.op (char_ptr (), POINTER_PLUS_EXPR,
			     build_fold_addr_expr (shadow_decl ()),
			     b.op (sizetype, PLUS_EXPR, size_off, build_int_cst (sizetype, SH_SIZES)));
	tree code_size = b.load (uint32_type_node, size_at);
	tree inside;
	tree off = granule_offset (b, ptr, &inside);
	bool sized = TREE_CODE (size) != INTEGER_CST;
	if (sized) {
		/* a code of objects sized by their header, 1 to HEADER_MAX bytes */
		tree less = b.op (size_type_node, MINUS_EXPR, fold_convert (size_type_node, size),
				  build_int_cst (size_type_node, 1));
		inside = b.bool_and (inside, b.cmp (LT_EXPR, less,
						    build_int_cst (size_type_node, HEADER_MAX)));
	}
	tree want = sized ? build_int_cst (uint32_type_node, HEADER_SIZE)
			  : fold_convert (uint32_type_node, size);
	tests[1].cond = b.bool_and (inside, b.cmp (EQ_EXPR, code_size, want));
	/* no record of the address in a log or the registry; its unit
	 * flagged (read, not stored: the flags of several threads' units
	 * share a cache line; the slow way flags it) */
	tests.push_back ({ block_code (loc), NULL_TREE });
	block_code &last = tests[2].code;
	tree g = granule_byte (last, off);
	tree now = last.load (unsigned_char_type_node, g);
	tree u = last.op (size_type_node, RSHIFT_EXPR, off, build_int_cst (integer_type_node,
									   UNIT_SHIFT));
	tree flag = last.load (unsigned_char_type_node,
			       last.op (char_ptr (), POINTER_PLUS_EXPR, units, u));
	tests[2].cond = last.bool_and (last.cmp (NE_EXPR, now,
						 build_int_cst (unsigned_char_type_node, SLOW)),
				       last.cmp (NE_EXPR, flag,
						 build_int_cst (unsigned_char_type_node, 0)));
	block_code fast (loc), slow (loc);
	/* the code, then zeros over the granules the object covers: the
	 * notes of older objects it replaces (runtime/sub-shadow.c,
	 * clear_rest), in stores of 16, 8, 4, 2 and 1 bytes (the code's
	 * own store is of 8 at most: a byte of it is the code); the code
	 * alone for an object sized by its header, whose block is fresh
	 * (stf__sub_note_sized) */
	HOST_WIDE_INT left = sized ? 1 : (tree_to_uhwi (size) + (1 << GRANULE_SHIFT) - 1)
						 >> GRANULE_SHIFT;
	for (HOST_WIDE_INT at = 0; left;) {
		unsigned width = left >= 16 && at ? 16 : left >= 8 ? 8 : left >= 4 ? 4 :
				 left >= 2 ? 2 : 1;
		tree type = build_aligned_type (build_nonstandard_integer_type (width * 8, 1),
						BITS_PER_UNIT);
		tree value = at ? build_int_cst (type, 0) : fast.op (type, NOP_EXPR, code);
		fast.store (g, value, at);
		at += width;
		left -= width;
	}
	slow.add (slow_call);
	branch (after, false, tests, fast, slow, gsi_bb (*after));
}

/* The unit's thread-local words, one per slot allocator call whose
 * cache is a pointer: the masked cache the thread's last call there had
 * (emitted by stf_emit_slot_caches). */
static unsigned slot_caches;

static tree slot_cache_decl (void)
{
	static tree decl;
	if (!decl)
		decl = stf_extern_var ("stf.slot_caches",
				       build_array_type (uint64_type_node, NULL_TREE), false);
	/* the TLS model lives in the symbol table node, which GCC may drop
	 * between functions while the decl is unreferenced (emit.cc) */
	if (DECL_TLS_MODEL (decl) == TLS_MODEL_NONE)
		set_decl_tls_model (decl, decl_default_tls_model (decl));
	return decl;
}

void stf_inline_slot_arg (gimple_stmt_iterator *gsi)
{
	gcall *slow_call = as_a <gcall *> (gsi_stmt (*gsi));
	tree cache = gimple_call_arg (slow_call, 1);
	location_t loc = gimple_location (slow_call);
	basic_block bb = gimple_bb (slow_call);
	tree word = build4 (ARRAY_REF, uint64_type_node, slot_cache_decl (),
			    build_int_cst (integer_type_node, slot_caches++), NULL_TREE, NULL_TREE);
	gsi_remove (gsi, false);
	bool before = !gsi_end_p (*gsi);
	if (!before)
		*gsi = gsi_last_bb (bb);
	std::vector<test> tests;
	tests.push_back ({ block_code (loc), NULL_TREE });
	tree last = make_ssa_name (uint64_type_node);
	tests[0].code.add (gimple_build_assign (last, word));
	tests[0].cond = tests[0].code.cmp (EQ_EXPR, last, fold_convert (uint64_type_node, cache));
	block_code fast (loc), slow (loc);
	slow.add (gimple_build_assign (unshare_expr (word),
				       fold_convert (uint64_type_node, cache)));
	slow.add (slow_call);
	branch (gsi, before, tests, fast, slow, bb);
}

void stf_emit_slot_caches (FILE *f)
{
	if (!slot_caches)
		return;
	const char *name = targetm.strip_name_encoding (
		IDENTIFIER_POINTER (DECL_ASSEMBLER_NAME (slot_cache_decl ())));
	fprintf (f, "\t.pushsection .tbss.stf_slot_caches,\"awT\",@nobits\n"
		 "\t.balign 8\n\t.type %s, @object\n\t.size %s, %u\n%s:\n"
		 "\t.zero %u\n\t.popsection\n", name, name, 8 * slot_caches, name,
		 8 * slot_caches);
}

void stf_inline_give_back (gimple_stmt_iterator *gsi)
{
	gcall *slow_call = as_a <gcall *> (gsi_stmt (*gsi));
	tree ptr = gimple_call_arg (slow_call, 0);
	location_t loc = gimple_location (slow_call);
	basic_block bb = gimple_bb (slow_call);
	/* the call goes to the slow way's block */
	gsi_remove (gsi, false);
	bool before = !gsi_end_p (*gsi);
	if (!before)
		*gsi = gsi_last_bb (bb);
	std::vector<test> tests;
	tests.reserve (2);
	tests.push_back ({ block_code (loc), NULL_TREE });
	tree inside;
	tree off = granule_offset (tests[0].code, ptr, &inside);
	tests[0].cond = inside;
	/* a code there (not 0, not SLOW) */
	tests.push_back ({ block_code (loc), NULL_TREE });
	block_code &b = tests[1].code;
	tree g = granule_byte (b, off);
	tree now = b.load (unsigned_char_type_node, g);
	tree less = b.op (unsigned_char_type_node, PLUS_EXPR, now,
			  build_int_cst (unsigned_char_type_node, 255));
	tests[1].cond = b.cmp (LT_EXPR, less, build_int_cst (unsigned_char_type_node, SLOW - 1));
	block_code fast (loc), slow (loc);
	fast.store (g, build_int_cst (unsigned_char_type_node, 0));
	slow.add (slow_call);
	branch (gsi, before, tests, fast, slow, bb);
}
