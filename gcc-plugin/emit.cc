/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * emit.cc - writing a unit's metadata into the assembler output.
 *
 * Everything is written at the end of the translation unit, when GCC has
 * written all code and data: only then is it known which objects exist and
 * which sites survived.  The unit header goes to the writable section
 * stf_units (its address words are relocations, so PIE works), the blob to
 * the read-only section stf_blob; both are SHF_GNU_RETAIN ("R") so
 * --gc-sections keeps them.  The unit header and the site id array are
 * local symbols named with a '.', which no C identifier can collide with;
 * code referred to them through local external declarations.
 */
#include "stf-plugin.h"
#include "emit.h"
#include "inline-notes.h"
#include "types.h"
#include "objects.h"
#include "sites.h"
#include "member-uses.h"
#include "member-offsets.h"
#include "addr-keys.h"
#include "byte-reads.h"
#include "update-points.h"

#include <zlib.h>

uint32_t stf_blob::str (const std::string &s)
{
	if (s.empty ())
		return 0;
	auto it = string_ref.find (s);
	if (it != string_ref.end ())
		return it->second;
	uint32_t ref = (uint32_t) strings.size ();
	strings.push_back (s);
	string_ref[s] = ref;
	return ref;
}

/* The strings of refs laid out after base bytes of a string table, each
 * stored once and a string that ends another ("table" in "kvd.c:table")
 * stored as that string's tail; (*off)[ref] receives each one's offset. */
static std::string layout_strings (const std::vector<std::string> &strings,
				   std::vector<uint32_t> refs, uint32_t base,
				   std::vector<uint32_t> *off)
{
	/* Reversed strings in order: a tail comes right before the
	 * strings it ends, the longest last. */
	std::sort (refs.begin (), refs.end (), [&] (uint32_t a, uint32_t b) {
		return std::lexicographical_compare (strings[a].rbegin (), strings[a].rend (),
						     strings[b].rbegin (), strings[b].rend ());
	});
	std::string tab;
	for (size_t i = refs.size (); i-- > 0;) {
		const std::string &s = strings[refs[i]];
		if (i + 1 < refs.size ()) {
			const std::string &t = strings[refs[i + 1]];
			if (t.size () >= s.size ()
			    && !t.compare (t.size () - s.size (), s.size (), s)) {
				(*off)[refs[i]] = (*off)[refs[i + 1]]
						  + (uint32_t) (t.size () - s.size ());
				continue;
			}
		}
		(*off)[refs[i]] = base + (uint32_t) tab.size ();
		tab.append (s);
		tab.push_back ('\0');
	}
	return tab;
}

/* The string table: first the strings a running program reads (the
 * sites' IDs: hot[ref] is set), then the others; *hot_size
 * receives the length of the first part. */
static std::string layout_string_table (const std::vector<std::string> &strings,
					const std::vector<bool> &hot,
					std::vector<uint32_t> *off, uint32_t *hot_size)
{
	std::vector<uint32_t> first, rest;
	for (uint32_t r = 1; r < strings.size (); r++)
		(hot[r] ? first : rest).push_back (r);
	off->assign (strings.size (), 0);
	std::string tab (1, '\0');
	tab += layout_strings (strings, first, 1, off);
	*hot_size = (uint32_t) tab.size ();
	tab += layout_strings (strings, rest, *hot_size, off);
	return tab;
}

/* Turn the string references of every record into offsets. */
static void resolve_strings (stf_blob &blob, stf_blob_hdr &h, const std::vector<uint32_t> &off)
{
	for (stf_type_rec &r : blob.types)
		r.name = off[r.name];
	for (stf_member_rec &r : blob.members)
		r.name = off[r.name];
	for (stf_object_rec &r : blob.objects) {
		r.id = off[r.id];
		r.name = off[r.name];
		r.func = off[r.func];
	}
	for (stf_site_rec &r : blob.sites) {
		r.id = off[r.id];
		r.func = off[r.func];
		r.allocator = off[r.allocator];
		r.dest = off[r.dest];
		r.slab = off[r.slab];
		r.slab_path = off[r.slab_path];
		r.counter = off[r.counter];
	}
	for (stf_frame_rec &r : blob.frames)
		r.func = off[r.func];
	for (stf_local_rec &r : blob.locals)
		r.name = off[r.name];
	for (stf_use_rec &r : blob.uses) {
		r.member = off[r.member];
		r.via = off[r.via];
	}
	h.file = off[h.file];
	h.path = off[h.path];
	h.producer = off[h.producer];
}

