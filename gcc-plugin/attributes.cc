/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * attributes.cc - registration and queries of the stf.h annotations.
 *
 * The attributes are registered even with -fplugin-arg-stf-disable so that
 * code written for the plugin always compiles.  They are plain markers: the
 * handlers only reject misplaced uses, and the attributes stay where the
 * user wrote them (decl or type), which is where the queries look.
 */
#include "stf-plugin.h"
#include "attributes.h"
#include "deallocators.h"
#include "diagnostic.h"
#include "../libstf/meta/stf-format.h"

static bool is_type_node (const_tree node)
{
	return TYPE_P (node) || TREE_CODE (node) == TYPE_DECL;
}

static tree handle_xfer (tree *node, tree name, tree, int, bool *no_add)
{
	tree n = *node;
	if (TREE_CODE (n) == VAR_DECL || TREE_CODE (n) == FIELD_DECL
	    || TREE_CODE (n) == PARM_DECL || is_type_node (n))
		return NULL_TREE;
	warning (OPT_Wattributes, "%qE attribute applies to variables, "
		 "fields and types only; ignored", name);
	*no_add = true;
	return NULL_TREE;
}

static tree handle_allocator (tree *node, tree name, tree, int, bool *no_add)
{
	if (TREE_CODE (*node) == FUNCTION_DECL
	    && !POINTER_TYPE_P (TREE_TYPE (TREE_TYPE (*node)))) {
		error ("%qE on %qD, which does not return a pointer: only a function "
		       "that returns the object it allocates can be an allocator",
		       name, *node);
		*no_add = true;
		return NULL_TREE;
	}
	if (TREE_CODE (*node) == FUNCTION_DECL) {
		/* What it returns is registered after each call (sites.cc):
		 * the call must stay a call, with its arguments as written
		 * (no inlining, no clone with fewer parameters). */
		DECL_UNINLINABLE (*node) = 1;
		for (const char *a : { "noipa", "noinline", "noclone" })
			if (!lookup_attribute (a, DECL_ATTRIBUTES (*node)))
				DECL_ATTRIBUTES (*node) = tree_cons (get_identifier (a), NULL_TREE,
								     DECL_ATTRIBUTES (*node));
		stf_note_allocator_name (*node);
		return NULL_TREE;
	}
	warning (OPT_Wattributes, "%qE attribute applies to functions only; "
		 "ignored", name);
	*no_add = true;
	return NULL_TREE;
}

/* stf_deallocator or stf_deallocator (N): N, from 1, must name a pointer
 * parameter. */
static tree handle_deallocator (tree *node, tree name, tree args, int, bool *no_add)
{
	if (TREE_CODE (*node) != FUNCTION_DECL) {
		warning (OPT_Wattributes, "%qE attribute applies to functions only; "
			 "ignored", name);
		*no_add = true;
		return NULL_TREE;
	}
	if (args && !(tree_fits_shwi_p (TREE_VALUE (args))
		      && stf_nth_param_type (*node, (int) tree_to_shwi (TREE_VALUE (args)) - 1)
		      && POINTER_TYPE_P (stf_nth_param_type (*node, (int) tree_to_shwi
								(TREE_VALUE (args)) - 1)))) {
		error ("%qE (N) on %qD: N must be the number (from 1) of the pointer "
		       "parameter that receives the object given back", name, *node);
		*no_add = true;
		return NULL_TREE;
	}
	if (!args && stf_freed_param (*node) < 0) {
		error ("%qE on %qD, which has no pointer parameter: a deallocator is "
		       "given the object it takes back", name, *node);
		*no_add = true;
		return NULL_TREE;
	}
	stf_note_deallocator_name (*node);
	return NULL_TREE;
}

static tree handle_opaque (tree *node, tree name, tree, int, bool *no_add)
{
	if (is_type_node (*node))
		return NULL_TREE;
	warning (OPT_Wattributes, "%qE attribute applies to types only; "
		 "ignored", name);
	*no_add = true;
	return NULL_TREE;
}

