/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stf-meta-dwarf.h - the DWARF side of stf-meta verify: libdwarf helpers
 * and an index of every compilation unit's variables, functions and named
 * types, by enclosing function and name.
 */
#ifndef STF_META_DWARF_H
#define STF_META_DWARF_H

#include <dwarf.h>
#include <libdwarf.h>
#include <stdint.h>

#include "meta.h"

/* One DWARF variable (or function) with a static address, or a named type. */
struct dw_entry {
	const char *func; /* enclosing subprogram, "" at file scope */
	const char *name;
	Dwarf_Off die;    /* the DIE carrying the location / definition */
	Dwarf_Off type;   /* DW_AT_type (0 = none) */
	uint64_t addr;
	int has_addr;     /* DW_OP_addr location (not TLS, not optimized out),
	                     or a function's DW_AT_low_pc */
	int code;         /* a function with code (low_pc, or DW_AT_ranges when
	                     GCC split it into hot and cold parts) */
	int tag;
	int nested;       /* type defined inside a function */
	int decl;         /* DW_AT_declaration: not a definition */
	int used;         /* matched by a plugin object */
};

struct dw_cu {
	const char *name;      /* DW_AT_name as given to the compiler */
	Dwarf_Off die;
	struct dw_entry *vars; /* variables and functions */
	size_t nvars, capvars;
	struct dw_entry *types;
	size_t ntypes, captypes;
	int matched;
	int typed; /* has types: not minimal DWARF (-g1 gives none) */
};

struct dwarf_index {
	Dwarf_Debug dbg;
	struct dw_cu *cus;
	size_t ncus;
};

/* The DIE at a section offset (NULL if none; dwarf_dealloc_die it). */
Dwarf_Die die_at(struct dwarf_index *v, Dwarf_Off off);
Dwarf_Off die_off(Dwarf_Die d);
int die_tag(Dwarf_Die d);
int has_attr(Dwarf_Die d, Dwarf_Half attr);
/* Offset of the DIE a reference attribute points to, 0 if none. */
Dwarf_Off ref_attr(Dwarf_Die d, Dwarf_Half attr);
/* A constant attribute and its form; 0 if present. */
int const_attr(Dwarf_Debug dbg, Dwarf_Die d, Dwarf_Half attr, Dwarf_Unsigned *val,
	       Dwarf_Signed *sval, Dwarf_Half *form);
int uconst(Dwarf_Debug dbg, Dwarf_Die d, Dwarf_Half attr, uint64_t *out);
/* Name and DW_AT_type of a DIE, following abstract_origin/specification. */
const char *die_name(struct dwarf_index *v, Dwarf_Die d);
Dwarf_Off die_type(struct dwarf_index *v, Dwarf_Die d);

/* Index every compilation unit: 0, or -1 with a message on stderr. */
int index_dwarf(struct dwarf_index *v);
/* The compilation unit of a metadata unit (same path, else same base
 * name), NULL if none. */
struct dw_cu *cu_of_unit(struct dwarf_index *v, const struct stf_meta_unit *u);

#endif /* STF_META_DWARF_H */