tree stf_extern_var (const char *name, tree type, bool public_p)
{
	tree d = build_decl (BUILTINS_LOCATION, VAR_DECL, get_identifier (name), type);
	TREE_PUBLIC (d) = public_p;
	DECL_EXTERNAL (d) = 1;
	DECL_ARTIFICIAL (d) = 1;
	DECL_IGNORED_P (d) = 1;
	TREE_USED (d) = 1;
	TREE_ADDRESSABLE (d) = 1;
	stf_keep (d);
	return d;
}

tree stf_unit_decl (void)
{
	static tree decl;
	if (!decl)
		decl = stf_extern_var ("stf.unit", build_array_type (uint64_type_node, NULL_TREE),
				       false);
	return decl;
}

tree stf_site_ids_decl (void)
{
	static tree decl;
	if (!decl)
		decl = stf_extern_var ("stf.site_ids",
				       build_array_type (uint32_type_node, NULL_TREE), false);
	return decl;
}

/* The unit's own declaration of the pending-site cell, if it has one (the
 * runtime's own sources do). */
static varpool_node *own_alloc_site (void)
{
	varpool_node *vnode;
	FOR_EACH_VARIABLE (vnode)
		if (DECL_NAME (vnode->decl)
		    && !strcmp (stf_decl_name (vnode->decl), STF_ALLOC_SITE_VAR)
		    && TREE_PUBLIC (vnode->decl))
			return vnode;
	return NULL;
}

tree stf_alloc_site_decl (void)
{
	static tree decl;
	if (!decl) {
		varpool_node *own = own_alloc_site ();
		if (own)
			return decl = own->decl;
		decl = build_decl (BUILTINS_LOCATION, VAR_DECL,
				   get_identifier (STF_ALLOC_SITE_VAR),
				   build_pointer_type (uint32_type_node));
		TREE_PUBLIC (decl) = 1;
		DECL_EXTERNAL (decl) = 1;
		DECL_ARTIFICIAL (decl) = 1;
		DECL_IGNORED_P (decl) = 1;
		TREE_USED (decl) = 1;
		stf_keep (decl);
	}
	/* The TLS model lives in the symbol table node, which GCC may drop
	 * between functions while the decl is unreferenced. */
	if (DECL_TLS_MODEL (decl) == TLS_MODEL_NONE)
		set_decl_tls_model (decl, decl_default_tls_model (decl));
	return decl;
}

/* ------------------------------------------------------------------ */

static void put (std::vector<unsigned char> &out, const void *p, size_t n)
{
	const unsigned char *b = (const unsigned char *) p;
	out.insert (out.end (), b, b + n);
}

static void align8 (std::vector<unsigned char> &out)
{
	while (out.size () % 8)
		out.push_back (0);
}

template <typename T>
static stf_table put_table (std::vector<unsigned char> &out, const std::vector<T> &recs)
{
	align8 (out);
	stf_table t = { (uint32_t) out.size (), (uint32_t) recs.size () };
	if (!recs.empty ())
		put (out, recs.data (), recs.size () * sizeof (T));
	return t;
}

static std::string producer (void)
{
	std::string p = std::string ("GNU C ") + version_string + " stf.so -O"
			+ std::to_string (optimize);
	if (flag_pic)
		p += flag_pie ? " -fPIE" : " -fPIC";
	/* Nothing about -g: code and metadata must not depend on it
	 * (-fcompare-debug). */
	return p;
}

/* Which string references the stored part of the blob must hold. */
static std::vector<bool> hot_strings (const stf_blob &blob)
{
	std::vector<bool> hot (blob.strings.size (), false);
	for (const stf_site_rec &r : blob.sites)
		hot[r.id] = true;
	return hot;
}

/* Bytes [from, end) of out as one raw deflate stream, replacing them if
 * that is shorter; returns how many bytes stay stored as they are. */
