/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-plugin.c - the stf.so plugin in the real gcc.
 *
 * Builds the corpus programs (corpus/) with the plugin in several variants
 * (-O0..-O3, PIE and not, with and without -g and --gc-sections), reads the
 * metadata of the linked binaries with the real reader (libstfmeta and
 * tools/elfmeta.c) and checks it against what the host compiler says about
 * the same declarations (corpus/types.h is compiled into this test too),
 * against the binaries' own bytes, and against what libstf attributes
 * allocations to at run time.  This file: update-point frames, several
 * units, command line and diagnostics, the metadata's layout, the suite; the types are in
 * test-types.c, objects and sites in test-objects.c, shared helpers in
 * helpers.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin-test.h"
#include "types.h"

/* ------------------------------------------------------------------ */
/* Update-point frames                                                  */

START_TEST(frames_locals)
{
	const char *bin = build("frames", _i);
	struct elfmeta *em = open_meta(bin);
	const struct stf_meta_unit *u = &elfmeta_meta(em)->units[0];
	ck_assert_uint_eq(u->nframes, 2);
	const struct stf_frame_rec *f = &u->frames[0];
	ck_assert_str_eq(name(u, f->func), "work");
	ck_assert_uint_eq(f->line, source_line("frames.c", "stf_update_point();"));
	/* Parameters, then locals outermost first; not reg (register), vla,
	 * calls (static) or later (declared after the update point). */
	static const char *const want[] = { "arg", "n", "total", "i", "p" };
	ck_assert_uint_eq(f->nlocals, 5);
	for (uint32_t i = 0; i < 5; i++)
		ck_assert_str_eq(name(u, u->locals[f->locals + i].name), want[i]);
	const struct stf_type_rec *p = type(u, u->locals[f->locals + 4].type);
	ck_assert_int_eq(p->kind, STF_K_STRUCT);
	/* declared in work(): named with its scope */
	ck_assert_str_eq(name(u, p->name), "frames.c:work/pair");
	ck_assert_uint_eq(p->nmembers, 2);
	ck_assert_str_eq(name(u, type(u, u->locals[f->locals].type)->name), "int");
	/* a callback's arguments it never refers to are not passed: its
	 * frame needs no counterpart where the same thread parks in another
	 * version (libstf/transfer/thread-pairs.c) */
	ck_assert_str_eq(name(u, u->frames[1].func), "on_update");
	ck_assert_uint_eq(u->frames[1].nlocals, 0);
	elfmeta_close(em);
	ck_assert_int_eq(run(NULL, "./%s", bin), 0);
}
END_TEST

/* Condition-variable waits become wait points: a frame record whose first
 * two locals stand for the wait's cond and mutex; without libstf the
 * program runs the plain waits. */
