/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * types.h - the type table of a unit: GCC types to stf_type_rec records,
 * deduplicated by a structural key, with members.
 */
#ifndef STF_TYPES_H
#define STF_TYPES_H

#include "emit.h"

class stf_types {
public:
	explicit stf_types (stf_blob &blob) : blob (blob) {}
	/* Index of the record describing t (added with everything it
	 * refers to), STF_NONE for NULL or types the format cannot express. */
	uint32_t index (tree t);
	/* Whether the struct t (its main variant) has a record. */
	bool has_record (tree t) const;

private:
	stf_blob &blob;
	std::map<tree, uint32_t> by_tree;  /* valid while the unit is written */
	std::map<tree, uint64_t> keys;        /* memo of key () */
	std::map<uint64_t, uint32_t> by_key;  /* key -> record */

	uint64_t key (tree t, int depth);
	uint64_t pointee_key (tree t, int depth);
	void fill (uint32_t idx, tree t);
};

/* PLUGIN_FINISH_DECL callback: remember the typedef naming an anonymous
 * struct or union, recorded with it (its only name). */
void stf_note_naming_typedef (void *gcc_data, void *user_data);

/* PLUGIN_FINISH_TYPE callback: remember the structs and unions completed
 * at file scope in the main source file. */
void stf_note_main_file_type (void *gcc_data, void *user_data);

/* Record the remembered types (with everything they refer to), so that the
 * unit defining an opaque type describes it even when none of its own
 * objects, sites or frames does; and the variants of the structs
 * recorded (see variant_of in types.cc). */
void stf_add_main_file_types (stf_types &types);

#endif /* STF_TYPES_H */