/* stf_bytes_rebuilt: on a static variable only (gcc-plugin/byte-reads.cc). */
static tree handle_bytes_rebuilt (tree *node, tree name, tree, int, bool *no_add)
{
	if (VAR_P (*node) && is_global_var (*node))
		return NULL_TREE;
	warning (OPT_Wattributes, "%qE attribute applies to static variables only; "
		 "ignored", name);
	*no_add = true;
	return NULL_TREE;
}

static const struct attribute_spec stf_ixfer_attr =
	STF_ATTRIBUTE_SPEC ("stf_ixfer", false, false, handle_xfer);
static const struct attribute_spec stf_pxfer_attr =
	STF_ATTRIBUTE_SPEC ("stf_pxfer", false, false, handle_xfer);
static const struct attribute_spec stf_allocator_attr =
	STF_ATTRIBUTE_SPEC ("stf_allocator", true, false, handle_allocator);
static const struct attribute_spec stf_deallocator_attr =
	STF_ATTRIBUTE_SPEC_ARGS ("stf_deallocator", 0, 1, true, false, handle_deallocator);
static const struct attribute_spec stf_opaque_attr =
	STF_ATTRIBUTE_SPEC ("stf_opaque", false, false, handle_opaque);
static const struct attribute_spec stf_bytes_rebuilt_attr =
	STF_ATTRIBUTE_SPEC ("stf_bytes_rebuilt", true, false, handle_bytes_rebuilt);

void stf_attributes_register (void *, void *)
{
	stf_register_attribute (&stf_ixfer_attr);
	stf_register_attribute (&stf_pxfer_attr);
	stf_register_attribute (&stf_allocator_attr);
	stf_register_attribute (&stf_opaque_attr);
	stf_register_attribute (&stf_deallocator_attr);
	stf_register_attribute (&stf_bytes_rebuilt_attr);
}

/* Pool allocators of libraries, whose declarations the program cannot
 * annotate: their calls are sites as an STF_ALLOCATOR's are, so what the
 * program takes from a pool (APR's apr_palloc, and apr_pcalloc, a macro
 * calling it) is an object of its type inside the pool's block, which
 * the library allocated itself (t/idioms/aprd). */
static const char *const library_pool_allocators[] = {
	"apr_palloc", "apr_palloc_debug", "apr_pcalloc_debug",
};

bool stf_is_allocator (const_tree fndecl)
{
	if (!fndecl || TREE_CODE (fndecl) != FUNCTION_DECL)
		return false;
	if (lookup_attribute ("stf_allocator", DECL_ATTRIBUTES (fndecl)))
		return true;
	for (const char *name : library_pool_allocators)
		if (!strcmp (stf_decl_name (fndecl), name))
			return true;
	return false;
}

tree stf_nth_param_type (const_tree fndecl, int n)
{
	if (n < 0)
		return NULL_TREE;
	tree p = TYPE_ARG_TYPES (TREE_TYPE (fndecl));
	for (; p && !VOID_TYPE_P (TREE_VALUE (p)) && n > 0; p = TREE_CHAIN (p), n--)
		;
	return p && !VOID_TYPE_P (TREE_VALUE (p)) ? TREE_VALUE (p) : NULL_TREE;
}

int stf_freed_param (const_tree fndecl)
{
	tree a = lookup_attribute ("stf_deallocator", DECL_ATTRIBUTES (fndecl));
	if (a && TREE_VALUE (a))
		return (int) tree_to_shwi (TREE_VALUE (TREE_VALUE (a))) - 1;
	int i = 0, last = -1;
	for (tree p = TYPE_ARG_TYPES (TREE_TYPE (fndecl)); p && !VOID_TYPE_P (TREE_VALUE (p));
	     p = TREE_CHAIN (p), i++) {
		tree t = TREE_VALUE (p);
		if (!POINTER_TYPE_P (t))
			continue;
		if (VOID_TYPE_P (TREE_TYPE (t)) && !TYPE_READONLY (TREE_TYPE (t)))
			return i;
		last = i;
	}
	return last;
}