START_TEST(wait_points)
{
	const char *bin = build("waits", _i);
	struct elfmeta *em = open_meta(bin);
	const struct stf_meta_unit *u = &elfmeta_meta(em)->units[0];
	ck_assert_uint_eq(u->nframes, 2);
	const struct stf_frame_rec *f = &u->frames[0];
	ck_assert_str_eq(name(u, f->func), "consume");
	ck_assert_uint_eq(f->line, source_line("waits.c", "pthread_cond_wait(&ready"));
	static const char *const want[] = { STF_WAIT_COND_LOCAL, STF_WAIT_MUTEX_LOCAL,
					    "want", "taken", "until" };
	ck_assert_uint_eq(f->nlocals, 5);
	for (uint32_t i = 0; i < 5; i++)
		ck_assert_str_eq(name(u, u->locals[f->locals + i].name), want[i]);
	for (uint32_t i = 0; i < 2; i++)
		ck_assert_int_eq(bare(u, u->locals[f->locals + i].type)->kind, STF_K_POINTER);
	ck_assert_uint_eq(u->frames[1].line, source_line("waits.c", "pthread_cond_timedwait("));
	elfmeta_close(em);
	/* Linked without libstf: the waits fall back to the plain calls. */
	char *out;
	ck_assert_int_eq(run(&out, "./%s", bin), 0);
	ck_assert_ptr_nonnull(strstr(out, "taken 3, timed wait timed out"));
	free(out);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Several units                                                        */

START_TEST(multi_units)
{
	const char *bin = build("multi", _i);
	struct elfmeta *em = open_meta(bin);
	const struct stf_meta *m = elfmeta_meta(em);
	ck_assert_uint_eq(m->nunits, 2);
	const struct stf_meta_unit *um, *ul;
	const struct stf_object_rec *head = object(em, "head", &um);
	const struct stf_object_rec *item = object(em, "lib_item", &ul);
	ck_assert_ptr_ne(um, ul);
	ck_assert_str_eq(name(um, um->blob->file), "multi-main.c");
	ck_assert_str_eq(name(ul, ul->blob->file), "multi-lib.c");
	object(em, "multi-main.c:counter", &um);
	object(em, "multi-lib.c:counter", &ul);
	/* One struct, two units, one hash. */
	ck_assert_uint_eq(bare(um, type(um, head->type)->target)->hash,
			  bare(ul, item->type)->hash);
	uint64_t p;
	read_at(em, addr_of(um, head), &p, sizeof p);
	ck_assert_uint_eq(p, addr_of(ul, item));
	elfmeta_close(em);
	ck_assert_int_eq(run(NULL, "./%s", bin), 0);
}
END_TEST

/* The number after "key " in the program's output. */
static long long printed(const char *out, const char *key)
{
	char pat[128];
	snprintf(pat, sizeof pat, "%s ", key);
	for (const char *p = out; (p = strstr(p, pat)); p++)
		if (p == out || p[-1] == '\n')
			return strtoll(p + strlen(pat), NULL, 10);
	ck_abort_msg("'%s' missing from:\n%s", key, out);
	return -1;
}

/* An opaque struct: complete in the one unit whose source file defines it,
 * although nothing in that unit has its type, and incomplete in the unit
 * that only holds a pointer to it. */
START_TEST(opaque_types)
{
	const char *bin = build("opaque", _i);
	char *out;
	ck_assert_int_eq(run(&out, "./%s layout", bin), 0);
	struct elfmeta *em = open_meta(bin);
	const struct stf_meta *m = elfmeta_meta(em);
	const struct stf_meta_unit *um = unit_of(em, "opaque-main.c");
	const struct stf_meta_unit *ul = unit_of(em, "opaque-lib.c");

	/* The lib unit has no object, site or frame of the table's type. */
	for (uint32_t i = 0; i < ul->nobjects; i++)
		ck_assert_uint_ne(bare(ul, ul->objects[i].type)->kind, STF_K_POINTER);
	ck_assert_uint_eq(ul->nsites, 0);
	ck_assert_uint_eq(ul->nframes, 0);

	const struct stf_meta_unit *mu;
	const struct stf_object_rec *ptr = object(em, "the_table", &mu);
	ck_assert_ptr_eq(mu, um);
	const struct stf_type_rec *inc = bare(um, bare(um, ptr->type)->target);
	ck_assert_uint_eq(inc->kind, STF_K_STRUCT);
	ck_assert_str_eq(name(um, inc->name), "table");
	ck_assert(inc->flags & STF_TF_INCOMPLETE);

	/* What the transfer's completion by tag finds. */
	const struct stf_meta_unit *du;
	uint32_t dt;
	ck_assert_int_eq(stf_meta_find_type(m, "struct table", &du, &dt), 0);
	ck_assert_ptr_eq(du, ul);
	const struct stf_type_rec *t = type(ul, dt);
	ck_assert_uint_eq(t->kind, STF_K_STRUCT);
	ck_assert(!(t->flags & STF_TF_INCOMPLETE));
	ck_assert_uint_eq(t->size, printed(out, "size"));
	ck_assert_uint_eq(t->nmembers, 8);
	static const char *const fields[] = { "nbuckets", "hash", "buckets", "mode",
					      "stats", "owner" };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		ck_assert_int_eq(member(ul, t, fields[i])->offset, printed(out, fields[i]));
	const struct stf_member_rec *frozen = member(ul, t, "frozen");
	const struct stf_member_rec *depth = member(ul, t, "depth");
	ck_assert_uint_eq(frozen->bit_size, 1);
	ck_assert_uint_eq(depth->bit_size, 5);
	ck_assert_int_eq(depth->offset * 8 + depth->bit_offset,
			 frozen->offset * 8 + frozen->bit_offset + 1);
	ck_assert_int_gt(frozen->offset, member(ul, t, "mode")->offset);
	/* The types it refers to come along: a function pointer behind a
	 * typedef, an enum with its values, a tagged struct behind pointers. */
	const struct stf_type_rec *fp = type(ul, member(ul, t, "hash")->type);
	ck_assert_uint_eq(fp->kind, STF_K_TYPEDEF);
	ck_assert_str_eq(name(ul, fp->name), "hash_fn");
	ck_assert_uint_eq(bare(ul, bare(ul, member(ul, t, "hash")->type)->target)->kind,
			  STF_K_FUNCTION);
	const struct stf_type_rec *mode = type(ul, member(ul, t, "mode")->type);
	ck_assert_uint_eq(mode->kind, STF_K_ENUM);
	ck_assert_int_eq(member(ul, mode, "TM_SORTED")->offset, 4);
	const struct stf_type_rec *bucket =
		bare(ul, bare(ul, bare(ul, member(ul, t, "buckets")->type)->target)->target);
	ck_assert_str_eq(name(ul, bucket->name), "bucket");
	ck_assert_uint_eq(bucket->nmembers, 2);
	ck_assert_uint_eq(type(ul, member(ul, t, "stats")->type)->kind, STF_K_UNION);

	/* Completed in the main file by a macro from a header. */
	uint32_t pair = stf_meta_unit_find_type(m, ul, "struct pair");
	ck_assert_uint_ne(pair, STF_NONE);
	ck_assert_int_eq(member(ul, type(ul, pair), "second")->offset,
			 printed(out, "pair.second"));
	/* Not recorded for their own sake: types defined inside a function
	 * (no other unit can name them), structs without fields, and types
	 * completed in headers that nothing in the unit reaches. */
	ck_assert_uint_eq(stf_meta_unit_find_type(m, ul, "struct local_only"), STF_NONE);
	ck_assert_uint_eq(stf_meta_unit_find_type(m, ul, "struct empty"), STF_NONE);
	ck_assert_uint_eq(stf_meta_unit_find_type(m, ul, "struct header_only"), STF_NONE);
	uint32_t owner = stf_meta_unit_find_type(m, ul, "struct in_header");
	ck_assert_uint_ne(owner, STF_NONE);
	ck_assert_uint_eq(type(ul, owner)->nmembers, 2);
	/* The main unit completes nothing and records no table definition. */
	ck_assert_uint_eq(stf_meta_unit_find_type(m, um, "struct pair"), STF_NONE);
	uint32_t mt = stf_meta_unit_find_type(m, um, "struct table");
	ck_assert(mt == STF_NONE || (um->types[mt].flags & STF_TF_INCOMPLETE));
	free(out);
	elfmeta_close(em);
}
END_TEST

/* -c then link, and -S then assemble. */
START_TEST(separate_steps)
{
	char *out;
	mkdir(BUILD_DIR, 0755);
	int rc = run(&out, "%s %s -O2 -c %s/multi-main.c -o " BUILD_DIR "/sep-main.o && "
		     "%s %s -O2 -S %s/multi-lib.c -o " BUILD_DIR "/sep-lib.s && "
		     "grep -q stf_units " BUILD_DIR "/sep-lib.s && "
		     "%s " BUILD_DIR "/sep-main.o " BUILD_DIR "/sep-lib.s -o " BUILD_DIR "/sep",
		     TEST_CC, plugin_flags(), CORPUS_DIR, TEST_CC, plugin_flags(), CORPUS_DIR,
		     TEST_CC);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	struct elfmeta *em = open_meta(BUILD_DIR "/sep");
	ck_assert_uint_eq(elfmeta_meta(em)->nunits, 2);
	const struct stf_meta_unit *u;
	object(em, "lib_item", &u);
	elfmeta_close(em);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Command line and diagnostics                                         */

START_TEST(unknown_argument_rejected)
{
	char *out;
	int rc = run(&out, "%s %s -fplugin-arg-stf-foo -c %s/objects.c -o /dev/null",
		     TEST_CC, plugin_flags(), CORPUS_DIR);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(strstr(out, "unknown plugin argument '-fplugin-arg-stf-foo'"), "%s", out);
	free(out);
	rc = run(&out, "%s %s -fplugin-arg-stf-verbose=2 -c %s/objects.c -o /dev/null",
		 TEST_CC, plugin_flags(), CORPUS_DIR);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(strstr(out, "must be 0 or 1"), "%s", out);
	free(out);
}
END_TEST

START_TEST(disable_keeps_attributes)
{
	char *out;
	mkdir(BUILD_DIR, 0755);
	/* types.c uses every attribute and #errors without __STF_PLUGIN__. */
	int rc = run(&out, "%s %s -fplugin-arg-stf-disable -O2 %s/types.c -o "
		     BUILD_DIR "/types-disabled", TEST_CC, plugin_flags(), CORPUS_DIR);
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_msg(!strstr(out, "stf:"), "%s", out);
	free(out);
	enum elfmeta_status st;
	char err[512];
	ck_assert_ptr_null(elfmeta_open(BUILD_DIR "/types-disabled", &st, err, sizeof err));
	ck_assert_int_eq(st, ELFMETA_NO_SECTION);
}
END_TEST

START_TEST(macro_defined_for_preprocessing)
{
	char *out;
	int rc = run(&out, "%s %s -E -dM %s/types.c", TEST_CC, plugin_flags(), CORPUS_DIR);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(out, "#define __STF_PLUGIN__ 1"));
	free(out);
}
END_TEST

START_TEST(pointer_union_warning)
{
	char log[PATH_MAX];
	snprintf(log, sizeof log, "%s.log", build("types", 0));
	char *out = slurp(log);
	/* libstf classifies their words: no warning by default */
	ck_assert_msg(!strstr(out, "stf: union"), "%s", out);
	free(out);
	/* -fplugin-arg-stf-verbose names them */
	int rc = run(&out, "%s %s -fplugin-arg-stf-verbose -fsyntax-only %s", TEST_CC,
		     plugin_flags(), sources("types"));
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_msg(strstr(out, "warning: stf: union 'holder' holds a pointer and has no "
			     "STF_IXFER/STF_PXFER annotation"), "%s", out);
	ck_assert_msg(strstr(out, "warning: stf: union 'named_t' holds a pointer"), "%s", out);
	/* Annotated unions (on the type or through the typedef) and other
	 * types do not warn. */
	ck_assert_msg(!strstr(out, "ok_union"), "%s", out);
	ck_assert_msg(!strstr(out, "tagged_t"), "%s", out);
	ck_assert_msg(!strstr(out, "<anonymous>"), "%s", out);
	ck_assert_msg(!strstr(out, "opaque_s"), "%s", out);
	ck_assert_msg(!strstr(out, "'callbacks'"), "%s", out);
	ck_assert_msg(!strstr(out, "data_ptrs"), "%s", out);
	ck_assert_msg(strstr(out, "warning: stf: union 'mixed_callbacks' holds a pointer"), "%s", out);
	free(out);
}
END_TEST

/* Build modes the metadata does not cover must still build and run. */
START_TEST(other_build_modes)
{
	char *out;
	mkdir(BUILD_DIR, 0755);
	/* -flto passes -fplugin on to lto1 as well. */
	int rc = run(&out, "cd " BUILD_DIR " && %s %s -O2 -flto %s -o lto %s && ./lto",
		     TEST_CC, plugin_flags(), sources("sites"), libs("sites"));
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_msg(strstr(out, "conns "), "%s", out);
	free(out);
	/* Fat LTO objects linked with -flto: code made from the bytecode
	 * at link time must not refer to the unit's metadata. */
	rc = run(&out, "cd " BUILD_DIR " && %s %s -O2 -flto -ffat-lto-objects -c %s -o fat.o "
		 "&& %s -O2 -flto fat.o -o fat %s && ./fat",
		 TEST_CC, plugin_flags(), sources("frames"), TEST_CC, libs("frames"));
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	/* LTO bytecode gets no wait points: each plain wait is named, with
	 * the way out (silent, Redis's idle threads refused every update). */
	rc = run(&out, "cd " BUILD_DIR " && %s %s -O2 -flto -c %s -o waits-lto.o", TEST_CC,
		 plugin_flags(), sources("waits"));
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_msg(strstr(out, "waits.c:30:") && strstr(out, "waits.c:38:") &&
		      strstr(out, "not made a wait point") && strstr(out, "-fno-lto"), "%s", out);
	free(out);
	/* -save-temps: the plugin also runs on the preprocessed file. */
	rc = run(&out, "cd " BUILD_DIR " && %s %s -O2 -save-temps %s -o saved %s",
		 TEST_CC, plugin_flags(), sources("frames"), libs("frames"));
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	struct elfmeta *em = open_meta(BUILD_DIR "/saved");
	ck_assert_uint_eq(elfmeta_meta(em)->units[0].nframes, 2); /* work, on_update */
	elfmeta_close(em);
	/* With -Werror the pointer-union diagnostic is a note, not an error. */
	rc = run(&out, "%s %s -fplugin-arg-stf-verbose -Werror -fsyntax-only %s", TEST_CC,
		 plugin_flags(), sources("types"));
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_msg(strstr(out, "note: stf: union 'holder' holds a pointer"), "%s", out);
	free(out);
	/* A shared object whose unit defines stf__alloc_site itself. */
	rc = run(&out, "%s %s -O2 -fPIC -shared %s/own-cell.c -o " BUILD_DIR "/libown.so",
		 TEST_CC, plugin_flags(), CORPUS_DIR);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	em = open_meta(BUILD_DIR "/libown.so");
	ck_assert_uint_eq(elfmeta_meta(em)->units[0].nsites, 1);
	elfmeta_close(em);
}
END_TEST

/* The unit headers are read-only and need no relocation (the linker
 * resolves every address in them); what a running program does not read
 * is deflated, and -fplugin-arg-stf-deflate=0 stores it whole. */
START_TEST(metadata_layout)
{
	const char *bin = build("objects", _i);
	char *out, flags[16] = "";
	unsigned long long addr = 0, size = 0;

	ck_assert_int_eq(run(&out, "readelf -SW %s", bin), 0);
	const char *sec = strstr(out, " stf_units ");
	ck_assert_msg(sec, "no stf_units section:\n%s", out);
	ck_assert_int_eq(sscanf(sec, " stf_units %*s %llx %*x %llx %*x %15s", &addr, &size, flags), 3);
	ck_assert_msg(!strchr(flags, 'W'), "stf_units is writable (flags %s)", flags);
	free(out);
	ck_assert_int_eq(run(&out, "readelf -rW %s", bin), 0);
	for (char *save, *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long at;
		if (sscanf(line, "%llx", &at) == 1)
			ck_assert_msg(at < addr || at >= addr + size,
				      "relocation in stf_units: %s", line);
	}
	free(out);

	struct elfmeta *em = open_meta(bin);
	const struct stf_meta *m = elfmeta_meta(em);
	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *u = &m->units[k];
		ck_assert_uint_lt(u->blob->stored, u->blob->size);
		ck_assert_uint_lt(u->unit->blob_size, u->blob->size);
	}
	elfmeta_close(em);

	if (_i)
		return;  /* the same whole, once */
	mkdir(BUILD_DIR, 0755);
	ck_assert_msg(run(&out, "%s %s -fplugin-arg-stf-deflate=0 %s %s %s -o "
			  BUILD_DIR "/objects-whole", TEST_CC, plugin_flags(), variants[0].flags,
			  sources("objects"), libs("objects")) == 0, "%s", out);
	free(out);
	em = open_meta(BUILD_DIR "/objects-whole");
	m = elfmeta_meta(em);
	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *u = &m->units[k];
		ck_assert_uint_eq(u->blob->stored, u->blob->size);
		ck_assert_uint_eq(u->unit->blob_size, u->blob->size);
	}
	elfmeta_close(em);
}
END_TEST

