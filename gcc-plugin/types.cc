/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * types.cc - GCC types to stf_type_rec records.
 *
 * A type is first reduced to a "shape" (kind, name, size, flags, target,
 * members) from which both its key and its record are made, so the two
 * can never disagree.  Records are deduplicated by key (a hash of the
 * shape, qualifiers and annotations included): equal types share one
 * record in a unit.  Recursion through self-referential structs stops at
 * pointers to named structs and unions, whose pointee contributes its kind
 * and name only.  The structural hash of a record (stf_type_rec.hash) is
 * left to readers, which compute it from the records alike
 * (libstf/meta/hash.c).
 */
#include "stf-plugin.h"
#include "types.h"
#include "attributes.h"

namespace {

struct member_shape {
	std::string name;
	tree type; /* NULL for enumerators */
	int64_t offset;
	uint16_t bit_offset, bit_size;
	uint32_t flags;
};

struct shape {
	int kind = 0;
	std::string name;
	unsigned flags = 0;
	uint64_t size = 0;
	uint32_t align = 0;
	uint64_t count = 0;
	tree target = NULL_TREE;
	std::vector<member_shape> members;
};

const uint64_t FNV_OFFSET = 0xcbf29ce484222325ULL;

uint64_t fnv_mix (uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = (const unsigned char *) p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t fnv_u64 (uint64_t h, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char) (v >> (8 * i));
	return fnv_mix (h, b, 8);
}

uint64_t fnv_str (uint64_t h, const std::string &s)
{
	return fnv_mix (h, s.c_str (), s.size () + 1);
}

int kind_of (const_tree t)
{
	if (typedef_variant_p (t))
		return STF_K_TYPEDEF;
	switch (TREE_CODE (t)) {
	case VOID_TYPE:       return STF_K_VOID;
	case INTEGER_TYPE:
	case BOOLEAN_TYPE:    return STF_K_INT;
	case REAL_TYPE:       return STF_K_FLOAT;
	case ENUMERAL_TYPE:   return STF_K_ENUM;
	case POINTER_TYPE:
	case REFERENCE_TYPE:  return STF_K_POINTER;
	case ARRAY_TYPE:      return STF_K_ARRAY;
	case RECORD_TYPE:     return STF_K_STRUCT;
	case UNION_TYPE:
	case QUAL_UNION_TYPE: return STF_K_UNION;
	case FUNCTION_TYPE:   return STF_K_FUNCTION;
	case COMPLEX_TYPE:    return STF_K_COMPLEX;
	case VECTOR_TYPE:     return STF_K_VECTOR;
	default:              return 0;
	}
}

/* A name declared inside a function carries the function's scope,
 * "kvd.c:handle/" + name like function-local statics: two functions of a
 * file may declare different types of one tag (struct ncache { uid_t uid; }
 * in one, { gid_t gid; } in another), and types are matched by name. */
std::string scoped (const_tree decl, const std::string &name)
{
	tree fn = decl ? decl_function_context (decl) : NULL_TREE;
	if (!fn || name.empty ())
		return name;
	return std::string (stf_unit_file ()) + ":" + stf_function_name (fn) + "/" + name;
}

/* Tag of a struct/union/enum, typedef name or primitive name; "" if none. */
std::string name_of (const_tree t, int kind)
{
	if (kind == STF_K_TYPEDEF)
		return scoped (TYPE_NAME (t), stf_decl_name (TYPE_NAME (t)));
	const_tree main = TYPE_MAIN_VARIANT (t);
	tree n = TYPE_NAME (main);
	if (n && TREE_CODE (n) == TYPE_DECL)
		n = DECL_NAME (n);
	if (n && TREE_CODE (n) == IDENTIFIER_NODE)
		return scoped (TYPE_STUB_DECL (main), IDENTIFIER_POINTER (n));
	return kind == STF_K_VOID ? "void" : "";
}

/* Is struct/union t declared by a system header (<event2/event_struct.h>,
 * <sys/time.h>)?  Its layout is the library's, not the program's. */
static bool declared_in_system_header (const_tree t)
{
	tree stub = TYPE_STUB_DECL (TYPE_MAIN_VARIANT (t));
	return stub && DECL_P (stub) && DECL_IN_SYSTEM_HEADER (stub);
}

bool is_char (const_tree t)
{
	const_tree m = TYPE_MAIN_VARIANT (t);
	return m == char_type_node || m == signed_char_type_node
	       || m == unsigned_char_type_node;
}

void struct_members (const_tree t, shape &s)
{
	for (tree f = TYPE_FIELDS (t); f; f = DECL_CHAIN (f)) {
		if (TREE_CODE (f) != FIELD_DECL)
			continue;
		bool bitfield = DECL_BIT_FIELD_TYPE (f) != NULL_TREE;
		/* Unnamed bit-fields are padding: nothing to transfer. */
		if (bitfield && !DECL_NAME (f))
			continue;
		if (!tree_fits_shwi_p (bit_position (f)))
			continue;
		HOST_WIDE_INT bitpos = int_bit_position (f);
		member_shape m;
		m.name = stf_decl_name (f);
		m.type = bitfield ? DECL_BIT_FIELD_TYPE (f) : TREE_TYPE (f);
		m.offset = bitpos / 8;
		m.bit_offset = bitfield ? (uint16_t) (bitpos % 8) : 0;
		m.bit_size = bitfield && DECL_SIZE (f) && tree_fits_uhwi_p (DECL_SIZE (f))
			     ? (uint16_t) tree_to_uhwi (DECL_SIZE (f)) : 0;
		m.flags = stf_decl_xfer (f);
		s.members.push_back (m);
	}
}

void enum_members (const_tree t, shape &s)
{
	for (tree v = TYPE_VALUES (t); v; v = TREE_CHAIN (v)) {
		tree val = TREE_VALUE (v);
		if (TREE_CODE (val) == CONST_DECL)
			val = DECL_INITIAL (val);
		if (!val || TREE_CODE (val) != INTEGER_CST)
			continue;
		member_shape m;
		tree name = TREE_PURPOSE (v);
		m.name = name && TREE_CODE (name) == IDENTIFIER_NODE
			 ? IDENTIFIER_POINTER (name) : "";
		m.type = NULL_TREE;
		m.offset = tree_fits_shwi_p (val) ? tree_to_shwi (val)
			   : (int64_t) TREE_INT_CST_LOW (val);
		m.bit_offset = m.bit_size = 0;
		m.flags = 0;
		s.members.push_back (m);
	}
}

void function_params (const_tree t, shape &s)
{
	for (tree a = TYPE_ARG_TYPES (t); a && a != void_list_node; a = TREE_CHAIN (a)) {
		member_shape m = { "", TREE_VALUE (a), 0, 0, 0, 0 };
		s.members.push_back (m);
	}
	if (stdarg_p (t))
		s.flags |= STF_TF_VARIADIC;
}

void array_shape (const_tree t, shape &s)
{
	tree dom = TYPE_DOMAIN (t);
	s.target = TREE_TYPE (t);
	if (dom && TYPE_MAX_VALUE (dom) && tree_fits_shwi_p (TYPE_MAX_VALUE (dom))
	    && (!TYPE_MIN_VALUE (dom) || tree_fits_shwi_p (TYPE_MIN_VALUE (dom)))) {
		HOST_WIDE_INT lo = TYPE_MIN_VALUE (dom) ? tree_to_shwi (TYPE_MIN_VALUE (dom)) : 0;
		HOST_WIDE_INT n = tree_to_shwi (TYPE_MAX_VALUE (dom)) - lo + 1;
		if (n > 0)
			s.count = n;
		else
			s.flags |= STF_TF_FLEXIBLE; /* [0] */
	} else if (!dom || !TYPE_MAX_VALUE (dom)) {
		s.flags |= STF_TF_FLEXIBLE; /* [] */
	}
	/* Otherwise a variable length array: length unknown, count 0. */
}

/* Reduce t to its shape; false if the format has no kind for it. */
bool shape_of (tree t, shape &s)
{
	s.kind = kind_of (t);
	if (!s.kind)
		return false;
	s.name = name_of (t, s.kind);
	if (s.kind != STF_K_FUNCTION && s.kind != STF_K_VOID && COMPLETE_TYPE_P (t)) {
		if (TYPE_SIZE_UNIT (t) && tree_fits_uhwi_p (TYPE_SIZE_UNIT (t)))
			s.size = tree_to_uhwi (TYPE_SIZE_UNIT (t));
		s.align = TYPE_ALIGN_UNIT (t);
	}
	switch (s.kind) {
	case STF_K_TYPEDEF:
		s.target = DECL_ORIGINAL_TYPE (TYPE_NAME (t));
		if (stf_type_opaque (t))
			s.flags |= STF_TF_OPAQUE;
		break;
	case STF_K_INT:
		if (!TYPE_UNSIGNED (t))
			s.flags |= STF_TF_SIGNED;
		if (TREE_CODE (t) == BOOLEAN_TYPE)
			s.flags |= STF_TF_BOOL;
		if (is_char (t))
			s.flags |= STF_TF_CHAR;
		break;
	case STF_K_ENUM:
		if (!TYPE_UNSIGNED (t))
			s.flags |= STF_TF_SIGNED;
		s.target = lang_hooks.types.type_for_size (TYPE_PRECISION (t),
							   TYPE_UNSIGNED (t));
		if (COMPLETE_TYPE_P (t))
			enum_members (t, s);
		else
			s.flags |= STF_TF_INCOMPLETE;
		break;
	case STF_K_POINTER:
	case STF_K_COMPLEX:
		s.target = TREE_TYPE (t);
		break;
	case STF_K_VECTOR:
		s.target = TREE_TYPE (t);
		s.count = TYPE_VECTOR_SUBPARTS (t).to_constant ();
		break;
	case STF_K_ARRAY:
		array_shape (t, s);
		break;
	case STF_K_STRUCT:
	case STF_K_UNION:
		if (!COMPLETE_TYPE_P (t)) {
			s.flags |= STF_TF_INCOMPLETE;
			break;
		}
		struct_members (t, s);
		if (stf_type_opaque (t))
			s.flags |= STF_TF_OPAQUE;
		if (s.kind == STF_K_UNION && stf_union_ambiguous (t))
			s.flags |= STF_TF_AMBIGUOUS;
		if (s.kind == STF_K_UNION && stf_union_of_functions (t))
			s.flags |= STF_TF_FUNCTIONS;
		if (declared_in_system_header (t))
			s.flags |= STF_TF_SYSTEM;
		break;
	case STF_K_FUNCTION:
		s.target = TREE_TYPE (t);
		function_params (t, s);
		break;
	}
	return true;
}

unsigned quals_of (const_tree t)
{
	unsigned q = 0;
	if (TYPE_READONLY (t))
		q |= STF_Q_CONST;
	if (TYPE_VOLATILE (t))
		q |= STF_Q_VOLATILE;
	return q;
}

} /* namespace */

