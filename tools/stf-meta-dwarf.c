/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stf-meta-dwarf.c - libdwarf helpers and the index of DWARF compilation
 * units used by stf-meta verify (see stf-meta-dwarf.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stf-meta-dwarf.h"

/* ------------------------------------------------------------------ */
/* libdwarf helpers                                                     */

Dwarf_Die die_at(struct dwarf_index *v, Dwarf_Off off)
{
	Dwarf_Die d = NULL;
	Dwarf_Error e = NULL;

	if (!off || dwarf_offdie_b(v->dbg, off, 1, &d, &e) != DW_DLV_OK)
		return NULL;
	return d;
}

Dwarf_Off die_off(Dwarf_Die d)
{
	Dwarf_Off off = 0;
	Dwarf_Error e = NULL;

	dwarf_dieoffset(d, &off, &e);
	return off;
}

int die_tag(Dwarf_Die d)
{
	Dwarf_Half tag = 0;
	Dwarf_Error e = NULL;

	dwarf_tag(d, &tag, &e);
	return tag;
}

int has_attr(Dwarf_Die d, Dwarf_Half attr)
{
	Dwarf_Bool b = 0;
	Dwarf_Error e = NULL;

	return dwarf_hasattr(d, attr, &b, &e) == DW_DLV_OK && b;
}

/* Reference attribute -> global DIE offset (0 if absent). */
Dwarf_Off ref_attr(Dwarf_Die d, Dwarf_Half attr)
{
	Dwarf_Attribute a;
	Dwarf_Off off = 0;
	Dwarf_Error e = NULL;

	if (dwarf_attr(d, attr, &a, &e) != DW_DLV_OK)
		return 0;
	if (dwarf_global_formref(a, &off, &e) != DW_DLV_OK)
		off = 0;
	dwarf_dealloc_attribute(a);
	return off;
}

/* Bytes of a DWARF expression in exprloc (DWARF 4+) or block (DWARF 2/3)
 * form, copied to out; returns the length or 0. */
static size_t expr_bytes(Dwarf_Debug dbg, Dwarf_Attribute a, unsigned char *out,
			 size_t max)
{
	Dwarf_Error e = NULL;
	Dwarf_Unsigned len;
	Dwarf_Ptr p;
	Dwarf_Block *blk;
	size_t n = 0;

	if (dwarf_formexprloc(a, &len, &p, &e) == DW_DLV_OK) {
		n = len <= max ? (size_t)len : 0;
		if (n)
			memcpy(out, p, n);
	} else if (dwarf_formblock(a, &blk, &e) == DW_DLV_OK) {
		n = blk->bl_len <= max ? (size_t)blk->bl_len : 0;
		if (n)
			memcpy(out, blk->bl_data, n);
		dwarf_dealloc(dbg, blk, DW_DLA_BLOCK);
	}
	return n;
}

/* Constant attribute; *form receives its form.  Returns 0 if present. */
int const_attr(Dwarf_Debug dbg, Dwarf_Die d, Dwarf_Half attr, Dwarf_Unsigned *val,
	       Dwarf_Signed *sval, Dwarf_Half *form)
{
	Dwarf_Attribute a;
	Dwarf_Error e = NULL;
	int rc = -1;

	if (dwarf_attr(d, attr, &a, &e) != DW_DLV_OK)
		return -1;
	dwarf_whatform(a, form, &e);
	if (*form == DW_FORM_sdata || *form == DW_FORM_implicit_const) {
		if (dwarf_formsdata(a, sval, &e) == DW_DLV_OK) {
			*val = (Dwarf_Unsigned)*sval;
			rc = 0;
		}
	} else if (dwarf_formudata(a, val, &e) == DW_DLV_OK) {
		*sval = (Dwarf_Signed)*val;
		rc = 0;
	} else {
		/* DWARF 2 style member location: DW_OP_plus_uconst ULEB */
		unsigned char x[16];
		size_t len = expr_bytes(dbg, a, x, sizeof x);

		if (len >= 2 && x[0] == DW_OP_plus_uconst) {
			uint64_t u = 0;
			unsigned shift = 0;
			for (size_t i = 1; i < len && shift < 64; i++, shift += 7) {
				u |= (uint64_t)(x[i] & 0x7f) << shift;
				if (!(x[i] & 0x80))
					break;
			}
			*val = u;
			*sval = (Dwarf_Signed)u;
			rc = 0;
		}
	}
	dwarf_dealloc_attribute(a);
	return rc;
}

int uconst(Dwarf_Debug dbg, Dwarf_Die d, Dwarf_Half attr, uint64_t *out)
{
	Dwarf_Unsigned u;
	Dwarf_Signed s;
	Dwarf_Half form = 0;

	if (const_attr(dbg, d, attr, &u, &s, &form))
		return -1;
	*out = u;
	return 0;
}

/* Name of a DIE, following abstract_origin/specification (bounded). */
const char *die_name(struct dwarf_index *v, Dwarf_Die d)
{
	Dwarf_Error e = NULL;
	char *name = NULL;

	for (int hop = 0; d && hop < 4; hop++) {
		Dwarf_Off next;

		if (dwarf_diename(d, &name, &e) == DW_DLV_OK)
			return name;
		next = ref_attr(d, DW_AT_abstract_origin);
		if (!next)
			next = ref_attr(d, DW_AT_specification);
		if (hop)
			dwarf_dealloc_die(d);
		d = die_at(v, next);
	}
	return NULL;
}

/* DW_AT_type following origin/specification (a concrete instance of a
 * variable has no type of its own). */
Dwarf_Off die_type(struct dwarf_index *v, Dwarf_Die d)
{
	for (int hop = 0; d && hop < 4; hop++) {
		Dwarf_Off t = ref_attr(d, DW_AT_type), next;

		if (t || hop == 3)
			return t;
		next = ref_attr(d, DW_AT_abstract_origin);
		if (!next)
			next = ref_attr(d, DW_AT_specification);
		if (!next)
			return 0;
		if (hop)
			dwarf_dealloc_die(d);
		d = die_at(v, next);
	}
	return 0;
}

/* DW_AT_location that is exactly DW_OP_addr <8 bytes>. */
static int location_addr(Dwarf_Debug dbg, Dwarf_Die d, uint64_t *addr)
{
	Dwarf_Attribute a;
	Dwarf_Error e = NULL;
	unsigned char x[16];
	size_t len;

	if (dwarf_attr(d, DW_AT_location, &a, &e) != DW_DLV_OK)
		return -1;
	len = expr_bytes(dbg, a, x, sizeof x);
	dwarf_dealloc_attribute(a);
	if (len != 9 || x[0] != DW_OP_addr)
		return -1;
	memcpy(addr, x + 1, 8);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Indexing the DWARF compilation units                                 */

static int push_entry(struct dw_entry **arr, size_t *n, size_t *cap,
		      struct dw_entry e)
{
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 64;
		void *p = realloc(*arr, ncap * sizeof **arr);
		if (!p)
			return -1;
		*arr = p;
		*cap = ncap;
	}
	(*arr)[(*n)++] = e;
	return 0;
}

static int is_type_tag(int tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
	       tag == DW_TAG_enumeration_type || tag == DW_TAG_typedef ||
	       tag == DW_TAG_base_type;
}

/* Walk the children of parent; func = enclosing subprogram name. */
static int index_children(struct dwarf_index *v, struct dw_cu *cu, Dwarf_Die parent,
			  const char *func, int depth)
{
	Dwarf_Die child = NULL, next;
	Dwarf_Error e = NULL;

	if (depth > 64 || dwarf_child(parent, &child, &e) != DW_DLV_OK)
		return 0;
	while (child) {
		int tag = die_tag(child);
		const char *name;

		if (tag == DW_TAG_variable || tag == DW_TAG_subprogram ||
		    (tag == DW_TAG_formal_parameter && *func)) {
			struct dw_entry en = { .func = func, .die = die_off(child), .tag = tag };
			Dwarf_Addr low;

			name = die_name(v, child);
			en.name = name ? name : "";
			en.type = die_type(v, child);
			en.decl = has_attr(child, DW_AT_declaration);
			if (en.type)
				cu->typed = 1;
			if (tag == DW_TAG_variable)
				en.has_addr = location_addr(v->dbg, child, &en.addr) == 0;
			else if (dwarf_lowpc(child, &low, &e) == DW_DLV_OK) {
				en.addr = low;
				en.has_addr = en.code = 1;
			} else {
				en.code = has_attr(child, DW_AT_ranges);
			}
			if (name && !has_attr(child, DW_AT_artificial) &&
			    push_entry(&cu->vars, &cu->nvars, &cu->capvars, en))
				return -1;
			if (tag == DW_TAG_subprogram && name &&
			    index_children(v, cu, child, name, depth + 1))
				return -1;
		} else if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
			/* Statics of inlined callees belong to the callee's abstract
			 * instance, found through its own subprogram DIE. */
			if (tag == DW_TAG_lexical_block &&
			    index_children(v, cu, child, func, depth + 1))
				return -1;
		} else if (is_type_tag(tag) && (name = die_name(v, child))) {
			struct dw_entry en = { .func = func, .name = name,
				.die = die_off(child), .tag = tag, .nested = *func != 0,
				.has_addr = !has_attr(child, DW_AT_declaration) };
			if (push_entry(&cu->types, &cu->ntypes, &cu->captypes, en))
				return -1;
			cu->typed = 1;
		}
		if (dwarf_siblingof_b(v->dbg, child, 1, &next, &e) != DW_DLV_OK)
			next = NULL;
		dwarf_dealloc_die(child);
		child = next;
	}
	return 0;
}