/* Every object and type agrees with DWARF. */
START_TEST(stf_meta_verify)
{
	static const char *const progs[] = { "types", "objects", "sites", "frames", "multi",
					     "autowrap", "opaque", "scopes" };
	if (!variants[_i].debug)
		return;
	for (size_t p = 0; p < sizeof progs / sizeof progs[0]; p++) {
		char *out;
		int rc = run(&out, "%s verify %s", STF_META, build(progs[p], _i));
		ck_assert_msg(rc == 0, "stf-meta verify %s (%s):\n%s", progs[p],
			      variants[_i].name, out);
		free(out);
	}
}
END_TEST

/* A loop left by many `continue`s compiles in about a second: the plugin
 * walks what each pointer was derived from once per phi, not once per
 * path (was minutes; OpenSSH's moduli.c over ten). */
START_TEST(phi_loop_compile_time)
{
	char *out;
	int rc = run(&out, "mkdir -p " BUILD_DIR " && timeout 30 %s %s -O2 -c %s/philoop.c -o " BUILD_DIR
			      "/philoop.o",
		     TEST_CC, plugin_flags(), CORPUS_DIR);
	ck_assert_msg(rc == 0, "compiling philoop.c: %s (exit %d: 124 is 30 s passed)", out, rc);
	free(out);
}
END_TEST

