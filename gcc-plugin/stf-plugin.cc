/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stf-plugin.cc - entry point of stf.so, the ttst GCC plugin.
 *
 *   gcc -fplugin=stf.so [-fplugin-arg-stf-disable] [-fplugin-arg-stf-verbose]
 *       [-fplugin-arg-stf-deflate=0]
 *
 * Registers the stf.h attributes and the __STF_PLUGIN__ macro always; unless
 * disabled, also the pointer-union check, the update-point rewrite, the two
 * allocation-site passes and the metadata writer.  See stf-format.h for
 * what ends up in the binary.
 */
#include "stf-plugin.h"
#include "plugin-version.h"
#include "allocators.h"
#include "attributes.h"
#include "deallocators.h"
#include "emit.h"
#include "objects.h"
#include "sites.h"
#include "member-uses.h"
#include "addr-keys.h"
#include "byte-reads.h"
#include "types.h"
#include "update-points.h"

int plugin_is_GPL_compatible;

struct stf_options stf_opts = { false, false, true };

static struct plugin_info stf_info = {
	"0.1.0",
	"ttst metadata for live update.  Arguments: "
	"-fplugin-arg-stf-disable (attributes only, no metadata), "
	"-fplugin-arg-stf-verbose (report skipped items), "
	"-fplugin-arg-stf-deflate=0 (store the metadata whole, not deflated)"
};

/* Trees the plugin holds between passes, registered as a GC root by hand
 * (plugins are not run through gengtype). */
static vec<tree, va_gc> *kept_trees;

static const struct ggc_root_tab stf_gc_roots[] = {
	{ &kept_trees, 1, sizeof (kept_trees),
	  &gt_ggc_mx_vec_tree_va_gc_, &gt_pch_nx_vec_tree_va_gc_ },
	LAST_GGC_ROOT_TAB
};

void stf_keep (tree t)
{
	vec_safe_push (kept_trees, t);
}

void stf_verbose (location_t loc, const char *fmt, ...)
{
	if (!stf_opts.verbose)
		return;
	va_list ap;
	va_start (ap, fmt);
	emit_diagnostic_valist (DK_NOTE, loc, -1, fmt, &ap);
	va_end (ap);
}

bool stf_active (void)
{
	/* The format's addresses are 64-bit words: not for -m32 or -mx32. */
	if (POINTER_SIZE != 64)
		return false;
	return !flag_generate_lto || flag_fat_lto_objects;
}

const char *stf_unit_file (void)
{
	return main_input_filename ? lbasename (main_input_filename) : "";
}

std::string stf_function_name (tree fndecl)
{
	std::string name = stf_decl_name (fndecl);
	size_t dot = name.find ('.');
	return dot == std::string::npos ? name : name.substr (0, dot);
}

/* The preprocessor exists in the C family front ends only; the weak
 * reference lets lto1 (-flto links pass -fplugin on) load the plugin. */
#pragma weak parse_in

/* Defines __STF_PLUGIN__ so stf.h turns its macros into the attributes.
 * PLUGIN_PRAGMAS runs once the preprocessor exists and before the main
 * file is read, also with -E.  Input that is already preprocessed
 * (-fpreprocessed, -save-temps) got the macro when it was preprocessed. */
static void define_macro (void *, void *)
{
	static bool defined;
	if (!defined && &parse_in && parse_in
	    && !cpp_get_options (parse_in)->preprocessed) {
		cpp_define (parse_in, "__STF_PLUGIN__=1");
		defined = true;
	}
}

static bool parse_flag (const struct plugin_argument *arg, bool *out)
{
	if (!arg->value || !strcmp (arg->value, "1")) {
		*out = true;
		return true;
	}
	if (!strcmp (arg->value, "0")) {
		*out = false;
		return true;
	}
	error ("stf: %<-fplugin-arg-stf-%s=%s%>: the value must be 0 or 1",
	       arg->key, arg->value);
	return false;
}