int index_dwarf(struct dwarf_index *v)
{
	Dwarf_Error e = NULL;

	for (;;) {
		Dwarf_Unsigned hlen, typeoff, next_off;
		Dwarf_Half ver, asz, lsz, esz, cutype;
		Dwarf_Off abbr;
		Dwarf_Sig8 sig;
		Dwarf_Die cudie = NULL;
		struct dw_cu *cu;
		void *p;
		int rc = dwarf_next_cu_header_d(v->dbg, 1, &hlen, &ver, &abbr, &asz,
						&lsz, &esz, &sig, &typeoff, &next_off,
						&cutype, &e);
		if (rc == DW_DLV_NO_ENTRY)
			return 0;
		if (rc != DW_DLV_OK) {
			fprintf(stderr, "stf-meta: corrupted DWARF: %s\n", dwarf_errmsg(e));
			return -1;
		}
		if (dwarf_siblingof_b(v->dbg, NULL, 1, &cudie, &e) != DW_DLV_OK)
			continue;
		p = realloc(v->cus, (v->ncus + 1) * sizeof *v->cus);
		if (!p)
			return -1;
		v->cus = p;
		cu = &v->cus[v->ncus++];
		memset(cu, 0, sizeof *cu);
		cu->name = die_name(v, cudie);
		if (!cu->name)
			cu->name = "";
		cu->die = die_off(cudie);
		if (index_children(v, cu, cudie, "", 0))
			return -1;
		dwarf_dealloc_die(cudie);
	}
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

struct dw_cu *cu_of_unit(struct dwarf_index *v, const struct stf_meta_unit *u)
{
	const char *path = stf_meta_str(u, u->blob->path);
	const char *file = stf_meta_str(u, u->blob->file);

	for (size_t i = 0; i < v->ncus; i++)
		if (!v->cus[i].matched && !strcmp(v->cus[i].name, path))
			return &v->cus[i];
	for (size_t i = 0; i < v->ncus; i++)
		if (!v->cus[i].matched && !strcmp(base_name(v->cus[i].name), file))
			return &v->cus[i];
	return NULL;
}
