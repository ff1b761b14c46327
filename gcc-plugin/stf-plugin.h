/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stf-plugin.h - state shared by the parts of the stf.so plugin.
 *
 * The plugin records metadata while GCC compiles a translation unit
 * (update points while parsing, allocation sites in a late GIMPLE pass) and
 * writes everything out once, at the end of the unit (emit.cc).
 */
#ifndef STF_PLUGIN_H
#define STF_PLUGIN_H

#include "gcc-compat.h"

struct stf_options {
	bool disable; /* register attributes only, emit nothing */
	bool verbose; /* report skipped items */
	bool deflate; /* deflate what a running program does not read (default) */
};
extern struct stf_options stf_opts;

/* Whether this compilation produces code the metadata can describe: not a
 * slim LTO object (its code is only generated at link time), and a target
 * with 64-bit pointers. */
bool stf_active (void);

/* Keep a tree alive across garbage collections until the unit ends: the
 * plugin holds trees in its own (non-GC) containers between passes. */
void stf_keep (tree t);

/* Tell the user about a skipped item, only with -fplugin-arg-stf-verbose. */
void stf_verbose (location_t loc, const char *fmt, ...)
	ATTRIBUTE_GCC_DIAG (2, 3);

/* Basename of the main input file ("kvd.c"), used in static IDs. */
const char *stf_unit_file (void);

/* Source name of a function, without GCC's clone suffixes
 * ("put.part.0" -> "put"). */
std::string stf_function_name (tree fndecl);

#endif /* STF_PLUGIN_H */
