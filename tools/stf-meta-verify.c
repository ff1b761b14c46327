/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stf-meta verify - cross-check the plugin metadata against DWARF.
 *
 * Every unit is paired with the DWARF compilation unit of the same source
 * file.  Objects are found in DWARF by (enclosing function, name) and their
 * addresses compared; their types, every named type of the unit, the
 * element types of allocation sites and the update-point locals are then
 * co-walked with the DWARF types: sizes, member names and offsets,
 * bitfields, array bounds, enumerators, encodings, typedef names and
 * pointer targets.  A memo of (plugin type, DWARF DIE) pairs already
 * compared ends recursion through self-referential structs and keeps every
 * disagreement reported once.
 */
#include <config.h>

#include <dwarf.h>
#include <inttypes.h>
#include <libdwarf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "stf-meta.h"
#include "stf-meta-dwarf.h"


struct memo_key { uint32_t unit, type; Dwarf_Off die; uint32_t dim; };

struct verify {
	struct dwarf_index dw;
	const struct stf_meta *m;
	const struct elfmeta *em;
	/* memo: open addressing over memo_key, with a "used" flag */
	struct memo_key *memo;
	unsigned char *memo_used;
	size_t memo_cap, memo_n;
	/* per-unit bitmap of plugin types verified */
	unsigned char **checked;
	size_t types_checked, objects_checked, sites_checked, problems;
	size_t units_without_dwarf, units_minimal;
	/* context of the current report */
	const struct stf_meta_unit *u;
	struct dw_cu *cu; /* the DWARF unit of u */
	char context[1200];
};

