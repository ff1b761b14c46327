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
 * loads and two stores, the give-back one load and one store.  With i =
 * (p - lo) rotated right by 3, below granules only for p on a granule of
 * the map (the rotation moves a misaligned p's low bits to the top):
 *
 *   after p = alloc (...):
 *     if (cache && i < granules && map[i] != SLOW && units[i >> 13])
 *       map[i] = cache, the object's other granules 0;
 *     else
 *       stf__sub_note (p, SIZE, cell, &cache);
 *
 *   cache being a byte of the unit's own for this call, which the slow
 *   way sets to the code of the site and SIZE once the map exists (the
 *   site's code and that code's size read from libstf's tables cost a
 *   pair 5 loads more); and for a size n that varies (a size-prefixing
 *   wrapper's strings), with 0 < n <= 1024, the code alone (its size is
 *   read from the wrapper's header at the fold), else
 *   stf__sub_note_sized (p, n, cell, &cache);
 *
 *   stf__sub_free (p), before a partner free (deallocators.cc), becomes
 *     if (i < granules && map[i] - 1 < 254)
 *       map[i] = 0;
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
const HOST_WIDE_INT SH_LO = 0, SH_MAP = 16, SH_UNITS = 24, SH_GRANULES = 40;
const unsigned GRANULE_SHIFT = 3, UNIT_SHIFT = 16, SLOW = 255;
/* the largest object sized by its wrapper's header noted inline
 * (SHADOW_HEADER_MAX) */
const unsigned HOST_WIDE_INT HEADER_MAX = 1024;
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
};

/* (p - lo) rotated right by 3: the index of p's granule in the map,
 * below *granules (read here, with lo) only for p on a granule of it. */
tree granule_index (block_code &b, tree p, tree *granules)
{
	tree lo = b.field (size_type_node, SH_LO);
	*granules = b.field (size_type_node, SH_GRANULES);
	tree addr = b.op (size_type_node, NOP_EXPR, p);
	tree off = b.op (size_type_node, MINUS_EXPR, addr, lo);
	tree at = b.op (size_type_node, RROTATE_EXPR, off,
			build_int_cst (integer_type_node, GRANULE_SHIFT));
	return at;
}

/* &map[at] */
tree granule_byte (block_code &b, tree at)
{
	tree map = b.field (char_ptr (), SH_MAP);
	return b.op (char_ptr (), POINTER_PLUS_EXPR, map, at);
}

/* One test of the chain: its block's statements, then `if (a OP b)`
 * (a condition of its own, not a flag compared with 0: -O0 keeps the
 * flag). */
struct test {
	block_code code;
	enum tree_code op;
	tree a, b;

	test (location_t loc, enum tree_code o = NE_EXPR, tree x = NULL_TREE,
	      tree y = NULL_TREE) : code (loc), op (o), a (x), b (y) {}
	gcond *cond () const
	{
		return gimple_build_cond (op, a, b, NULL_TREE, NULL_TREE);
	}
};

/* At *gsi in bb (before the statement there, or after it; bb may be
 * empty): `if (every test holds) fast; else slow;`.  The statements after
 * that point go to a new block; *gsi is left on the first test's
 * condition, the last statement of its block. */
void branch (gimple_stmt_iterator *gsi, bool before, std::vector<test> &tests,
	     block_code &fast, block_code &slow, basic_block bb)
{
	gimple *first = tests[0].code.add (tests[0].cond ());
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
		tests[i].code.add (tests[i].cond ());
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

/* An array of the unit's, an element per use emitted, defined in the
 * unit's assembly once their number is known (emit): the slot caches
 * (thread-local words: the masked cache the thread's last call at a slot
 * allocator's site had) and the note caches (bytes: the site's code for
 * an inline note, 0 until libstf's slow way stores it). */
struct unit_array {
	const char *name, *section;
	bool tls;
	unsigned width, count;
	tree decl;

	tree elem_type () const
	{
		return width == 8 ? uint64_type_node : unsigned_char_type_node;
	}
	/* a new element, an lvalue */
	tree next ()
	{
		if (!decl)
			decl = stf_extern_var (name, build_array_type (elem_type (), NULL_TREE),
					       false);
		/* the TLS model lives in the symbol table node, which GCC may
		 * drop between functions while the decl is unreferenced
		 * (emit.cc) */
		if (tls && DECL_TLS_MODEL (decl) == TLS_MODEL_NONE)
			set_decl_tls_model (decl, decl_default_tls_model (decl));
		return build4 (ARRAY_REF, elem_type (), decl,
			       build_int_cst (integer_type_node, count++), NULL_TREE, NULL_TREE);
	}
	void emit (FILE *f) const
	{
		if (!count)
			return;
		const char *label = targetm.strip_name_encoding (
			IDENTIFIER_POINTER (DECL_ASSEMBLER_NAME (decl)));
		fprintf (f, "\t.pushsection %s,\"%s\",@nobits\n\t.balign %u\n"
			 "\t.type %s, @object\n\t.size %s, %u\n%s:\n\t.zero %u\n\t.popsection\n",
			 section, tls ? "awT" : "aw", width, label, label, width * count, label,
			 width * count);
	}
};

unit_array slot_caches = { "stf.slot_caches", ".tbss.stf_slot_caches", true, 8, 0, NULL_TREE };
unit_array note_caches = { "stf.note_codes", ".bss.stf_note_codes", false, 1, 0, NULL_TREE };

} /* namespace */

bool stf_inline_note_fits (tree size)
{
	return tree_fits_uhwi_p (size) && tree_to_uhwi (size) >= 1u << GRANULE_SHIFT
	       && tree_to_uhwi (size) <= MAX_INLINE_SIZE;
}

tree stf_inline_note_cache (void)
{
	return note_caches.next ();
}

void stf_emit_unit_caches (FILE *f)
{
	slot_caches.emit (f);
	note_caches.emit (f);
}

void stf_inline_note (gimple_stmt_iterator *after, tree ptr, tree size, gcall *slow_call,
		      location_t loc)
{
	std::vector<test> tests;
	tests.reserve (5);
	/* the call's cached code: the map exists, the code is for this size */
	tests.emplace_back (loc);
	tree cache = TREE_OPERAND (gimple_call_arg (slow_call, 3), 0);
	tree code = make_ssa_name (unsigned_char_type_node);
	tests[0].code.add (gimple_build_assign (code, unshare_expr (cache)));
	tests[0].a = code;
	tests[0].b = build_int_cst (unsigned_char_type_node, 0);
	/* p on a granule of the map */
	tests.emplace_back (loc, LT_EXPR);
	tree at = granule_index (tests[1].code, ptr, &tests[1].b);
	tests[1].a = at;
	if (TREE_CODE (size) != INTEGER_CST) {
		/* objects sized by their header, 1 to HEADER_MAX bytes */
		tests.emplace_back (loc, LT_EXPR);
		test &t = tests.back ();
		t.a = t.code.op (size_type_node, MINUS_EXPR, fold_convert (size_type_node, size),
				 build_int_cst (size_type_node, 1));
		t.b = build_int_cst (size_type_node, HEADER_MAX);
	}
	/* no record of the address in a log or the registry */
	tests.emplace_back (loc, NE_EXPR);
	test &slow_mark = tests.back ();
	tree g = granule_byte (slow_mark.code, at);
	slow_mark.a = slow_mark.code.load (unsigned_char_type_node, g);
	slow_mark.b = build_int_cst (unsigned_char_type_node, SLOW);
	/* its unit flagged (read, not stored: the flags of several threads'
	 * units share a cache line; the slow way flags it) */
	tests.emplace_back (loc, NE_EXPR);
	test &unit = tests.back ();
	tree u = unit.code.op (size_type_node, RSHIFT_EXPR, at,
			       build_int_cst (integer_type_node, UNIT_SHIFT - GRANULE_SHIFT));
	tree units = unit.code.field (char_ptr (), SH_UNITS);
	unit.a = unit.code.load (unsigned_char_type_node,
				 unit.code.op (char_ptr (), POINTER_PLUS_EXPR, units, u));
	unit.b = build_int_cst (unsigned_char_type_node, 0);
	block_code fast (loc), slow (loc);
	/* the code, then zeros over the granules the object covers: the
	 * notes of older objects it replaces (runtime/sub-shadow.c,
	 * clear_rest), in stores of 16, 8, 4, 2 and 1 bytes (the code's
	 * own store is of 8 at most: a byte of it is the code); the code
	 * alone for an object sized by its header, whose block is fresh
	 * (stf__sub_note_sized) */
	HOST_WIDE_INT left = TREE_CODE (size) != INTEGER_CST ? 1 :
		(tree_to_uhwi (size) + (1 << GRANULE_SHIFT) - 1) >> GRANULE_SHIFT;
	for (HOST_WIDE_INT off = 0; left;) {
		unsigned width = left >= 16 && off ? 16 : left >= 8 ? 8 : left >= 4 ? 4 :
				 left >= 2 ? 2 : 1;
		tree type = build_aligned_type (build_nonstandard_integer_type (width * 8, 1),
						BITS_PER_UNIT);
		tree value = off ? build_int_cst (type, 0) : fast.op (type, NOP_EXPR, code);
		fast.store (g, value, off);
		off += width;
		left -= width;
	}
	slow.add (slow_call);
	branch (after, false, tests, fast, slow, gsi_bb (*after));
}

void stf_inline_slot_arg (gimple_stmt_iterator *gsi)
{
	gcall *slow_call = as_a <gcall *> (gsi_stmt (*gsi));
	tree cache = gimple_call_arg (slow_call, 1);
	location_t loc = gimple_location (slow_call);
	basic_block bb = gimple_bb (slow_call);
	tree word = slot_caches.next ();
	gsi_remove (gsi, false);
	bool before = !gsi_end_p (*gsi);
	if (!before)
		*gsi = gsi_last_bb (bb);
	std::vector<test> tests;
	tests.emplace_back (loc, EQ_EXPR, make_ssa_name (uint64_type_node),
			    fold_convert (uint64_type_node, cache));
	tests[0].code.add (gimple_build_assign (tests[0].a, word));
	block_code fast (loc), slow (loc);
	slow.add (gimple_build_assign (unshare_expr (word),
				       fold_convert (uint64_type_node, cache)));
	slow.add (slow_call);
	branch (gsi, before, tests, fast, slow, bb);
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
	tests.emplace_back (loc, LT_EXPR);
	tests[0].a = granule_index (tests[0].code, ptr, &tests[0].b);
	/* a code there (not 0, not SLOW) */
	tests.emplace_back (loc, LT_EXPR);
	block_code &b = tests[1].code;
	tree g = granule_byte (b, tests[0].a);
	tree now = b.load (unsigned_char_type_node, g);
	tests[1].a = b.op (unsigned_char_type_node, PLUS_EXPR, now,
			   build_int_cst (unsigned_char_type_node, 255));
	tests[1].b = build_int_cst (unsigned_char_type_node, SLOW - 1);
	block_code fast (loc), slow (loc);
	fast.store (g, build_int_cst (unsigned_char_type_node, 0));
	slow.add (slow_call);
	branch (gsi, before, tests, fast, slow, bb);
}