/* Key of a pointer's target: named structs and unions by kind and name
 * only, which is what makes recursive types hashable. */
uint64_t stf_types::pointee_key (tree t, int depth)
{
	if (!t)
		return FNV_OFFSET;
	int kind = kind_of (t);
	if (kind == STF_K_TYPEDEF) {
		uint64_t h = fnv_u64 (FNV_OFFSET, kind);
		h = fnv_str (h, name_of (t, kind));
		h = fnv_u64 (h, quals_of (t));
		return fnv_u64 (h, pointee_key (DECL_ORIGINAL_TYPE (TYPE_NAME (t)), depth + 1));
	}
	if ((kind == STF_K_STRUCT || kind == STF_K_UNION) && !name_of (t, kind).empty ()) {
		uint64_t h = fnv_u64 (FNV_OFFSET, kind);
		h = fnv_str (h, name_of (t, kind));
		return fnv_u64 (h, quals_of (t));
	}
	return key (t, depth + 1);
}

/* Hash of everything a record of t holds, qualifiers and annotations
 * included, so that equal keys can share one record. */
uint64_t stf_types::key (tree t, int depth)
{
	if (!t)
		return FNV_OFFSET;
	auto it = keys.find (t);
	if (it != keys.end ())
		return it->second;
	shape s;
	if (depth > 64 || !shape_of (t, s))
		return fnv_str (FNV_OFFSET, "?");
	uint64_t h = fnv_u64 (FNV_OFFSET, s.kind);
	h = fnv_str (h, s.name);
	h = fnv_u64 (h, s.size);
	h = fnv_u64 (h, s.count);
	h = fnv_u64 (h, ((uint64_t) quals_of (t) << 32) | s.flags);
	if (s.target)
		h = fnv_u64 (h, s.kind == STF_K_POINTER ? pointee_key (s.target, depth)
						       : key (s.target, depth + 1));
	for (const member_shape &m : s.members) {
		h = fnv_str (h, m.name);
		h = fnv_u64 (h, (uint64_t) m.offset);
		h = fnv_u64 (h, ((uint64_t) m.bit_offset << 16) | m.bit_size);
		h = fnv_u64 (h, m.flags);
		if (m.type)
			h = fnv_u64 (h, key (m.type, depth + 1));
	}
	keys[t] = h;
	return h;
}