static uint32_t deflate_tail (std::vector<unsigned char> &out, size_t from)
{
	z_stream z;
	memset (&z, 0, sizeof z);
	if (deflateInit2 (&z, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 9,
			  Z_DEFAULT_STRATEGY) != Z_OK)
		return (uint32_t) out.size ();
	size_t n = out.size () - from;
	std::vector<unsigned char> packed (deflateBound (&z, n));
	z.next_in = out.data () + from;
	z.avail_in = (uInt) n;
	z.next_out = packed.data ();
	z.avail_out = (uInt) packed.size ();
	int rc = deflate (&z, Z_FINISH);
	size_t packed_size = z.total_out;
	deflateEnd (&z);
	if (rc != Z_STREAM_END || packed_size >= n)
		return (uint32_t) out.size ();
	out.resize (from);
	out.insert (out.end (), packed.begin (), packed.begin () + packed_size);
	return (uint32_t) from;
}

/* The blob: its tables laid out as stf-format.h says, what a running
 * program does not read deflated. */
static std::vector<unsigned char> serialize (stf_blob &blob)
{
	stf_blob_hdr h;
	memset (&h, 0, sizeof h);
	h.magic = STF_BLOB_MAGIC;
	h.version = STF_FORMAT_VERSION;
	h.flags = (optimize > 0 ? STF_BF_OPTIMIZED : 0) | (flag_pic ? STF_BF_PIC : 0);
	h.file = blob.str (stf_unit_file ());
	h.path = blob.str (main_input_filename ? main_input_filename : "");
	h.producer = blob.str (producer ());
	std::vector<uint32_t> offsets;
	uint32_t hot_size;
	std::string strtab = layout_string_table (blob.strings, hot_strings (blob),
						  &offsets, &hot_size);
	resolve_strings (blob, h, offsets);
	std::vector<uint32_t> site_ids;
	for (const stf_site_rec &r : blob.sites)
		site_ids.push_back (r.id);

	std::vector<unsigned char> out (sizeof h);
	h.frames = put_table (out, blob.frames);
	h.site_ids = put_table (out, site_ids);
	align8 (out);
	h.strtab.off = (uint32_t) out.size ();
	h.strtab.count = (uint32_t) strtab.size ();
	put (out, strtab.data (), strtab.size ());
	h.sites = put_table (out, blob.sites);
	h.types = put_table (out, blob.types);
	h.members = put_table (out, blob.members);
	h.objects = put_table (out, blob.objects);
	h.locals = put_table (out, blob.locals);
	h.uses = put_table (out, blob.uses);
	align8 (out);
	h.size = (uint32_t) out.size ();
	memcpy (out.data (), &h, sizeof h);
	h.stored = stf_opts.deflate ? deflate_tail (out, h.strtab.off + hot_size) : h.size;
	memcpy (out.data (), &h, sizeof h);
	return out;
}

/* The blob as .ascii lines, escaping what gas would not take literally. */
static void write_bytes (FILE *f, const std::vector<unsigned char> &bytes)
{
	for (size_t i = 0; i < bytes.size (); i += 64) {
		fputs ("\t.ascii \"", f);
		for (size_t j = i; j < bytes.size () && j < i + 64; j++) {
			unsigned char c = bytes[j];
			if (c == '"' || c == '\\')
				fprintf (f, "\\%c", c);
			else if (c >= 0x20 && c < 0x7f)
				fputc (c, f);
			else
				fprintf (f, "\\%03o", c);
		}
		fputs ("\"\n", f);
	}
}

/* addrs[i] of the unit header: the distance to object i from there (or
 * its offset from the thread pointer, or 0), which the linker computes.
 * In a shared library a global symbol may be interposed and the linker
 * only computes distances to what cannot be: a local alias names this
 * unit's definition. */
static void write_object_addr (FILE *f, const std::string &sym, size_t i)
{
	if (sym == "0" || sym.find ('@') != std::string::npos) {
		fprintf (f, "\t.long %s\n", sym.c_str ());
		return;
	}
	if (flag_pic && !flag_pie && sym.compare (0, 2, ".L")) {
		fprintf (f, "\t.set .Lstf_obj%zu, %s\n\t.long .Lstf_obj%zu - .\n",
			 i, sym.c_str (), i);
		return;
	}
	fprintf (f, "\t.long %s - .\n", sym.c_str ());
}