void plugin_add_case(Suite *s, const char *name, const TTest *test, int loop)
{
	TCase *tc = tcase_create(name);
	tcase_set_timeout(tc, 120);
	if (loop)
		tcase_add_loop_test(tc, test, 0, NVARIANTS);
	else
		tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

static Suite *plugin_suite(void)
{
	Suite *s = suite_create("plugin");
	add_type_cases(s);
	add_object_and_site_cases(s);
	add_addr_key_cases(s);
	plugin_add_case(s, "frames", frames_locals, 1);
	plugin_add_case(s, "wait_points", wait_points, 1);
	plugin_add_case(s, "multi", multi_units, 1);
	plugin_add_case(s, "opaque", opaque_types, 1);
	plugin_add_case(s, "verify", stf_meta_verify, 1);
	plugin_add_case(s, "layout", metadata_layout, 1);
	plugin_add_case(s, "separate_steps", separate_steps, 0);
	plugin_add_case(s, "unknown_argument", unknown_argument_rejected, 0);
	plugin_add_case(s, "disable", disable_keeps_attributes, 0);
	plugin_add_case(s, "macro", macro_defined_for_preprocessing, 0);
	plugin_add_case(s, "union_warning", pointer_union_warning, 0);
	plugin_add_case(s, "other_build_modes", other_build_modes, 0);
	plugin_add_case(s, "phi_loop_compile_time", phi_loop_compile_time, 0);
	return s;
}

int main(void)
{
	/* Binaries are shared between the tests of one run only: a rebuilt
	 * plugin must never be judged by binaries of the previous one. */
	if (system("rm -rf " BUILD_DIR) != 0) {
		fprintf(stderr, "cannot remove " BUILD_DIR "\n");
		return EXIT_FAILURE;
	}
	SRunner *sr = srunner_create(plugin_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