/* The typedefs naming anonymous structs and unions at file scope
 * (`typedef struct { ... } foo_t;`), by the struct.  Code using foo_t is
 * recorded as using the struct (its main variant), which has no name:
 * the typedef recorded with it is what the new version's type is found
 * by (libstf/transfer/xfer.c, stf__dst_type_named). */
static std::map<tree, tree> naming_typedefs;

void stf_note_naming_typedef (void *gcc_data, void *)
{
	tree decl = (tree) gcc_data;
	if (!decl || TREE_CODE (decl) != TYPE_DECL || !DECL_ORIGINAL_TYPE (decl)
	    || (DECL_CONTEXT (decl) && TREE_CODE (DECL_CONTEXT (decl)) != TRANSLATION_UNIT_DECL))
		return;
	tree t = DECL_ORIGINAL_TYPE (decl);
	if ((TREE_CODE (t) != RECORD_TYPE && TREE_CODE (t) != UNION_TYPE)
	    || t != TYPE_MAIN_VARIANT (t) || TYPE_NAME (t) || naming_typedefs.count (t))
		return;
	stf_keep (t);
	stf_keep (TREE_TYPE (decl));
	naming_typedefs[t] = TREE_TYPE (decl);
}

uint32_t stf_types::index (tree t)
{
	if (!t || t == error_mark_node || !TYPE_P (t))
		return STF_NONE;
	auto it = by_tree.find (t);
	if (it != by_tree.end ())
		return it->second;
	if (!kind_of (t)) {
		stf_verbose (UNKNOWN_LOCATION, "stf: type %qT has no metadata kind; "
			     "recorded as unknown", t);
		by_tree[t] = STF_NONE;
		return STF_NONE;
	}
	/* Equal records need equal qualifiers at every level, not only
	 * equal structure. */
	uint64_t k = key (t, 0);
	auto same = by_key.find (k);
	if (same != by_key.end ()) {
		by_tree[t] = same->second;
		return same->second;
	}
	uint32_t idx = (uint32_t) blob.types.size ();
	stf_type_rec rec;
	memset (&rec, 0, sizeof rec);
	blob.types.push_back (rec);
	by_key[k] = idx;
	by_tree[t] = idx;
	fill (idx, t);
	auto named = naming_typedefs.find (t);
	if (named != naming_typedefs.end ())
		index (named->second);
	return idx;
}

