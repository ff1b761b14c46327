/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * objects.h - static objects of a unit: variables, address-taken
 * functions and string literals.
 */
#ifndef STF_OBJECTS_H
#define STF_OBJECTS_H

#include "types.h"

/* Remember the string literals of a function's code whose address may
 * reach the program's state (not those only passed to printf, strcmp...),
 * with their places; each is recorded if GCC ends up writing it. */
void stf_note_function_strings (function *fun);

/* PLUGIN_ALL_IPA_PASSES_START callback: note the string literals that
 * static initializers point to, while the initializers are still there. */
void stf_note_initializer_strings (void *gcc_data, void *user_data);

/* Add the records of every object GCC wrote to the assembler output. */
void stf_collect_objects (stf_blob &blob, stf_types &types);

/* The static ID of variable decl (its record's id); a function-local
 * static's function in *func. */
std::string stf_object_id (tree decl, std::string *func);

#endif /* STF_OBJECTS_H */