static void report(struct verify *v, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct verify *v, const char *path, const char *fmt, ...)
{
	va_list ap;

	printf("%s: %s: ", stf_meta_str(v->u, v->u->blob->file), v->context);
	/* "type size 64 ..." at the top of a type, "type[].key: size 4 ..." inside */
	if (*path)
		printf("%s%s", path, strcmp(path, "type") ? ": " : " ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	v->problems++;
}


/* ------------------------------------------------------------------ */
/* The memo                                                             */

static uint64_t memo_hash(const struct memo_key *k)
{
	uint64_t h = k->die * 0x9e3779b97f4a7c15ull;
	h ^= ((uint64_t)k->unit << 40) ^ ((uint64_t)k->type << 8) ^ k->dim;
	return h * 0xff51afd7ed558ccdull;
}

/* 1 if the pair was seen (or memory ran out), else record it and return 0. */
static int memo_seen(struct verify *v, struct memo_key k)
{
	size_t i;

	if (2 * (v->memo_n + 1) > v->memo_cap) {
		size_t ncap = v->memo_cap ? 2 * v->memo_cap : 1024;
		struct memo_key *nk = calloc(ncap, sizeof *nk);
		unsigned char *nu = calloc(ncap, 1);

		if (!nk || !nu) {
			free(nk);
			free(nu);
			return 1;
		}
		for (size_t j = 0; j < v->memo_cap; j++) {
			if (!v->memo_used[j])
				continue;
			for (i = memo_hash(&v->memo[j]) & (ncap - 1); nu[i]; i = (i + 1) & (ncap - 1))
				;
			nk[i] = v->memo[j];
			nu[i] = 1;
		}
		free(v->memo);
		free(v->memo_used);
		v->memo = nk;
		v->memo_used = nu;
		v->memo_cap = ncap;
	}
	for (i = memo_hash(&k) & (v->memo_cap - 1); v->memo_used[i];
	     i = (i + 1) & (v->memo_cap - 1)) {
		const struct memo_key *o = &v->memo[i];
		if (o->unit == k.unit && o->type == k.type && o->die == k.die && o->dim == k.dim)
			return 1;
	}
	v->memo[i] = k;
	v->memo_used[i] = 1;
	v->memo_n++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Co-walking a plugin type and a DWARF type                            */

static void check_type(struct verify *v, uint32_t t, Dwarf_Off die, const char *path);

static void sub_path(char *buf, size_t len, const char *path, const char *fmt, const char *arg)
{
	int n = snprintf(buf, len, "%s", path);
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, fmt, arg);
}

static void mark_checked(struct verify *v, uint32_t t)
{
	unsigned char *bits = v->checked[v->u - v->m->units];

	if (!(bits[t / 8] & (1u << (t % 8)))) {
		bits[t / 8] |= (unsigned char)(1u << (t % 8));
		v->types_checked++;
	}
}

static const char *dw_tag_word(int tag)
{
	switch (tag) {
	case 0:                        return "void";
	case DW_TAG_base_type:         return "base type";
	case DW_TAG_pointer_type:      return "pointer";
	case DW_TAG_array_type:        return "array";
	case DW_TAG_structure_type:    return "struct";
	case DW_TAG_union_type:        return "union";
	case DW_TAG_enumeration_type:  return "enum";
	case DW_TAG_typedef:           return "typedef";
	case DW_TAG_subroutine_type:   return "function";
	case DW_TAG_subprogram:        return "function";
	case DW_TAG_unspecified_type:  return "unspecified type";
	default:                       return "other DWARF type";
	}
}

static void kind_mismatch(struct verify *v, const struct stf_type_rec *r, int tag,
			  const char *path)
{
	report(v, path, "kind %s (plugin) vs %s (DWARF)", kind_name(r->kind), dw_tag_word(tag));
}

/* A type declared inside a function is named "file:func/tag" by the
 * plugin: split off the function (*func, its length in *funclen); "" and
 * 0 for a name of file scope.  Returns the bare tag. */
static const char *scoped_name(const char *name, const char **func, size_t *funclen)
{
	const char *colon = strchr(name, ':'), *slash = colon ? strchr(colon, '/') : NULL;

	*func = "";
	*funclen = 0;
	if (!slash)
		return name;
	*func = colon + 1;
	*funclen = (size_t)(slash - colon - 1);
	return slash + 1;
}

/* The function a named type DIE is declared in, "" at file scope or if
 * the DIE is not indexed. */
static const char *type_scope(struct verify *v, Dwarf_Die d)
{
	Dwarf_Off off = die_off(d);

	for (size_t i = 0; v->cu && i < v->cu->ntypes; i++)
		if (v->cu->types[i].die == off)
			return v->cu->types[i].func;
	return "";
}

static void check_name(struct verify *v, const struct stf_type_rec *r, Dwarf_Die d,
		       const char *path)
{
	const char *pn = stf_meta_str(v->u, r->name), *func;
	const char *dn = die_name(&v->dw, d);
	size_t funclen;
	const char *tag = scoped_name(pn, &func, &funclen);

	if (!dn)
		dn = "";
	if (strcmp(tag, dn)) {
		report(v, path, "name '%s' (plugin) vs '%s' (DWARF)", pn, dn);
	} else if (funclen) {
		const char *dfunc = type_scope(v, d);
		if (strlen(dfunc) != funclen || strncmp(dfunc, func, funclen))
			report(v, path, "name '%s' (plugin) vs '%s' declared %s%s (DWARF)",
			       pn, dn, *dfunc ? "in function " : "at file scope", dfunc);
	}
}

static void check_size(struct verify *v, const struct stf_type_rec *r, Dwarf_Die d,
		       const char *path)
{
	uint64_t size;

	if (uconst(v->dw.dbg, d, DW_AT_byte_size, &size))
		return; /* DWARF leaves it to the reader (e.g. pointers in DWARF 2) */
	if (size != r->size)
		report(v, path, "size %" PRIu64 " (plugin) vs %" PRIu64 " (DWARF)", r->size, size);
}

static void check_members(struct verify *v, const struct stf_type_rec *r, Dwarf_Die d,
			  const char *path)
{
	const struct stf_meta_unit *u = v->u;
	Dwarf_Die child = NULL, next;
	Dwarf_Error e = NULL;
	uint32_t k = 0, ndw = 0;
	char sub[512];

	if (dwarf_child(d, &child, &e) != DW_DLV_OK)
		child = NULL;
	for (; child; child = next) {
		int tag = die_tag(child);
		const struct stf_member_rec *mr;
		const char *dn;
		uint64_t loc = 0, bits = 0, bitoff, bytesz, bitpos, pbit;

		if (dwarf_siblingof_b(v->dw.dbg, child, 1, &next, &e) != DW_DLV_OK)
			next = NULL;
		if ((r->kind == STF_K_ENUM) ? tag != DW_TAG_enumerator : tag != DW_TAG_member) {
			dwarf_dealloc_die(child);
			continue;
		}
		ndw++;
		if (k >= r->nmembers) {
			dwarf_dealloc_die(child);
			continue;
		}
		mr = &u->members[r->members + k++];
		dn = die_name(&v->dw, child);
		if (!dn)
			dn = "";
		sub_path(sub, sizeof sub, path, ".%s",
			 mr->name ? stf_meta_str(u, mr->name) : "<anonymous>");
		if (strcmp(stf_meta_str(u, mr->name), dn))
			report(v, sub, "member %u name '%s' (plugin) vs '%s' (DWARF)",
			       k - 1, stf_meta_str(u, mr->name), dn);
		if (r->kind == STF_K_ENUM) {
			Dwarf_Unsigned uv;
			Dwarf_Signed sv;
			Dwarf_Half form = 0;

			if (const_attr(v->dw.dbg, child, DW_AT_const_value, &uv, &sv, &form) == 0) {
				/* DW_FORM_dataN does not say whether it is signed */
				int64_t ext = (int64_t)uv;
				int bytes = form == DW_FORM_data1 ? 1 : form == DW_FORM_data2 ? 2 :
					    form == DW_FORM_data4 ? 4 : 8;
				if (bytes < 8 && (uv >> (8 * bytes - 1)) & 1)
					ext = (int64_t)(uv | (~0ull << (8 * bytes)));
				if (mr->offset != sv && mr->offset != ext)
					report(v, sub, "value %" PRId64 " (plugin) vs %" PRId64 " (DWARF)",
					       mr->offset, (int64_t)sv);
			}
			dwarf_dealloc_die(child);
			continue;
		}
		if (uconst(v->dw.dbg, child, DW_AT_data_member_location, &loc))
			loc = 0; /* union members */
		uconst(v->dw.dbg, child, DW_AT_bit_size, &bits);
		/* bit positions in unsigned arithmetic: corrupted offsets wrap
		 * instead of overflowing */
		if (!bits)
			bitpos = loc * 8;
		else if (uconst(v->dw.dbg, child, DW_AT_data_bit_offset, &bitpos) == 0)
			;
		else if (uconst(v->dw.dbg, child, DW_AT_bit_offset, &bitoff) == 0) {
			/* DWARF < 4 counts from the storage unit's high bit */
			if (uconst(v->dw.dbg, child, DW_AT_byte_size, &bytesz))
				bytesz = 0;
			bitpos = loc * 8 + bytesz * 8 - bitoff - bits;
		} else {
			bitpos = loc * 8;
		}
		pbit = (uint64_t)mr->offset * 8 + mr->bit_offset;
		if (bits != mr->bit_size)
			report(v, sub, "bit size %u (plugin) vs %" PRIu64 " (DWARF)",
			       mr->bit_size, bits);
		if (pbit != bitpos) {
			if (bits || mr->bit_size)
				report(v, sub, "bit position %" PRIu64 " (plugin) vs %" PRIu64 " (DWARF)",
				       pbit, bitpos);
			else
				report(v, sub, "offset %" PRId64 " (plugin) vs %" PRIu64 " (DWARF)",
				       mr->offset, loc);
		}
		check_type(v, mr->type, die_type(&v->dw, child), sub);
		dwarf_dealloc_die(child);
	}
	if (ndw != r->nmembers)
		report(v, path, "%u %s (plugin) vs %u (DWARF)", r->nmembers,
		       r->kind == STF_K_ENUM ? "enumerators" : "members", ndw);
}

static void check_function(struct verify *v, const struct stf_type_rec *r, Dwarf_Die d,
			   const char *path)
{
	const struct stf_meta_unit *u = v->u;
	Dwarf_Die child = NULL, next;
	Dwarf_Error e = NULL;
	uint32_t k = 0, ndw = 0;
	int variadic = 0;
	char sub[512], num[16];

	sub_path(sub, sizeof sub, path, "%s", "(return)");
	check_type(v, r->target, ref_attr(d, DW_AT_type), sub);
	if (dwarf_child(d, &child, &e) != DW_DLV_OK)
		child = NULL;
	for (; child; child = next) {
		int tag = die_tag(child);

		if (dwarf_siblingof_b(v->dw.dbg, child, 1, &next, &e) != DW_DLV_OK)
			next = NULL;
		if (tag == DW_TAG_unspecified_parameters)
			variadic = 1;
		if (tag == DW_TAG_formal_parameter) {
			ndw++;
			if (k < r->nmembers) {
				snprintf(num, sizeof num, "%u", k);
				sub_path(sub, sizeof sub, path, "(param %s)", num);
				check_type(v, u->members[r->members + k].type,
					   die_type(&v->dw, child), sub);
				k++;
			}
		}
		dwarf_dealloc_die(child);
	}
	if (ndw != r->nmembers)
		report(v, path, "%u parameters (plugin) vs %u (DWARF)", r->nmembers, ndw);
	/* An unprototyped "int f()" has neither in DWARF nor plugin a variadic
	 * marker we could rely on; only flag a prototyped disagreement. */
	if (has_attr(d, DW_AT_prototyped) && variadic != !!(r->flags & STF_TF_VARIADIC))
		report(v, path, "%s (plugin) vs %s (DWARF)",
		       r->flags & STF_TF_VARIADIC ? "variadic" : "not variadic",
		       variadic ? "variadic" : "not variadic");
}

/* Array type r against subrange dim of DWARF array d. */
static void check_array(struct verify *v, uint32_t t, Dwarf_Die d, uint32_t dim,
			const char *path)
{
	const struct stf_type_rec *r = &v->u->types[t];
	Dwarf_Die child = NULL, next;
	Dwarf_Error e = NULL;
	uint32_t i = 0, nsub = 0;
	uint64_t count = 0;
	int known = 0;
	char sub[512];

	if (memo_seen(v, (struct memo_key){ (uint32_t)(v->u - v->m->units), t, die_off(d), dim + 1 }))
		return;
	mark_checked(v, t);
	if (dwarf_child(d, &child, &e) != DW_DLV_OK)
		child = NULL;
	for (; child; child = next) {
		if (dwarf_siblingof_b(v->dw.dbg, child, 1, &next, &e) != DW_DLV_OK)
			next = NULL;
		if (die_tag(child) == DW_TAG_subrange_type) {
			if (i == dim) {
				uint64_t ub;
				Dwarf_Unsigned uv;
				Dwarf_Signed sv;
				Dwarf_Half form = 0;

				if (uconst(v->dw.dbg, child, DW_AT_count, &count) == 0)
					known = 1;
				else if (const_attr(v->dw.dbg, child, DW_AT_upper_bound, &uv, &sv, &form) == 0) {
					ub = uv;
					/* [0] is emitted as upper bound -1 */
					count = sv == -1 || (form == DW_FORM_data4 && uv == 0xffffffffu) ||
						(form == DW_FORM_data8 && uv == UINT64_MAX) ? 0 : ub + 1;
					known = 1;
				}
			}
			i++;
		}
		dwarf_dealloc_die(child);
	}
	nsub = i;
	if (dim >= nsub) {
		report(v, path, "%u array dimensions (DWARF) but more in the plugin", nsub);
		return;
	}
	if (!known && !(r->flags & (STF_TF_FLEXIBLE | STF_TF_INCOMPLETE)) && r->count)
		report(v, path, "array length %" PRIu64 " (plugin) vs flexible/unknown (DWARF)",
		       r->count);
	else if (known && count != r->count)
		report(v, path, "array length %" PRIu64 " (plugin) vs %" PRIu64 " (DWARF)",
		       r->count, count);
	sub_path(sub, sizeof sub, path, "%s", "[]");
	if (dim + 1 < nsub) {
		const struct stf_type_rec *el = r->target < v->u->ntypes ? &v->u->types[r->target] : NULL;
		uint32_t et = stf_meta_strip_typedefs(v->u, r->target);

		if (!el || et >= v->u->ntypes || v->u->types[et].kind != STF_K_ARRAY) {
			report(v, sub, "element kind %s (plugin) vs array (DWARF)",
			       el ? kind_name(el->kind) : "none");
			return;
		}
		check_array(v, et, d, dim + 1, sub);
	} else {
		check_type(v, r->target, ref_attr(d, DW_AT_type), sub);
	}
}

static void check_type(struct verify *v, uint32_t t, Dwarf_Off die, const char *path)
{
	const struct stf_meta_unit *u = v->u;
	const struct stf_type_rec *r = t < u->ntypes ? &u->types[t] : NULL;
	Dwarf_Die d = NULL;
	unsigned dquals = 0, rquals;
	int tag = 0;

	/* Qualifiers wrap the type in DWARF and sit on the record in the plugin. */
	for (int hop = 0; die && hop < 8; hop++) {
		d = die_at(&v->dw, die);
		if (!d)
			break;
		tag = die_tag(d);
		if (tag == DW_TAG_const_type)
			dquals |= STF_Q_CONST;
		else if (tag == DW_TAG_volatile_type)
			dquals |= STF_Q_VOLATILE;
		else if (tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
			break;
		die = ref_attr(d, DW_AT_type);
		dwarf_dealloc_die(d);
		d = NULL;
		tag = 0;
	}
	if (!r || r->kind == STF_K_VOID) {
		if (d && tag != DW_TAG_unspecified_type)
			report(v, path, "void (plugin) vs %s (DWARF)", dw_tag_word(tag));
		if (r)
			mark_checked(v, t);
		goto out;
	}
	if (!d) {
		report(v, path, "%s (plugin) vs void (DWARF)", kind_name(r->kind));
		goto out;
	}
	rquals = r->quals & (STF_Q_CONST | STF_Q_VOLATILE);
	/* Qualifiers of arrays land on the elements in DWARF; those a typedef
	 * carries because its aliased type has them are not written again. */
	if (r->kind == STF_K_TYPEDEF) {
		unsigned implied = 0;
		for (uint32_t a = r->target; a < u->ntypes; a = u->types[a].target) {
			implied |= u->types[a].quals;
			if (u->types[a].kind != STF_K_TYPEDEF)
				break;
		}
		rquals &= ~implied;
		dquals &= ~implied;
	}
	if (r->kind != STF_K_ARRAY && rquals != dquals &&
	    !(dquals && !rquals && tag == DW_TAG_array_type))
		report(v, path, "qualifiers %s%s(plugin) vs %s%s(DWARF)",
		       rquals & STF_Q_CONST ? "const " : "",
		       rquals & STF_Q_VOLATILE ? "volatile " : (rquals ? "" : "none "),
		       dquals & STF_Q_CONST ? "const " : "",
		       dquals & STF_Q_VOLATILE ? "volatile " : (dquals ? "" : "none "));
	if (r->kind == STF_K_ARRAY || r->kind == STF_K_VECTOR) {
		if (tag != DW_TAG_array_type ||
		    (r->kind == STF_K_VECTOR) != has_attr(d, DW_AT_GNU_vector)) {
			kind_mismatch(v, r, tag, path);
			goto out;
		}
		if (r->kind == STF_K_VECTOR)
			check_size(v, r, d, path);
		check_array(v, t, d, 0, path);
		goto out;
	}
	if (memo_seen(v, (struct memo_key){ (uint32_t)(u - v->m->units), t, die_off(d), 0 }))
		goto out;
	mark_checked(v, t);
	switch (r->kind) {
	case STF_K_TYPEDEF:
		if (tag != DW_TAG_typedef) {
			kind_mismatch(v, r, tag, path);
			break;
		}
		check_name(v, r, d, path);
		check_type(v, r->target, ref_attr(d, DW_AT_type), path);
		break;
	case STF_K_INT:
	case STF_K_FLOAT:
	case STF_K_COMPLEX: {
		uint64_t enc = 0;
		int want_float = r->kind == STF_K_FLOAT, want_cplx = r->kind == STF_K_COMPLEX;

		if (tag != DW_TAG_base_type) {
			kind_mismatch(v, r, tag, path);
			break;
		}
		uconst(v->dw.dbg, d, DW_AT_encoding, &enc);
		check_size(v, r, d, path);
		check_name(v, r, d, path);
		if (want_float != (enc == DW_ATE_float || enc == DW_ATE_decimal_float) ||
		    want_cplx != (enc == DW_ATE_complex_float)) {
			report(v, path, "kind %s (plugin) vs DWARF encoding 0x%" PRIx64,
			       kind_name(r->kind), enc);
			break;
		}
		if (r->kind != STF_K_INT)
			break;
		if (!!(r->flags & STF_TF_BOOL) != (enc == DW_ATE_boolean))
			report(v, path, "%s (plugin) vs %s (DWARF)",
			       r->flags & STF_TF_BOOL ? "_Bool" : "not _Bool",
			       enc == DW_ATE_boolean ? "boolean" : "not boolean");
		else if (enc != DW_ATE_boolean &&
			 !!(r->flags & STF_TF_SIGNED) != (enc == DW_ATE_signed || enc == DW_ATE_signed_char))
			report(v, path, "%s (plugin) vs %s (DWARF)",
			       r->flags & STF_TF_SIGNED ? "signed" : "unsigned",
			       enc == DW_ATE_signed || enc == DW_ATE_signed_char ? "signed" : "unsigned");
		break;
	}
	case STF_K_ENUM:
		if (tag != DW_TAG_enumeration_type) {
			kind_mismatch(v, r, tag, path);
			break;
		}
		check_name(v, r, d, path);
		if (!(r->flags & STF_TF_INCOMPLETE))
			check_size(v, r, d, path);
		check_members(v, r, d, path);
		break;
	case STF_K_POINTER:
		if (tag != DW_TAG_pointer_type) {
			kind_mismatch(v, r, tag, path);
			break;
		}
		check_size(v, r, d, path);
		{
			char sub[512];
			sub_path(sub, sizeof sub, path, "%s", "*");
			check_type(v, r->target, ref_attr(d, DW_AT_type), sub);
		}
		break;
	case STF_K_STRUCT:
	case STF_K_UNION: {
		int want = r->kind == STF_K_STRUCT ? DW_TAG_structure_type : DW_TAG_union_type;
		int decl = has_attr(d, DW_AT_declaration);

		if (tag != want) {
			kind_mismatch(v, r, tag, path);
			break;
		}
		check_name(v, r, d, path);
		if (decl != !!(r->flags & STF_TF_INCOMPLETE)) {
			report(v, path, "%s (plugin) vs %s (DWARF)",
			       r->flags & STF_TF_INCOMPLETE ? "incomplete" : "complete",
			       decl ? "declaration only" : "complete");
			break;
		}
		if (decl)
			break;
		check_size(v, r, d, path);
		check_members(v, r, d, path);
		break;
	}
	case STF_K_FUNCTION:
		if (tag != DW_TAG_subroutine_type && tag != DW_TAG_subprogram) {
			kind_mismatch(v, r, tag, path);
			break;
		}
		check_function(v, r, d, path);
		break;
	default:
		kind_mismatch(v, r, tag, path);
		break;
	}
out:
	if (d)
		dwarf_dealloc_die(d);
}

/* ------------------------------------------------------------------ */
/* Objects, named types, sites, frames                                   */

/* A function is found by a DIE with code; failing that, by its defining
 * DIE without code: GCC leaves a function that identical code folding
 * (-fipa-icf) merged with another one without an address in DWARF, though
 * its code is in the binary under its own symbol. */
static struct dw_entry *find_var(struct dw_cu *cu, const char *func, const char *name,
				 int tag, uint64_t addr)
{
	struct dw_entry *best = NULL, *codeless = NULL;

	for (size_t i = 0; i < cu->nvars; i++) {
		struct dw_entry *e = &cu->vars[i];
		if (e->tag != tag || strcmp(e->name, name) || strcmp(e->func, func))
			continue;
		if (tag == DW_TAG_subprogram && !e->code) {
			if (!e->decl && !codeless)
				codeless = e;
			continue;
		}
		/* prefer the definition at the address, then any definition */
		if (!best || (e->has_addr && e->addr == addr) ||
		    (e->has_addr && !best->has_addr))
			best = e;
	}
	return best ? best : codeless;
}

static void check_object(struct verify *v, struct dw_cu *cu, uint32_t i)
{
	const struct stf_meta_unit *u = v->u;
	const struct stf_object_rec *o = &u->objects[i];
	const char *func = stf_meta_str(u, o->func), *name = stf_meta_str(u, o->name);
	uint64_t addr = u->addrs[i];
	int tag = o->kind == STF_O_FUNC ? DW_TAG_subprogram : DW_TAG_variable;
	struct dw_entry *e;

	if (o->kind == STF_O_STRING)
		return; /* string literals have no DWARF */
	snprintf(v->context, sizeof v->context, "object %s", stf_meta_str(u, o->id));
	e = find_var(cu, func, name, tag, addr);
	/* An extern object may be defined in another compilation unit. */
	for (size_t c = 0; (!e || !e->has_addr) && *func == '\0' && c < v->dw.ncus; c++) {
		struct dw_entry *o2 = find_var(&v->dw.cus[c], "", name, tag, addr);
		if (o2 && (o2->has_addr || o2->code))
			e = o2;
	}
	if (!e) {
		if (o->kind == STF_O_FUNC && (o->flags & STF_OF_EXTERN))
			return; /* defined in a library: DWARF is elsewhere */
		report(v, "", "not in DWARF (no %s named '%s'%s%s)",
		       o->kind == STF_O_FUNC ? "function" : "variable", name,
		       *func ? " in function " : "", func);
		return;
	}
	e->used = 1;
	v->objects_checked++;
	/* A function split into hot and cold parts has no single address in
	 * DWARF; a TLS variable has no static one. */
	if (e->has_addr && e->addr != addr)
		report(v, "", "address 0x%" PRIx64 " (plugin) vs 0x%" PRIx64 " (DWARF)",
		       addr, e->addr);
	else if (e->tag == DW_TAG_subprogram && !e->code) {
		/* DWARF without code for it: the symbol table says where it is. */
		if (!elfmeta_has_function(v->em, name, addr))
			report(v, "", "at 0x%" PRIx64 " (plugin), but DWARF gives it no code "
			       "and the symbol table no function '%s' there", addr, name);
	} else if (!e->has_addr && !e->code && !(o->flags & STF_OF_TLS))
		report(v, "", "has address 0x%" PRIx64 " (plugin) but no static location in DWARF",
		       addr);
	if (!cu->typed)
		return; /* minimal DWARF (-g1): no types to compare */
	if (o->kind == STF_O_FUNC) {
		/* The subprogram DIE describes the function type; an out-of-line
		 * instance of an inlined function has it in its abstract origin. */
		Dwarf_Off fn = e->die;
		for (int hop = 0; hop < 4; hop++) {
			Dwarf_Die fd = die_at(&v->dw, fn);
			Dwarf_Off origin = fd ? ref_attr(fd, DW_AT_abstract_origin) : 0;

			if (fd)
				dwarf_dealloc_die(fd);
			if (!origin)
				break;
			fn = origin;
		}
		check_type(v, o->type, fn, "type");
	} else {
		check_type(v, o->type, e->type, "type");
	}
}

static struct dw_entry *find_type_entry(struct dw_cu *cu, const char *scoped, int tag)
{
	struct dw_entry *best = NULL;
	const char *func;
	size_t funclen;
	const char *name = scoped_name(scoped, &func, &funclen);

	for (size_t i = 0; i < cu->ntypes; i++) {
		struct dw_entry *e = &cu->types[i];
		if (e->tag != tag || strcmp(e->name, name))
			continue;
		if (funclen && (strlen(e->func) != funclen || strncmp(e->func, func, funclen)))
			continue;
		/* prefer file scope, then complete definitions */
		if (!best || (best->nested && !e->nested) ||
		    (best->nested == e->nested && !best->has_addr && e->has_addr))
			best = e;
	}
	return best;
}

static int dw_tag_of(uint8_t kind)
{
	switch (kind) {
	case STF_K_STRUCT:  return DW_TAG_structure_type;
	case STF_K_UNION:   return DW_TAG_union_type;
	case STF_K_ENUM:    return DW_TAG_enumeration_type;
	case STF_K_TYPEDEF: return DW_TAG_typedef;
	case STF_K_INT:
	case STF_K_FLOAT:   return DW_TAG_base_type;
	default:            return 0;
	}
}

/* Verify a named type not reached from an object: look it up by name. */
static int check_named_type(struct verify *v, struct dw_cu *cu, uint32_t t)
{
	const struct stf_meta_unit *u = v->u;
	const struct stf_type_rec *r = &u->types[t];
	int tag = dw_tag_of(r->kind);
	struct dw_entry *e;
	char name[1024];

	if (!tag || !r->name || r->quals)
		return 0;
	e = find_type_entry(cu, stf_meta_str(u, r->name), tag);
	if (!e)
		return 0; /* unused types are often not emitted in DWARF */
	if (e->has_addr == !!(r->flags & STF_TF_INCOMPLETE) && r->flags & STF_TF_INCOMPLETE)
		return 1; /* a forward declaration next to a complete DWARF type */
	stf_meta_type_name(u, t, name, sizeof name);
	snprintf(v->context, sizeof v->context, "type %s", name);
	check_type(v, t, e->die, "type");
	return 1;
}

/* Update-point locals: variables or parameters of the frame's function. */
static void check_frames(struct verify *v, struct dw_cu *cu)
{
	const struct stf_meta_unit *u = v->u;

	for (uint32_t i = 0; i < u->nframes; i++) {
		const struct stf_frame_rec *f = &u->frames[i];
		const char *func = stf_meta_str(u, f->func);

		snprintf(v->context, sizeof v->context, "frame %s", func);
		for (uint32_t k = 0; k < f->nlocals; k++) {
			const struct stf_local_rec *l = &u->locals[f->locals + k];
			const char *name = stf_meta_str(u, l->name);
			struct dw_entry *e = find_var(cu, func, name, DW_TAG_variable, 0);

			if (!e)
				e = find_var(cu, func, name, DW_TAG_formal_parameter, 0);
			if (!e) {
				report(v, "", "local '%s' is not a variable or parameter of %s in DWARF", name, func);
				continue;
			}
			check_type(v, l->type, e->type, name);
		}
	}
}

static void check_unit(struct verify *v, size_t ui)
{
	const struct stf_meta_unit *u = &v->m->units[ui];
	struct dw_cu *cu;

	v->u = u;
	cu = cu_of_unit(&v->dw, u);
	if (!cu) {
		/* Verified where the binary has -g: a unit compiled without
		 * it has nothing to agree with. */
		printf("%s: unit %zu: not checked: no DWARF compilation unit (compiled "
		       "without -g)\n", stf_meta_str(u, u->blob->path), ui);
		v->units_without_dwarf++;
		return;
	}
	cu->matched = 1;
	v->cu = cu;
	for (uint32_t i = 0; i < u->nobjects; i++)
		check_object(v, cu, i);
	if (!cu->typed) {
		printf("%s: unit %zu: addresses checked, types not: DWARF without types "
		       "(compiled with -g1)\n", stf_meta_str(u, u->blob->path), ui);
		v->units_minimal++;
		return;
	}
	/* Every named type DWARF knows, including those only used by sites. */
	for (uint32_t t = 0; t < u->ntypes; t++)
		check_named_type(v, cu, t);
	for (uint32_t i = 0; i < u->nsites; i++) {
		const struct stf_site_rec *s = &u->sites[i];
		const char *func = stf_meta_str(u, s->func);
		int found = 0;

		snprintf(v->context, sizeof v->context, "site %s", stf_meta_str(u, s->id));
		for (size_t k = 0; k < cu->nvars && !found; k++)
			found = cu->vars[k].tag == DW_TAG_subprogram &&
				!strcmp(cu->vars[k].name, func);
		if (!found) {
			report(v, "", "caller '%s' is not a function in DWARF", func);
			continue;
		}
		if (s->type != STF_NONE && !(v->checked[ui][s->type / 8] & (1u << (s->type % 8))))
			check_named_type(v, cu, stf_meta_strip_typedefs(u, s->type));
		v->sites_checked++;
	}
	check_frames(v, cu);
	/* The reverse direction: variables DWARF has and the plugin missed. */
	for (size_t i = 0; i < cu->nvars; i++) {
		struct dw_entry *e = &cu->vars[i];
		uint32_t idx;
		char id[1024];

		if (e->tag != DW_TAG_variable || !e->has_addr || e->used)
			continue;
		if (*e->func)
			snprintf(id, sizeof id, "%s:%s/%s", stf_meta_str(u, u->blob->file),
				 e->func, e->name);
		else
			snprintf(id, sizeof id, "%s", e->name);
		if (stf_meta_find_object(v->m, id, NULL, &idx) == 0)
			continue;
		snprintf(id, sizeof id, "%s:%s", stf_meta_str(u, u->blob->file), e->name);
		if (!*e->func && stf_meta_find_object(v->m, id, NULL, &idx) == 0)
			continue;
		snprintf(v->context, sizeof v->context, "variable %s%s%s", e->func,
			 *e->func ? "/" : "", e->name);
		report(v, "", "in DWARF at 0x%" PRIx64 " but missing from the metadata", e->addr);
	}
}

int cmd_verify(int argc, char **argv)
{
	struct verify v = { 0 };
	struct elfmeta *em;
	Dwarf_Error e = NULL;
	int rc, status = EXIT_USAGE;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "stf-meta: verify: expected exactly one BINARY\nTry 'stf-meta --help'.\n");
		return EXIT_USAGE;
	}
	em = stf_meta_tool_open(argv[1]);
	if (!em)
		return EXIT_USAGE;
	v.m = elfmeta_meta(em);
	v.em = em;
	rc = dwarf_init_b(elfmeta_fd(em), DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL,
			  &v.dw.dbg, &e);
	if (rc == DW_DLV_NO_ENTRY) {
		fprintf(stderr, "stf-meta: %s: no DWARF (build with -g to verify)\n", argv[1]);
		goto out;
	}
	if (rc != DW_DLV_OK) {
		fprintf(stderr, "stf-meta: %s: unreadable DWARF: %s\n", argv[1], dwarf_errmsg(e));
		goto out;
	}
	if (index_dwarf(&v.dw))
		goto out;
	if (!v.dw.ncus) {
		fprintf(stderr, "stf-meta: %s: no DWARF (build with -g to verify)\n", argv[1]);
		goto out;
	}
	v.checked = calloc(v.m->nunits + 1, sizeof *v.checked);
	if (!v.checked)
		goto out;
	for (size_t i = 0; i < v.m->nunits; i++) {
		v.checked[i] = calloc(v.m->units[i].ntypes / 8 + 1, 1);
		if (!v.checked[i])
			goto out;
	}
	for (size_t i = 0; i < v.m->nunits; i++)
		check_unit(&v, i);
	if (v.units_without_dwarf == v.m->nunits) {
		fprintf(stderr, "stf-meta: %s: no DWARF for any unit (build with -g to verify)\n",
			argv[1]);
		goto out;
	}
	if (v.problems) {
		printf("verify: %zu disagreements between the metadata and DWARF\n", v.problems);
		status = EXIT_DIFF;
	} else {
		printf("verify: %zu units, %zu objects, %zu types, %zu sites checked: OK\n",
		       v.m->nunits, v.objects_checked, v.types_checked, v.sites_checked);
		status = EXIT_SAME;
	}
out:
	for (size_t i = 0; v.checked && i < v.m->nunits; i++)
		free(v.checked[i]);
	free(v.checked);
	for (size_t i = 0; i < v.dw.ncus; i++) {
		free(v.dw.cus[i].vars);
		free(v.dw.cus[i].types);
	}
	free(v.dw.cus);
	free(v.memo);
	free(v.memo_used);
	if (v.dw.dbg)
		dwarf_finish(v.dw.dbg, &e);
	elfmeta_close(em);
	return status;
}
