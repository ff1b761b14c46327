/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * emit.h - assembling a unit's metadata (stf-format.h) and writing it into
 * the assembler output at the end of the translation unit.
 */
#ifndef STF_EMIT_H
#define STF_EMIT_H

#include "gcc-compat.h"
#include "../libstf/meta/stf-format.h"

/* The records of one unit, built at the end of the unit. */
struct stf_blob {
	std::vector<stf_type_rec> types;
	std::vector<stf_member_rec> members;
	std::vector<stf_object_rec> objects;
	std::vector<std::string> addrs; /* assembler operand per object, "0" if none */
	std::vector<stf_site_rec> sites;
	std::vector<stf_frame_rec> frames;
	std::vector<stf_local_rec> locals;
	std::vector<stf_use_rec> uses;
	std::vector<std::string> strings;        /* by reference, [0] = "" */
	std::map<std::string, uint32_t> string_ref;

	stf_blob () : strings (1) {}
	/* Reference to s (0 for ""), adding it once.  Records hold these
	 * references until the string table is laid out, when they become
	 * offsets. */
	uint32_t str (const std::string &s);
};

/* Symbols code refers to before the unit is written: the unit header (for
 * update-point frames) and the site id array (for allocation markers), both
 * local to the unit, and the thread-local pending-site cell. */
tree stf_unit_decl (void);
/* An external variable the instrumented code refers to (libstf's when
 * public_p, else the unit's own, defined when it is written). */
tree stf_extern_var (const char *name, tree type, bool public_p);
tree stf_site_ids_decl (void);
tree stf_alloc_site_decl (void);

/* PLUGIN_FINISH_UNIT callback: build the unit and write it. */
void stf_emit_unit (void *gcc_data, void *user_data);

#endif /* STF_EMIT_H */
