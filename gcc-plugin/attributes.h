/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * attributes.h - the annotation attributes of stf.h (stf_ixfer, stf_pxfer,
 * stf_allocator, stf_deallocator, stf_opaque) and the ambiguous-union
 * check.
 */
#ifndef STF_ATTRIBUTES_H
#define STF_ATTRIBUTES_H

#include "gcc-compat.h"

/* PLUGIN_ATTRIBUTES callback: registers the five attributes. */
void stf_attributes_register (void *gcc_data, void *user_data);

/* PLUGIN_FINISH_TYPE callback: notes a union holding a pointer that
 * carries no STF_IXFER/STF_PXFER/STF_OPAQUE annotation, for a warning once
 * its declaration is complete. */
void stf_union_check (void *gcc_data, void *user_data);
/* PLUGIN_FINISH_DECL callback: a typedef may annotate (or name) the union
 * it declares; then the pending warnings are given. */
void stf_union_decl (void *gcc_data, void *user_data);
/* Gives the pending warnings (end of a function or of the unit). */
void stf_union_flush (void *gcc_data, void *user_data);

/* Whether fndecl is an allocator wrapper (STF_ALLOCATOR). */
bool stf_is_allocator (const_tree fndecl);

/* Whether fndecl is annotated STF_DEALLOCATOR. */
bool stf_is_deallocator (const_tree fndecl);

/* The parameter (from 0) of a deallocator that receives the object given
 * back: stf_deallocator's N - 1, else the first `void *` parameter, else
 * the last pointer parameter; -1 if it has none. */
int stf_freed_param (const_tree fndecl);

/* The type of fndecl's parameter n (from 0), NULL_TREE if none. */
tree stf_nth_param_type (const_tree fndecl, int n);

/* STF_MF_IXFER / STF_MF_PXFER for a variable or field: from its own
 * attributes and those of its type and typedefs. */
unsigned stf_decl_xfer (const_tree decl);

/* Whether a type (or one of its typedefs) is annotated so that its objects
 * are copied as bytes (STF_OPAQUE or STF_IXFER on the type). */
bool stf_type_opaque (const_tree type);

/* Whether values of the type can hold a pointer the transfer follows (not
 * inside an STF_OPAQUE type nor an STF_IXFER member). */
bool stf_holds_pointer (const_tree type);

/* Whether every member of a union is a pointer to a function (libevent's
 * evcb_cb_union): its value is a function's address whichever member is
 * live, so it is transferred as one function pointer. */
bool stf_union_of_functions (const_tree type);

/* Whether a union is ambiguous: it holds a pointer, directly or nested, and
 * neither it nor any of its members is annotated, and it is not a union of
 * function pointers. */
bool stf_union_ambiguous (const_tree type);

#endif /* STF_ATTRIBUTES_H */