void stf_types::fill (uint32_t idx, tree t)
{
	shape s;
	shape_of (t, s);
	uint32_t target = index (s.target); /* may grow blob.types */

	std::vector<stf_member_rec> mems;
	for (const member_shape &m : s.members) {
		stf_member_rec r;
		memset (&r, 0, sizeof r);
		r.name = blob.str (m.name);
		r.type = m.type ? index (m.type) : STF_NONE;
		r.offset = m.offset;
		r.bit_offset = m.bit_offset;
		r.bit_size = m.bit_size;
		r.flags = m.flags;
		mems.push_back (r);
	}

	stf_type_rec &rec = blob.types[idx];
	rec.name = blob.str (s.name);
	rec.kind = (uint8_t) s.kind;
	rec.flags = (uint16_t) s.flags;
	rec.quals = (uint8_t) quals_of (t);
	rec.target = target;
	rec.align = s.align;
	rec.size = s.size;
	rec.count = s.count;
	rec.members = (uint32_t) blob.members.size ();
	rec.nmembers = (uint32_t) mems.size ();
	rec.hash = 0; /* readers compute it from the records: it does not compress */
	blob.members.insert (blob.members.end (), mems.begin (), mems.end ());
}

/* ------------------------------------------------------------------ */
/* Types completed in the main source file.
 *
 * Other units may see such a type only as an incomplete tag ("struct hash"
 * behind a pointer); the transfer then completes it by tag from the one
 * unit that defines it, which must therefore carry the definition even if
 * nothing of its own is of that type.  Types defined in headers are left
 * to the units that use them, which keeps the metadata small; types
 * defined inside functions cannot be named by another unit. */

