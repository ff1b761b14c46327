/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * objects.cc - static objects, collected at the end of the unit.
 *
 * Only objects GCC actually wrote are recorded (TREE_ASM_WRITTEN), so the
 * metadata never refers to a symbol that was optimized away.  Static IDs
 * come from source names and scopes, never from assembler names.
 */
#include "stf-plugin.h"
#include "objects.h"
#include "attributes.h"

static std::vector<tree> noted_strings;

void stf_note_string (tree str)
{
	if (TREE_CODE (str) != STRING_CST || TREE_STRING_LENGTH (str) <= 0)
		return;
	stf_keep (str);
	noted_strings.push_back (str);
}

static tree find_strings (tree *tp, int *walk_subtrees, void *)
{
	if (TREE_CODE (*tp) == STRING_CST)
		stf_note_string (*tp);
	else if (TYPE_P (*tp) || DECL_P (*tp))
		*walk_subtrees = 0;
	return NULL_TREE;
}

void stf_note_strings (tree expr)
{
	/* Operands of GIMPLE statements are unshared: no visited set. */
	if (expr)
		walk_tree (&expr, find_strings, NULL, NULL);
}

void stf_note_initializer_strings (void *, void *)
{
	varpool_node *vnode;
	FOR_EACH_VARIABLE (vnode) {
		tree init = DECL_INITIAL (vnode->decl);
		if (init && init != error_mark_node && !DECL_EXTERNAL (vnode->decl))
			walk_tree_without_duplicates (&init, find_strings, NULL);
	}
}

/* The assembler operand naming a written declaration. */
static std::string asm_name (tree decl)
{
	const char *name = IDENTIFIER_POINTER (DECL_ASSEMBLER_NAME (decl));
	return targetm.strip_name_encoding (name);
}

static std::string object_id (tree decl, std::string *func)
{
	std::string name = stf_decl_name (decl);
	tree ctx = DECL_CONTEXT (decl);
	if (ctx && TREE_CODE (ctx) == FUNCTION_DECL) {
		*func = stf_function_name (ctx);
		return std::string (stf_unit_file ()) + ":" + *func + "/" + name;
	}
	if (TREE_PUBLIC (decl))
		return name;
	return std::string (stf_unit_file ()) + ":" + name;
}

static void add_object (stf_blob &blob, stf_types &types, tree decl, int kind,
			std::set<std::string> &ids)
{
	std::string func;
	std::string id = object_id (decl, &func);
	/* Two function-local statics of the same name in one function
	 * (different blocks): number the later ones. */
	std::string unique = id;
	for (int n = 1; ids.count (unique); n++)
		unique = id + "#" + std::to_string (n);
	ids.insert (unique);

	stf_object_rec r;
	memset (&r, 0, sizeof r);
	r.id = blob.str (unique);
	r.name = blob.str (stf_decl_name (decl));
	r.func = blob.str (func);
	r.type = types.index (TREE_TYPE (decl));
	r.kind = (uint8_t) kind;
	if (TREE_PUBLIC (decl))
		r.flags |= STF_OF_EXTERN;
	if (!func.empty ())
		r.flags |= STF_OF_LOCAL;
	if (kind == STF_O_VAR) {
		if (TREE_READONLY (decl))
			r.flags |= STF_OF_READONLY;
		if (DECL_THREAD_LOCAL_P (decl))
			r.flags |= STF_OF_TLS;
		unsigned xfer = stf_decl_xfer (decl);
		if (xfer & STF_MF_IXFER)
			r.flags |= STF_OF_IXFER;
		if (xfer & STF_MF_PXFER)
			r.flags |= STF_OF_PXFER;
		if (DECL_SIZE_UNIT (decl) && tree_fits_uhwi_p (DECL_SIZE_UNIT (decl)))
			r.size = tree_to_uhwi (DECL_SIZE_UNIT (decl));
	}
	r.line = DECL_SOURCE_LINE (decl);
	blob.objects.push_back (r);
	blob.addrs.push_back (r.flags & STF_OF_TLS ? "0" : asm_name (decl));
}

static void add_variables (stf_blob &blob, stf_types &types, std::set<std::string> &ids)
{
	varpool_node *vnode;
	std::vector<tree> decls;
	FOR_EACH_VARIABLE (vnode) {
		tree decl = vnode->decl;
		/* Compiler-made variables (gcov counters...) are not always
		 * artificial, but never have a source position. */
		if (vnode->alias || DECL_EXTERNAL (decl) || !TREE_ASM_WRITTEN (decl)
		    || DECL_ARTIFICIAL (decl) || !DECL_NAME (decl)
		    || DECL_HARD_REGISTER (decl)
		    || DECL_SOURCE_LOCATION (decl) <= BUILTINS_LOCATION)
			continue;
		decls.push_back (decl);
	}
	/* The varpool lists newest first; record in source order. */
	std::stable_sort (decls.begin (), decls.end (), [] (tree a, tree b) {
		return DECL_UID (a) < DECL_UID (b);
	});
	for (tree decl : decls)
		add_object (blob, types, decl, STF_O_VAR, ids);
}

static void add_functions (stf_blob &blob, stf_types &types, std::set<std::string> &ids)
{
	cgraph_node *node;
	std::vector<tree> decls;
	FOR_EACH_FUNCTION (node) {
		tree decl = node->decl;
		if (!node->address_taken || node->alias || node->thunk
		    || DECL_EXTERNAL (decl) || !TREE_ASM_WRITTEN (decl)
		    || DECL_ARTIFICIAL (decl) || !DECL_NAME (decl))
			continue;
		decls.push_back (decl);
	}
	std::stable_sort (decls.begin (), decls.end (), [] (tree a, tree b) {
		return DECL_UID (a) < DECL_UID (b);
	});
	for (tree decl : decls)
		add_object (blob, types, decl, STF_O_FUNC, ids);
}

/* FNV-1a of the literal's bytes, terminating NUL included. */
static uint64_t string_hash (tree str)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p = (const unsigned char *) TREE_STRING_POINTER (str);
	for (int i = 0; i < TREE_STRING_LENGTH (str); i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void add_strings (stf_blob &blob, stf_types &types)
{
	std::set<std::string> labels;
	for (tree str : noted_strings) {
		rtx rtl = lookup_constant_def (str);
		if (!rtl || !MEM_P (rtl) || GET_CODE (XEXP (rtl, 0)) != SYMBOL_REF)
			continue;
		rtx sym = XEXP (rtl, 0);
		tree decl = SYMBOL_REF_DECL (sym);
		if (!decl || !TREE_ASM_WRITTEN (decl))
			continue;
		std::string label = targetm.strip_name_encoding (XSTR (sym, 0));
		if (!labels.insert (label).second)
			continue;
		char id[32];
		snprintf (id, sizeof id, "str:%016llx",
			  (unsigned long long) string_hash (str));
		stf_object_rec r;
		memset (&r, 0, sizeof r);
		r.id = blob.str (id);
		r.type = types.index (TREE_TYPE (str));
		r.kind = STF_O_STRING;
		r.flags = STF_OF_READONLY;
		HOST_WIDE_INT size = int_size_in_bytes (TREE_TYPE (str));
		r.size = size > 0 ? (uint64_t) size : (uint64_t) TREE_STRING_LENGTH (str);
		blob.objects.push_back (r);
		blob.addrs.push_back (label);
	}
}

void stf_collect_objects (stf_blob &blob, stf_types &types)
{
	std::set<std::string> ids;
	add_variables (blob, types, ids);
	add_functions (blob, types, ids);
	add_strings (blob, types);
}