static std::string decl_asm_name (tree decl)
{
	return targetm.strip_name_encoding (IDENTIFIER_POINTER (DECL_ASSEMBLER_NAME (decl)));
}

void stf_emit_unit (void *, void *)
{
	if (!asm_out_file || seen_error ())
		return;
	if (!stf_active ()) {
		stf_verbose (UNKNOWN_LOCATION, "stf: no metadata for slim LTO objects "
			     "(use %<-ffat-lto-objects%> and link with %<-fno-lto%>) "
			     "or targets without 64-bit pointers");
		return;
	}

	stf_blob blob;
	stf_types types (blob);
	stf_collect_objects (blob, types);
	stf_resolve_member_uses ();
	stf_collect_sites (blob, types);
	stf_collect_member_uses (blob, types);
	stf_collect_member_offsets (blob, types);
	stf_collect_addr_keys (blob, types);
	stf_collect_byte_reads (blob, types);
	stf_collect_frames (blob, types);
	stf_add_main_file_types (types);
	std::vector<unsigned char> bytes = serialize (blob);

	FILE *f = asm_out_file;
	std::string unit = decl_asm_name (stf_unit_decl ());
	std::string ids = decl_asm_name (stf_site_ids_decl ());
	unsigned nsites = stf_site_count ();

	fprintf (f, "\n\t/* ttst metadata (stf.so) */\n");
	fprintf (f, "\t.pushsection stf_blob,\"aR\",@progbits\n\t.balign 8\n.Lstf_blob:\n");
	write_bytes (f, bytes);
	fprintf (f, "\t.popsection\n");

	stf_emit_unit_caches (f);
	if (nsites)
		fprintf (f, "\t.pushsection .bss.stf_site_ids,\"aw\",@nobits\n"
			 "\t.balign 4\n\t.type %s, @object\n\t.size %s, %u\n%s:\n"
			 "\t.zero %u\n\t.popsection\n",
			 ids.c_str (), ids.c_str (), 4 * nsites, ids.c_str (), 4 * nsites);

	size_t nobjects = blob.objects.size ();
	fprintf (f, "\t.pushsection %s,\"aR\",@progbits\n\t.balign 8\n"
		 "\t.type %s, @object\n\t.size %s, %llu\n%s:\n",
		 STF_UNITS_SECTION, unit.c_str (), unit.c_str (),
		 (unsigned long long) stf_unit_size (nobjects), unit.c_str ());
	fprintf (f, "\t.quad %#llx\n\t.quad %u\n\t.quad .Lstf_blob - .\n\t.quad %zu\n",
		 (unsigned long long) STF_UNIT_MAGIC, STF_FORMAT_VERSION, bytes.size ());
	if (nsites)
		fprintf (f, "\t.quad %s - .\n", ids.c_str ());
	else
		fprintf (f, "\t.quad 0\n");
	fprintf (f, "\t.quad %zu\n", nobjects);
	for (size_t i = 0; i < nobjects; i++)
		write_object_addr (f, blob.addrs[i], i);
	fprintf (f, "\t.balign 8, 0\n\t.popsection\n");

	/* Weak, in a COMDAT group so every unit can carry one: a program
	 * built with the plugin links without libstf. */
	varpool_node *own = own_alloc_site ();
	if (!own || DECL_EXTERNAL (own->decl))
		fprintf (f, "\t.weak %s\n"
		 "\t.pushsection .tbss.%s,\"awTG\",@nobits,%s,comdat\n"
		 "\t.balign 8\n\t.type %s, @object\n\t.size %s, 8\n%s:\n"
		 "\t.zero 8\n\t.popsection\n",
		 STF_ALLOC_SITE_VAR, STF_ALLOC_SITE_VAR, STF_ALLOC_SITE_VAR,
		 STF_ALLOC_SITE_VAR, STF_ALLOC_SITE_VAR, STF_ALLOC_SITE_VAR);

	stf_verbose (UNKNOWN_LOCATION, "stf: %u types, %u objects, %u sites, %u frames",
		     (unsigned) blob.types.size (), (unsigned) nobjects,
		     (unsigned) blob.sites.size (), (unsigned) blob.frames.size ());
}