bool stf_is_deallocator (const_tree fndecl)
{
	return fndecl && TREE_CODE (fndecl) == FUNCTION_DECL
	       && lookup_attribute ("stf_deallocator", DECL_ATTRIBUTES (fndecl));
}

/* Attributes of a type itself and, for typedef variants, of the typedef. */
static bool type_has_attr (const_tree t, const char *name)
{
	for (; t; t = typedef_variant_p (t)
			  ? DECL_ORIGINAL_TYPE (TYPE_NAME (t)) : NULL_TREE) {
		if (lookup_attribute (name, TYPE_ATTRIBUTES (t)))
			return true;
		if (TYPE_NAME (t) && TREE_CODE (TYPE_NAME (t)) == TYPE_DECL
		    && lookup_attribute (name, DECL_ATTRIBUTES (TYPE_NAME (t))))
			return true;
		if (TYPE_MAIN_VARIANT (t) != t
		    && lookup_attribute (name, TYPE_ATTRIBUTES (TYPE_MAIN_VARIANT (t))))
			return true;
	}
	return false;
}

bool stf_type_opaque (const_tree type)
{
	return type_has_attr (type, "stf_opaque") || type_has_attr (type, "stf_ixfer");
}

unsigned stf_decl_xfer (const_tree decl)
{
	unsigned flags = 0;
	const_tree type = TREE_CODE (decl) == FIELD_DECL && DECL_BIT_FIELD_TYPE (decl)
			  ? DECL_BIT_FIELD_TYPE (decl) : TREE_TYPE (decl);
	if (lookup_attribute ("stf_ixfer", DECL_ATTRIBUTES (decl))
	    || (type && type_has_attr (type, "stf_ixfer")))
		flags |= STF_MF_IXFER;
	if (lookup_attribute ("stf_pxfer", DECL_ATTRIBUTES (decl))
	    || (type && type_has_attr (type, "stf_pxfer")))
		flags |= STF_MF_PXFER;
	return flags;
}

/* Whether values of this type can hold a pointer the transfer must follow. */
static bool holds_pointer (const_tree t, int depth)
{
	if (!t || depth > 32 || stf_type_opaque (t))
		return false;
	switch (TREE_CODE (t)) {
	case POINTER_TYPE:
	case REFERENCE_TYPE:
		return true;
	case ARRAY_TYPE:
		return holds_pointer (TREE_TYPE (t), depth + 1);
	case RECORD_TYPE:
	case UNION_TYPE:
	case QUAL_UNION_TYPE:
		for (tree f = TYPE_FIELDS (t); f; f = DECL_CHAIN (f))
			if (TREE_CODE (f) == FIELD_DECL && !stf_decl_xfer (f)
			    && holds_pointer (TREE_TYPE (f), depth + 1))
				return true;
		return false;
	default:
		return false;
	}
}

bool stf_holds_pointer (const_tree type)
{
	return holds_pointer (type, 0);
}

/* Every member of the union a pointer at offset 0, each to a function
 * (FUNCTIONS) or each to data (!FUNCTIONS). */
static bool union_of_pointers (const_tree type, bool functions)
{
	int n = 0;
	for (tree f = TYPE_FIELDS (type); f; f = DECL_CHAIN (f)) {
		if (TREE_CODE (f) != FIELD_DECL)
			continue;
		tree t = TREE_TYPE (f);
		if (DECL_BIT_FIELD_TYPE (f) || TREE_CODE (t) != POINTER_TYPE
		    || (TREE_CODE (TREE_TYPE (t)) == FUNCTION_TYPE) != functions
		    || !integer_zerop (bit_position (f)))
			return false;
		n++;
	}
	return n > 0;
}

bool stf_union_of_functions (const_tree type)
{
	return TREE_CODE (type) == UNION_TYPE && COMPLETE_TYPE_P (type)
	       && union_of_pointers (type, true);
}

