/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * member-uses-fntables.cc - the functions the unit's static initializers
 * store into function-pointer slots: a table of handlers (`static const
 * struct handler tab[] = { { "get", on_get }, ... }`, the slot (struct
 * handler, fn)), a struct of operations (`static const struct ops ops =
 * { .open = conn_open }`), a static array or variable of function
 * pointers (`hooks[] = { on_touch }`, the slot (NULL, hooks)).  A call
 * through such a slot (`tab[i].fn (ctx)`, `o->open (ctx)`, `hooks[0]
 * (ctx)`) reaches those functions, like the ones stored by the code
 * (member-uses.cc's slot_fns).
 */
#include "stf-plugin.h"
#include "member-uses.h"
#include "member-uses-state.h"

using namespace stf_member_uses;

namespace {

bool holds_functions (tree type)
{
	return POINTER_TYPE_P (type) && TREE_CODE (TREE_TYPE (type)) == FUNCTION_TYPE;
}

/* The function whose address value is (through conversions), or NULL. */
tree function_stored (tree value)
{
	STRIP_NOPS (value);
	if (TREE_CODE (value) != ADDR_EXPR || TREE_CODE (TREE_OPERAND (value, 0)) != FUNCTION_DECL)
		return NULL_TREE;
	return TREE_OPERAND (value, 0);
}

/* The slots of initializer init, of type type, of static variable var:
 * top when init is var's own (its elements, or itself, are var's slot). */
void note_slots (tree var, tree type, tree init, bool top, int depth)
{
	if (depth > 8)
		return;
	if (TREE_CODE (init) != CONSTRUCTOR) {
		tree f = function_stored (init);
		if (f && top && holds_functions (type))
			slot_fns[fn_slot (NULL_TREE, var)].insert (f);
		return;
	}
	unsigned HOST_WIDE_INT i;
	tree index, value;
	if (TREE_CODE (type) == ARRAY_TYPE) {
		tree elt = TREE_TYPE (type);
		FOR_EACH_CONSTRUCTOR_ELT (CONSTRUCTOR_ELTS (init), i, index, value)
			note_slots (var, elt, value, top, depth + 1);
		return;
	}
	if (TREE_CODE (type) != RECORD_TYPE)
		return;
	FOR_EACH_CONSTRUCTOR_ELT (CONSTRUCTOR_ELTS (init), i, index, value) {
		if (!index || TREE_CODE (index) != FIELD_DECL)
			continue;
		tree f = function_stored (value);
		if (f && holds_functions (TREE_TYPE (index)))
			slot_fns[fn_slot (TYPE_MAIN_VARIANT (type), index)].insert (f);
		else
			note_slots (var, TREE_TYPE (index), value, false, depth + 1);
	}
}

} /* namespace */

void stf_note_function_tables (void *, void *)
{
	varpool_node *vnode;
	FOR_EACH_VARIABLE (vnode) {
		tree decl = vnode->decl;
		tree init = DECL_INITIAL (decl);
		if (!init || init == error_mark_node || DECL_EXTERNAL (decl))
			continue;
		note_slots (decl, TREE_TYPE (decl), init, true, 0);
	}
}