static bool parse_arguments (const struct plugin_name_args *info)
{
	bool ok = true;
	for (int i = 0; i < info->argc; i++) {
		const struct plugin_argument *arg = &info->argv[i];
		if (!strcmp (arg->key, "disable"))
			ok &= parse_flag (arg, &stf_opts.disable);
		else if (!strcmp (arg->key, "verbose"))
			ok &= parse_flag (arg, &stf_opts.verbose);
		else if (!strcmp (arg->key, "deflate"))
			ok &= parse_flag (arg, &stf_opts.deflate);
		else {
			error ("stf: unknown plugin argument %<-fplugin-arg-%s-%s%>; "
			       "known arguments: disable, verbose, deflate",
			       info->base_name, arg->key);
			ok = false;
		}
	}
	return ok;
}

int plugin_init (struct plugin_name_args *info, struct plugin_gcc_version *version)
{
	const char *name = info->base_name;

	if (!plugin_default_version_check (version, &gcc_version)) {
		error ("stf: this stf.so was built for GCC %s; rebuild ttst for "
		       "the GCC in use (%s)", gcc_version.basever, version->basever);
		return 1;
	}
	if (!parse_arguments (info))
		return 1;

	register_callback (name, PLUGIN_INFO, NULL, &stf_info);
	register_callback (name, PLUGIN_ATTRIBUTES, stf_attributes_register, NULL);
	register_callback (name, PLUGIN_PRAGMAS, define_macro, NULL);
	if (stf_opts.disable)
		return 0;

	/* The metadata describes C programs; other front ends get the
	 * attributes only. */
	if (strncmp (lang_hooks.name, "GNU C", 5) != 0 || strstr (lang_hooks.name, "++")) {
		stf_verbose (UNKNOWN_LOCATION, "stf: %s is not C; no metadata",
			     lang_hooks.name);
		return 0;
	}

	register_callback (name, PLUGIN_REGISTER_GGC_ROOTS, NULL, (void *) stf_gc_roots);
	register_callback (name, PLUGIN_FINISH_TYPE, stf_union_check, NULL);
	register_callback (name, PLUGIN_FINISH_TYPE, stf_note_main_file_type, NULL);
	register_callback (name, PLUGIN_FINISH_DECL, stf_union_decl, NULL);
	register_callback (name, PLUGIN_FINISH_DECL, stf_note_naming_typedef, NULL);
	register_callback (name, PLUGIN_FINISH, stf_union_flush, NULL);
	register_callback (name, PLUGIN_PRE_GENERICIZE, stf_union_flush, NULL);
	register_callback (name, PLUGIN_PRE_GENERICIZE, stf_rewrite_update_points, NULL);
	register_callback (name, PLUGIN_ALL_IPA_PASSES_START, stf_note_initializer_strings, NULL);
	register_callback (name, PLUGIN_ALL_IPA_PASSES_START, stf_find_wrappers, NULL);
	register_callback (name, PLUGIN_ALL_IPA_PASSES_START, stf_note_function_tables, NULL);

	struct register_pass_info dests = {
		stf_make_dests_pass (g), "ssa", 1, PASS_POS_INSERT_AFTER
	};
	register_callback (name, PLUGIN_PASS_MANAGER_SETUP, NULL, &dests);
	struct register_pass_info member_uses = {
		stf_make_member_uses_pass (g), "ssa", 1, PASS_POS_INSERT_AFTER
	};
	register_callback (name, PLUGIN_PASS_MANAGER_SETUP, NULL, &member_uses);
	struct register_pass_info addr_keys = {
		stf_make_addr_keys_pass (g), "ssa", 1, PASS_POS_INSERT_AFTER
	};
	register_callback (name, PLUGIN_PASS_MANAGER_SETUP, NULL, &addr_keys);
	struct register_pass_info byte_reads = {
		stf_make_byte_reads_pass (g), "ssa", 1, PASS_POS_INSERT_AFTER
	};
	register_callback (name, PLUGIN_PASS_MANAGER_SETUP, NULL, &byte_reads);
	struct register_pass_info deallocs = {
		stf_make_deallocs_pass (g), "ssa", 1, PASS_POS_INSERT_AFTER
	};
	register_callback (name, PLUGIN_PASS_MANAGER_SETUP, NULL, &deallocs);
	struct register_pass_info sites = {
		stf_make_sites_pass (g), "optimized", 1, PASS_POS_INSERT_AFTER
	};
	register_callback (name, PLUGIN_PASS_MANAGER_SETUP, NULL, &sites);
	register_callback (name, PLUGIN_FINISH_UNIT, stf_emit_unit, NULL);
	return 0;
}