static std::vector<tree> main_file_types;
/* Every tagged struct completed at file scope, wherever (variant_of). */
static std::vector<tree> file_scope_structs;

/* Whether a location is in the main source file, macro expansions counted
 * where they are expanded (not where the macro is defined). */
static bool in_main_file (location_t loc)
{
	const line_map_ordinary *map = NULL;
	if (loc <= BUILTINS_LOCATION)
		return false;
	linemap_resolve_location (line_table, loc, LRK_MACRO_EXPANSION_POINT, &map);
	return map && MAIN_FILE_P (map);
}

void stf_note_main_file_type (void *gcc_data, void *)
{
	/* Only recorded types: they are kept alive, so their addresses
	 * cannot be reused by later types. */
	static std::set<tree> seen;
	tree t = (tree) gcc_data;

	/* Called for every struct or union specifier, uses included. */
	if (!t || t == error_mark_node || current_function_decl
	    || (TREE_CODE (t) != RECORD_TYPE && TREE_CODE (t) != UNION_TYPE)
	    || !COMPLETE_TYPE_P (t))
		return;
	t = TYPE_MAIN_VARIANT (t);
	/* Only a tag lets another unit refer to the type while incomplete;
	 * anonymous types are reached through the types that hold them. */
	if (seen.count (t) || name_of (t, kind_of (t)).empty ())
		return;
	/* The first field is where the type was completed; the tag may
	 * have been declared earlier, in a header.  A struct without
	 * fields holds nothing to transfer. */
	tree f = TYPE_FIELDS (t);
	while (f && TREE_CODE (f) != FIELD_DECL)
		f = DECL_CHAIN (f);
	if (!f)
		return;
	seen.insert (t);
	stf_keep (t);
	if (TREE_CODE (t) == RECORD_TYPE)
		file_scope_structs.push_back (t);
	if (in_main_file (DECL_SOURCE_LOCATION (f)))
		main_file_types.push_back (t);
}

bool stf_types::has_record (tree t) const
{
	auto it = by_tree.find (TYPE_MAIN_VARIANT (t));
	return it != by_tree.end () && it->second != STF_NONE;
}

static tree next_field (tree f)
{
	while (f && TREE_CODE (f) != FIELD_DECL)
		f = DECL_CHAIN (f);
	return f;
}

/* Struct v is a shorter variant of struct t: its leading fields are t's
 * (names, types, positions), at least two of them or all of its own
 * (dnsmasq's serv_local and serv_addr4 of struct server).  A block
 * allocated as v and held by `t *` pointers is told by its size at the
 * transfer (libstf/transfer/variants.c), which needs v's record although
 * only casts use it. */
static bool variant_of (tree v, tree t)
{
	if (v == t || !tree_fits_uhwi_p (TYPE_SIZE_UNIT (v)) || !tree_fits_uhwi_p (TYPE_SIZE_UNIT (t)) ||
	    tree_to_uhwi (TYPE_SIZE_UNIT (v)) >= tree_to_uhwi (TYPE_SIZE_UNIT (t)))
		return false;
	tree a = next_field (TYPE_FIELDS (v)), b = next_field (TYPE_FIELDS (t));
	unsigned shared = 0;
	for (; a && b; a = next_field (DECL_CHAIN (a)), b = next_field (DECL_CHAIN (b)), shared++)
		if (DECL_NAME (a) != DECL_NAME (b) || !DECL_NAME (a) ||
		    TYPE_MAIN_VARIANT (TREE_TYPE (a)) != TYPE_MAIN_VARIANT (TREE_TYPE (b)) ||
		    !tree_fits_uhwi_p (bit_position (a)) || !tree_fits_uhwi_p (bit_position (b)) ||
		    tree_to_uhwi (bit_position (a)) != tree_to_uhwi (bit_position (b)) ||
		    DECL_BIT_FIELD (a) != DECL_BIT_FIELD (b))
			break;
	return shared >= 2 || (shared && !a);
}

void stf_add_main_file_types (stf_types &types)
{
	for (tree t : main_file_types)
		types.index (t);
	std::vector<tree> recorded;
	for (tree t : file_scope_structs)
		if (types.has_record (t))
			recorded.push_back (t);
	for (tree v : file_scope_structs)
		if (!types.has_record (v))
			for (tree t : recorded)
				if (variant_of (v, t)) {
					types.index (v);
					break;
				}
}
