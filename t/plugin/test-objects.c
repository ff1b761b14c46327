/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-objects.c - test-plugin's static objects (IDs, addresses, string
 * literals), allocation sites (records, the same at every level, what
 * libstf attributes at run time) and allocator wrappers.
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
/* Static objects                                                       */

static uint64_t fnv64(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void literal_id(char *id, size_t len, const char *text)
{
	snprintf(id, len, "str:%016llx", (unsigned long long)fnv64(text, strlen(text) + 1));
}

/* The string literal object with this content, checked against its bytes;
 * its place in the code starts with want_place. */
static void check_literal(struct elfmeta *em, const char *text, uint64_t want_addr,
			  const char *want_place)
{
	char id[64];
	literal_id(id, sizeof id, text);
	const struct stf_meta_unit *u;
	const struct stf_object_rec *o = object(em, id, &u);
	char place[256];
	stf_meta_literal_place(u, (uint32_t)(o - u->objects), place, sizeof place);
	ck_assert_msg(!strncmp(place, want_place, strlen(want_place)),
		      "'%s' is placed at %s, not %s", text, place, want_place);
	/* the reader finds it by its place */
	const struct stf_meta_unit *pu;
	uint32_t pi;
	ck_assert_int_eq(stf_meta_find_literal(elfmeta_meta(em), place, &pu, &pi), 0);
	ck_assert_ptr_eq(&pu->objects[pi], o);
	ck_assert_int_eq(o->kind, STF_O_STRING);
	ck_assert_uint_eq(o->size, strlen(text) + 1);
	ck_assert_int_ne(o->flags & STF_OF_READONLY, 0);
	/* typed by its characters: all literals share one type record */
	const struct stf_type_rec *ct = bare(u, o->type);
	ck_assert_int_eq(ct->kind, STF_K_INT);
	ck_assert_int_ne(ct->flags & STF_TF_CHAR, 0);
	ck_assert_uint_eq(ct->size, 1);
	char buf[256];
	read_at(em, addr_of(u, o), buf, o->size);
	ck_assert_str_eq(buf, text);
	if (want_addr)
		ck_assert_uint_eq(addr_of(u, o), want_addr);
}

START_TEST(objects_ids_and_addresses)
{
	const char *bin = build("objects", _i);
	struct elfmeta *em = open_meta(bin);
	const struct stf_meta_unit *u;

	const struct stf_object_rec *g = object(em, "global_counter", &u);
	ck_assert_int_eq(g->kind, STF_O_VAR);
	ck_assert_int_eq(g->flags & (STF_OF_EXTERN | STF_OF_LOCAL), STF_OF_EXTERN);
	ck_assert_uint_eq(g->size, sizeof(int));
	ck_assert_uint_eq(g->line, source_line("objects.c", "int global_counter"));
	int iv;
	read_at(em, addr_of(u, g), &iv, sizeof iv);
	ck_assert_int_eq(iv, 1);

	const struct stf_object_rec *fs = object(em, "objects.c:file_static", &u);
	ck_assert_int_eq(fs->flags & STF_OF_EXTERN, 0);
	ck_assert_str_eq(name(u, fs->name), "file_static");
	/* a string ending another is stored as its tail */
	ck_assert_uint_eq(fs->name, fs->id + strlen("objects.c:"));
	read_at(em, addr_of(u, fs), &iv, sizeof iv);
	ck_assert_int_eq(iv, 2);

	/* Function-local statics: ID file:func/name. */
	const struct stf_object_rec *c1 = object(em, "objects.c:bump/calls", &u);
	ck_assert_int_ne(c1->flags & STF_OF_LOCAL, 0);
	ck_assert_str_eq(name(u, c1->func), "bump");
	const struct stf_object_rec *c2 = object(em, "objects.c:other/calls", &u);
	read_at(em, addr_of(u, c2), &iv, sizeof iv);
	ck_assert_int_eq(iv, 5);
	ck_assert_uint_ne(addr_of(u, c1), addr_of(u, c2));

	const struct stf_object_rec *t = object(em, "tls_v", &u);
	ck_assert_int_ne(t->flags & STF_OF_TLS, 0);
	/* its address: the offset from the thread pointer, below it */
	int64_t tls_off = (int64_t)addr_of(u, t);
	ck_assert(tls_off < 0 && tls_off > -4096);
	ck_assert_int_ne(object(em, "ixfer_v", &u)->flags & STF_OF_IXFER, 0);
	ck_assert_int_ne(object(em, "pxfer_v", &u)->flags & STF_OF_PXFER, 0);

	const struct stf_object_rec *lim = object(em, "limits", &u);
	ck_assert_int_ne(lim->flags & STF_OF_READONLY, 0);
	int vals[3];
	read_at(em, addr_of(u, lim), vals, sizeof vals);
	ck_assert(vals[0] == 11 && vals[1] == 22 && vals[2] == 33);

	/* The address-taken static function is where ops[0] points. */
	const struct stf_object_rec *fn = object(em, "objects.c:helper", &u);
	ck_assert_int_eq(fn->kind, STF_O_FUNC);
	ck_assert_int_eq(bare(u, fn->type)->kind, STF_K_FUNCTION);
	const struct stf_object_rec *ops = object(em, "ops", &u);
	const struct stf_type_rec *ot = type(u, ops->type);
	ck_assert_int_eq(ot->kind, STF_K_ARRAY);
	ck_assert_uint_eq(ot->count, 2);
	ck_assert_int_eq(type(u, type(u, ot->target)->target)->kind, STF_K_FUNCTION);
	uint64_t fp;
	read_at(em, addr_of(u, ops), &fp, sizeof fp);
	ck_assert_uint_eq(fp, addr_of(u, fn));

	/* Literals: one from a static initializer (greeting points at it),
	 * one used only by code. */
	uint64_t gp;
	read_at(em, addr_of(u, object(em, "greeting", &u)), &gp, sizeof gp);
	check_literal(em, "hello, objects", gp, "init:greeting");
	check_literal(em, "get", 0, "init:commands[0].name");
	check_literal(em, "set", 0, "init:commands[1].name");
	/* stored by code */
	check_literal(em, "serving", 0, "code:objects.c:main#");
	check_literal(em, "busy", 0, "code:objects.c:main#");
	/* only passed to snprintf, which keeps no pointer to it: no record
	 * (at -O0 it goes through a local variable first) */
	char id[64];
	literal_id(id, sizeof id, "code literal");
	if (variants[_i].optimize)
		ck_assert_int_ne(stf_meta_find_object(elfmeta_meta(em), id, NULL, NULL), 0);
	ck_assert_int_ne(stf_meta_find_literal(elfmeta_meta(em), "init:status", NULL, NULL), 0);
	elfmeta_close(em);

	/* Built with the plugin but without libstf: links and runs. */
	char *out;
	ck_assert_int_eq(run(&out, "./%s", bin), 0);
	ck_assert_ptr_nonnull(strstr(out, "code literal"));
	free(out);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Allocation sites                                                     */

START_TEST(sites_records)
{
	struct elfmeta *em = open_meta(build("sites", _i));
	const struct stf_meta_unit *u;
	const struct stf_site_rec *s;

	s = site(em, "sites.c:main/conns#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "calloc");
	ck_assert_str_eq(name(u, s->dest), "conns");
	ck_assert_str_eq(name(u, s->func), "main");
	ck_assert_str_eq(name(u, type(u, s->type)->name), "conn");
	ck_assert_uint_eq(s->count, 4);
	ck_assert_uint_eq(s->flags, STF_SF_ZEROED | STF_SF_CONSTCNT);
	ck_assert_uint_eq(s->line, source_line("sites.c", "conns = calloc"));

	s = site(em, "sites.c:main/struct conn.buf#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "malloc");
	ck_assert_int_ne(type(u, s->type)->flags & STF_TF_CHAR, 0);
	ck_assert_uint_eq(s->count, 64);

	/* The wrapper: attributed to its caller, never inlined (what it
	 * returns is registered after the call). */
	s = site(em, "sites.c:main/pool#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "xalloc");
	ck_assert_int_ne(s->flags & STF_SF_WRAPPER, 0);
	ck_assert_int_eq(s->flags & STF_SF_INLINED, 0);
	ck_assert_str_eq(name(u, type(u, s->type)->name), "conn");
	ck_assert_uint_eq(s->count, 3);
	/* Its own malloc is a site of its own, untyped. */
	s = site(em, "sites.c:xalloc/return#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "malloc");
	ck_assert_uint_eq(s->type, STF_NONE);

	s = site(em, "sites.c:make_node/return#0", &u);
	ck_assert_str_eq(name(u, type(u, s->type)->name), "node");
	ck_assert_uint_eq(s->count, 1);

	/* copy() returns strdup's block: a wrapper found without annotation. */
	s = site(em, "sites.c:main/name#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "copy");
	ck_assert_uint_eq(s->flags & ~STF_SF_INLINED,
			  STF_SF_STRING | STF_SF_WRAPPER | STF_SF_AUTOWRAP);
	ck_assert_int_ne(type(u, s->type)->flags & STF_TF_CHAR, 0);

	/* A constructor copying bytes from a `char *` into its `char *`
	 * block hands out strings whatever its caller keeps them in; one
	 * copying from a `const void *` (any object) leaves the type to its
	 * caller's site (none here). */
	s = site(em, "sites.c:main/held_text#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "bytes_new");
	ck_assert_int_ne(s->flags & STF_SF_STRING, 0);
	ck_assert_int_ne(type(u, s->type)->flags & STF_TF_CHAR, 0);
	s = site(em, "sites.c:main/held_copy#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "mem_dup");
	ck_assert_int_eq(s->flags & STF_SF_STRING, 0);
	ck_assert_uint_eq(s->type, STF_NONE);

	s = site(em, "sites.c:main/nums#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "reallocarray");
	ck_assert_str_eq(name(u, type(u, s->type)->name), "int");
	ck_assert_uint_eq(s->count, 10);
	ck_assert_int_ne(s->flags & STF_SF_REALLOC, 0);

	s = site(em, "sites.c:main/dup#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "strndup");

	s = site(em, "sites.c:main/map#0", &u);
	ck_assert_int_ne(s->flags & STF_SF_MMAP, 0);
	ck_assert_uint_eq(s->type, STF_NONE);

	s = site(em, "sites.c:main/conns#1", &u);
	ck_assert_str_eq(name(u, s->allocator), "realloc");
	ck_assert_uint_eq(s->ordinal, 1);
	ck_assert_uint_eq(s->count, 8);

	s = site(em, "sites.c:main/spare#0", &u);
	ck_assert_uint_eq(s->count, 32);

	s = site(em, "sites.c:main/aligned#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "aligned_alloc");
	ck_assert_str_eq(name(u, type(u, s->type)->name), "node");
	ck_assert_uint_eq(s->count, 4);

	/* posix_memalign returns the block through its first argument. */
	s = site(em, "sites.c:main/pm#0", &u);
	ck_assert_str_eq(name(u, type(u, s->type)->name), "conn");
	ck_assert_uint_eq(s->count, 2);

	/* Two calls from one macro expansion stay two sites. */
	s = site(em, "sites.c:main/twin_a#0", &u);
	ck_assert_str_eq(name(u, type(u, s->type)->name), "node");
	s = site(em, "sites.c:main/twin_b#0", &u);
	ck_assert_str_eq(name(u, type(u, s->type)->name), "conn");

	ck_assert_uint_eq(u->nsites, 17);
	elfmeta_close(em);
}
END_TEST

/* Site IDs (and what they record) do not depend on the optimization
 * level: every site of the -O0 build exists in the others. */
START_TEST(sites_same_at_every_level)
{
	static const char *const progs[] = { "sites", "autowrap" };
	for (size_t p = 0; p < sizeof progs / sizeof progs[0]; p++) {
		struct elfmeta *em = open_meta(build(progs[p], _i));
		struct elfmeta *ref = open_meta(build(progs[p], 0));
		const struct stf_meta *rm = elfmeta_meta(ref);
		uint32_t nsites = 0;
		for (uint32_t k = 0; k < rm->nunits; k++) {
			const struct stf_meta_unit *ru = &rm->units[k];
			nsites += ru->nsites;
			for (uint32_t i = 0; i < ru->nsites; i++) {
				const char *id = name(ru, ru->sites[i].id);
				const struct stf_meta_unit *u;
				const struct stf_site_rec *s = site(em, id, &u);
				const struct stf_site_rec *r = &ru->sites[i];
				ck_assert_str_eq(name(u, s->dest), name(ru, r->dest));
				ck_assert_str_eq(name(u, s->func), name(ru, r->func));
				ck_assert_str_eq(name(u, s->allocator), name(ru, r->allocator));
				ck_assert_uint_eq(s->flags & STF_SF_AUTOWRAP, r->flags & STF_SF_AUTOWRAP);
				ck_assert_uint_eq(s->type == STF_NONE ? 0 : type(u, s->type)->hash,
						  r->type == STF_NONE ? 0 : type(ru, r->type)->hash);
			}
		}
		/* And no other sites. */
		const struct stf_meta *m = elfmeta_meta(em);
		for (uint32_t k = 0; k < m->nunits; k++)
			nsites -= m->units[k].nsites;
		ck_assert_uint_eq(nsites, 0);
		elfmeta_close(ref);
		elfmeta_close(em);
	}
}
END_TEST

/* The markers reach libstf: each block is attributed to its site. */
START_TEST(sites_runtime_attribution)
{
	char *out;
	ck_assert_int_eq(run(&out, "./%s", build("sites", _i)), 0);
	static const char *const want[] = {
		"conns sites.c:main/conns#0\n",
		"buf sites.c:main/struct conn.buf#0\n",
		"pool sites.c:main/pool#0\n",
		"name sites.c:main/name#0\n",
		"nums sites.c:main/nums#0\n",
		"dup sites.c:main/dup#0\n",
		"root sites.c:make_node/return#0\n",
		"spare sites.c:main/spare#0\n",
		"aligned sites.c:main/aligned#0\n",
		"pm sites.c:main/pm#0\n",
		"twin_a sites.c:main/twin_a#0\n",
		"twin_b sites.c:main/twin_b#0\n",
		"conns2 sites.c:main/conns#1\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(out, want[i]), "missing \"%.*s\" in:\n%s",
			      (int)strlen(want[i]) - 1, want[i], out);
	free(out);
}
END_TEST

/* STF_ALLOCATOR functions: what each call returns is typed by the call
 * site after the call (a sub-object of the allocator's own block, or the
 * whole block of a plain wrapper); the blocks allocated inside keep the
 * allocator's own sites; an allocator of a library built without the
 * plugin that allocates nothing leaves nothing pending for the library's
 * next malloc. */
START_TEST(suballoc_runtime)
{
	char path[PATH_MAX], *out;
	snprintf(path, sizeof path, BUILD_DIR "/suballoc-%s", variants[_i].name);
	mkdir(BUILD_DIR, 0755);
	int rc = run(&out, "%s %s -c %s/suballoc-ext.c -o %s-ext.o && "
		     "%s %s %s %s/suballoc.c %s-ext.o -o %s -L%s -lstf -Wl,-rpath,%s && %s",
		     TEST_CC, variants[_i].flags, CORPUS_DIR, path,
		     TEST_CC, plugin_flags(), variants[_i].flags, CORPUS_DIR, path, path,
		     LIBSTF_DIR, LIBSTF_DIR, path);
	ck_assert_msg(rc == 0, "%s", out);
	static const char *const want[] = {
		"obj suballoc.c:main/o#0 struct obj 16\n",
		"hdr suballoc.c:hmalloc/p#0 char 32\n",
		"plain suballoc.c:main/w#0 struct obj 16\n",
		"slab1 suballoc.c:main/s2#0 struct obj 16\n",
		"again suballoc.c:main/again#0 struct obj 16\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(out, want[i]), "missing \"%.*s\" in:\n%s",
			      (int)strlen(want[i]) - 1, want[i], out);
	/* the library's block: its own external site, not main's */
	ck_assert_msg(strstr(out, "lib suballoc-") && !strstr(out, "lib suballoc.c:"),
		      "the library's malloc took a pending site:\n%s", out);
	free(out);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Allocator wrappers found without STF_ALLOCATOR                       */

START_TEST(autowrap_records)
{
	struct elfmeta *em = open_meta(build("autowrap", _i));
	const struct stf_meta_unit *u;
	const struct stf_site_rec *s;
	const unsigned wrapper = STF_SF_WRAPPER | STF_SF_AUTOWRAP;

	/* Unannotated static wrappers: sites of their callers, typed by
	 * the callers' destinations. */
	s = site(em, "autowrap.c:main/c#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "xmalloc");
	ck_assert_str_eq(name(u, s->dest), "c");
	ck_assert_str_eq(name(u, s->func), "main");
	ck_assert_str_eq(name(u, type(u, s->type)->name), "conn");
	ck_assert_uint_eq(s->count, 1);
	ck_assert_uint_eq(s->flags & ~STF_SF_INLINED, wrapper | STF_SF_CONSTCNT);
	ck_assert_uint_eq(s->line, source_line("autowrap.c", "c = xmalloc"));

	/* A wrapper of a wrapper that fills the block first. */
	s = site(em, "autowrap.c:main/struct conn.name#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "xstrdup");
	ck_assert_int_ne(type(u, s->type)->flags & STF_TF_CHAR, 0);
	ck_assert_uint_eq(s->flags & wrapper, wrapper);

	/* realloc-like wrappers stay realloc-like, also where GCC folds
	 * realloc (NULL, n) into malloc (n). */
	for (int k = 0; k < 2; k++) {
		s = site(em, k ? "autowrap.c:main/v#1" : "autowrap.c:main/v#0", &u);
		ck_assert_str_eq(name(u, s->allocator), "xrealloc");
		ck_assert_str_eq(name(u, type(u, s->type)->name), "int");
		ck_assert_uint_eq(s->count, k ? 8 : 4);
		ck_assert_uint_eq(s->flags & ~STF_SF_INLINED,
				  wrapper | STF_SF_REALLOC | STF_SF_CONSTCNT);
	}
	if (variants[_i].optimize == 0)
		ck_assert_uint_eq(s->flags & STF_SF_INLINED, 0);

	/* Defined in the other unit, declared with the malloc attribute
	 * here: alloc_size gives the count. */
	s = site(em, "autowrap.c:main/big#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "lib_alloc");
	ck_assert_str_eq(name(u, type(u, s->type)->name), "item");
	ck_assert_uint_eq(s->count, 2);
	ck_assert_uint_eq(s->flags, wrapper | STF_SF_CONSTCNT);
	s = site(em, "autowrap.c:main/nm#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "lib_name");
	ck_assert_uint_eq(s->flags, wrapper);
	ck_assert_int_ne(type(u, s->type)->flags & STF_TF_CHAR, 0);

	/* May return a static buffer: its malloc is its own site. */
	s = site(em, "autowrap.c:scratch/return#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "malloc");
	ck_assert_uint_eq(s->flags & STF_SF_WRAPPER, 0);

	/* A store through a pointer does not name a site, a named local
	 * does; a void * local leaves the type to the store. */
	s = site(em, "autowrap.c:fill/fresh#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "xmalloc");
	ck_assert_str_eq(name(u, type(u, s->type)->name), "item");
	s = site(em, "autowrap.c:fill/raw#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "malloc");
	ck_assert_str_eq(name(u, type(u, s->type)->name), "conn");

	s = site(em, "autowrap.c:main/checked#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "dup_nonempty");
	ck_assert_int_ne(type(u, s->type)->flags & STF_TF_CHAR, 0);
	ck_assert_uint_eq(s->flags & wrapper, wrapper);

	/* A static wrapper whose address is taken: its direct callers are
	 * the sites, and it keeps one for calls through pointers. */
	s = site(em, "autowrap.c:main/direct#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "pool_alloc");
	ck_assert_str_eq(name(u, type(u, s->type)->name), "conn");
	ck_assert_uint_eq(s->flags & ~STF_SF_INLINED,
			  wrapper | STF_SF_ZEROED | STF_SF_CONSTCNT);
	s = site(em, "autowrap.c:pool_alloc/return#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "calloc");

	/* Nothing else inside the static wrappers; lib_zalloc, a wrapper this
	 * unit does not know, and fopen (malloc attribute in a system
	 * header) are no sites here. */
	u = unit_of(em, "autowrap.c");
	ck_assert_uint_eq(u->nsites, 12);
	for (uint32_t i = 0; i < u->nsites; i++) {
		const char *fn = name(u, u->sites[i].func);
		ck_assert_msg(strcmp(fn, "xmalloc") && strcmp(fn, "xrealloc")
			      && strcmp(fn, "xstrdup"), "site in wrapper %s", fn);
		ck_assert_str_ne(name(u, u->sites[i].allocator), "lib_zalloc");
		ck_assert_str_ne(name(u, u->sites[i].allocator), "fopen");
	}

	/* In its own unit lib_zalloc is a wrapper of its callers there, and
	 * keeps a site of its own for callers that do not know it. */
	s = site(em, "autowrap-lib.c:lib_items/return#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "lib_zalloc");
	ck_assert_str_eq(name(u, type(u, s->type)->name), "item");
	ck_assert_uint_eq(s->flags & ~STF_SF_INLINED,
			  wrapper | STF_SF_ZEROED | STF_SF_CONSTCNT);
	s = site(em, "autowrap-lib.c:lib_zalloc/return#0", &u);
	ck_assert_str_eq(name(u, s->allocator), "calloc");
	ck_assert_uint_eq(unit_of(em, "autowrap-lib.c")->nsites, 4);
	elfmeta_close(em);
}
END_TEST

/* Each block is attributed to the caller of the wrapper; a wrapper's own
 * site only where its caller did not mark the call. */
START_TEST(autowrap_runtime_attribution)
{
	char *out;
	ck_assert_int_eq(run(&out, "./%s", build("autowrap", _i)), 0);
	static const char *const want[] = {
		"v autowrap.c:main/v#0\n",
		"c autowrap.c:main/c#0\n",
		"name autowrap.c:main/struct conn.name#0\n",
		"v2 autowrap.c:main/v#1\n",
		"big autowrap.c:main/big#0\n",
		"nm autowrap.c:main/nm#0\n",
		"z autowrap-lib.c:lib_zalloc/return#0\n",
		"it autowrap-lib.c:lib_items/return#0\n",
		"buf autowrap.c:scratch/return#0\n",
		"filled autowrap.c:fill/fresh#0\n",
		"filledc autowrap.c:fill/raw#0\n",
		"checked autowrap.c:main/checked#0\n",
		"direct autowrap.c:main/direct#0\n",
		"indirect autowrap.c:pool_alloc/return#0\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(out, want[i]), "missing \"%.*s\" in:\n%s",
			      (int)strlen(want[i]) - 1, want[i], out);
	free(out);
}
END_TEST

void add_object_and_site_cases(Suite *s)
{
	plugin_add_case(s, "objects", objects_ids_and_addresses, 1);
	plugin_add_case(s, "sites_records", sites_records, 1);
	plugin_add_case(s, "sites_runtime", sites_runtime_attribution, 1);
	plugin_add_case(s, "sites_same", sites_same_at_every_level, 1);
	plugin_add_case(s, "suballoc_runtime", suballoc_runtime, 1);
	plugin_add_case(s, "autowrap", autowrap_records, 1);
	plugin_add_case(s, "autowrap_runtime", autowrap_runtime_attribution, 1);
}