bool stf_union_ambiguous (const_tree type)
{
	if (TREE_CODE (type) != UNION_TYPE || !COMPLETE_TYPE_P (type)
	    || stf_type_opaque (type) || type_has_attr (type, "stf_pxfer")
	    || stf_union_of_functions (type))
		return false;
	bool pointer = false;
	for (tree f = TYPE_FIELDS (type); f; f = DECL_CHAIN (f)) {
		if (TREE_CODE (f) != FIELD_DECL)
			continue;
		if (stf_decl_xfer (f))
			return false;
		if (holds_pointer (TREE_TYPE (f), 1))
			pointer = true;
	}
	return pointer;
}

/* Every member a data pointer at offset 0: libstf relocates such a union
 * as one pointer, by its target (transfer/layout.c), so it needs no
 * annotation and gets no warning. */
static bool union_of_data_pointers (const_tree type)
{
	return tree_fits_uhwi_p (TYPE_SIZE_UNIT (type))
	       && tree_to_uhwi (TYPE_SIZE_UNIT (type)) == 8 && union_of_pointers (type, false);
}

/* Unions found ambiguous whose warning waits for the end of their
 * declaration: a typedef may still annotate them or give them a name. */
struct pending_union {
	tree type;
	location_t loc;
	std::string name;
};
static std::vector<pending_union> pending_unions;

static void warn_union (const pending_union &p)
{
	/* Under -Werror a note: the plugin must not fail a build that plain
	 * gcc accepts. */
	emit_diagnostic (global_dc->warning_as_error_requested ? DK_NOTE : DK_WARNING,
			 p.loc, 0, "stf: union %qs holds a pointer and has no %s annotation; "
			 "its words are classified at update time", p.name.c_str (),
			 "STF_IXFER/STF_PXFER");
}

void stf_union_flush (void *, void *)
{
	for (const pending_union &p : pending_unions)
		warn_union (p);
	pending_unions.clear ();
}

void stf_union_check (void *gcc_data, void *)
{
	tree type = (tree) gcc_data;
	/* Called for every union specifier, uses included: warn once per
	 * definition, identified by its location.  Only with
	 * -fplugin-arg-stf-verbose: libstf classifies such a union's words
	 * (transfer/untyped.c), so it needs no annotation, and a real
	 * program's headers would warn in every unit (Redis: 4 unions, 59
	 * units). */
	static std::set<location_t> seen;

	stf_union_flush (NULL, NULL);
	if (!stf_opts.verbose || !type || type == error_mark_node || TREE_CODE (type) != UNION_TYPE
	    || !stf_union_ambiguous (type) || union_of_data_pointers (type))
		return;
	tree stub = TYPE_STUB_DECL (type);
	location_t loc = stub ? DECL_SOURCE_LOCATION (stub) : input_location;
	if (in_system_header_at (loc) || !seen.insert (loc).second)
		return;
	tree name = TYPE_NAME (type);
	if (name && TREE_CODE (name) == TYPE_DECL)
		name = DECL_NAME (name);
	stf_keep (type);
	pending_unions.push_back ({ type, loc,
				    name ? IDENTIFIER_POINTER (name) : "<anonymous>" });
}

void stf_union_decl (void *gcc_data, void *)
{
	tree decl = (tree) gcc_data;
	if (decl && TREE_CODE (decl) == TYPE_DECL && TREE_TYPE (decl)) {
		tree type = TYPE_MAIN_VARIANT (TREE_TYPE (decl));
		bool annotated = lookup_attribute ("stf_ixfer", DECL_ATTRIBUTES (decl))
				 || lookup_attribute ("stf_pxfer", DECL_ATTRIBUTES (decl))
				 || lookup_attribute ("stf_opaque", DECL_ATTRIBUTES (decl));
		for (size_t i = 0; i < pending_unions.size (); i++) {
			if (pending_unions[i].type != type)
				continue;
			if (annotated) {
				pending_unions.erase (pending_unions.begin () + i);
				break;
			}
			if (!TYPE_NAME (type) && DECL_NAME (decl))
				pending_unions[i].name = stf_decl_name (decl);
		}
	}
	stf_union_flush (NULL, NULL);
}
