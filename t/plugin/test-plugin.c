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
 * allocations to at run time.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elfmeta.h"
#include "meta.h"
#include "types.h"

#define BUILD_DIR "plugin-build"

struct variant {
	const char *name;
	const char *flags;
	int optimize;
	int debug;
};

static const struct variant variants[] = {
	{ "O0-pie-g", "-O0 -g -fPIE -pie", 0, 1 },
	{ "O1-nopie-g", "-O1 -g -fno-pie -no-pie", 1, 1 },
	{ "O2-pie-g-gc", "-O2 -g -fPIE -pie -ffunction-sections -fdata-sections "
	  "-Wl,--gc-sections", 2, 1 },
	{ "O3-nopie-gc", "-O3 -fno-pie -no-pie -ffunction-sections -fdata-sections "
	  "-Wl,--gc-sections", 3, 0 },
	{ "O2-pie", "-O2 -fPIE -pie", 2, 0 },
};
#define NVARIANTS ((int)(sizeof variants / sizeof variants[0]))

/* ------------------------------------------------------------------ */
/* Running commands                                                     */

/* Run a shell command; its stdout and stderr go to *out (malloc'ed). */
static int run(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int run(char **out, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);

	char full[8300];
	snprintf(full, sizeof full, "LC_ALL=C; export LC_ALL; ( %s ) 2>&1", cmd);
	FILE *p = popen(full, "r");
	ck_assert_msg(p, "popen: %s", strerror(errno));
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	int st = pclose(p);
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *plugin_flags(void)
{
	static char flags[1024];
	snprintf(flags, sizeof flags, "-fplugin=%s -I%s -I%s -Wall", STF_PLUGIN_SO,
		 LIBSTF_INC, CORPUS_DIR);
	return flags;
}

static const char *sources(const char *prog)
{
	static char src[1024];
	if (!strcmp(prog, "multi") || !strcmp(prog, "opaque") || !strcmp(prog, "autowrap"))
		snprintf(src, sizeof src, "%s/%s%s.c %s/%s-lib.c", CORPUS_DIR, prog,
			 strcmp(prog, "autowrap") ? "-main" : "", CORPUS_DIR, prog);
	else
		snprintf(src, sizeof src, "%s/%s.c", CORPUS_DIR, prog);
	return src;
}

/* Programs that call into libstf link with the build tree's libstf. */
static const char *libs(const char *prog)
{
	static char l[1024];
	if (!strcmp(prog, "sites") || !strcmp(prog, "frames") || !strcmp(prog, "autowrap"))
		snprintf(l, sizeof l, "-L%s -lstf -Wl,-rpath,%s", LIBSTF_DIR, LIBSTF_DIR);
	else
		l[0] = '\0';
	return l;
}

/* Build prog in variant v once; returns the binary's path.  The compiler
 * output is kept next to it in PATH.log. */
static const char *build(const char *prog, int v)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof path, BUILD_DIR "/%s-%s", prog, variants[v].name);
	if (access(path, X_OK) == 0)
		return path;
	mkdir(BUILD_DIR, 0755);
	char *out;
	int rc = run(&out, "%s %s %s %s -o %s.tmp %s > %s.log 2>&1; rc=$?; cat %s.log; "
		     "[ $rc = 0 ] && mv %s.tmp %s",
		     TEST_CC, plugin_flags(), variants[v].flags, sources(prog), path,
		     libs(prog), path, path, path, path);
	ck_assert_msg(rc == 0, "building %s (%s) failed:\n%s", prog, variants[v].name, out);
	free(out);
	return path;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Line of the first line of a corpus file containing needle. */
static unsigned source_line(const char *file, const char *needle)
{
	char path[PATH_MAX], line[1024];
	snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, file);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	unsigned n = 0;
	while (fgets(line, sizeof line, f)) {
		n++;
		if (strstr(line, needle)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	ck_abort_msg("%s not found in %s", needle, file);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reading metadata                                                     */

static struct elfmeta *open_meta(const char *path)
{
	enum elfmeta_status st;
	char err[1024];
	struct elfmeta *em = elfmeta_open(path, &st, err, sizeof err);
	ck_assert_msg(em, "%s", err);
	return em;
}

static const struct stf_object_rec *object(struct elfmeta *em, const char *id,
					   const struct stf_meta_unit **u)
{
	uint32_t i;
	ck_assert_msg(stf_meta_find_object(elfmeta_meta(em), id, u, &i) == 0,
		      "object %s missing", id);
	return &(*u)->objects[i];
}

static const struct stf_site_rec *site(struct elfmeta *em, const char *id,
				       const struct stf_meta_unit **u)
{
	uint32_t i;
	ck_assert_msg(stf_meta_find_site(elfmeta_meta(em), id, u, &i) == 0,
		      "site %s missing", id);
	return &(*u)->sites[i];
}

static const struct stf_type_rec *type(const struct stf_meta_unit *u, uint32_t t)
{
	ck_assert_msg(t < u->ntypes, "type index %u out of range", t);
	return &u->types[t];
}

/* The type after typedefs. */
static const struct stf_type_rec *bare(const struct stf_meta_unit *u, uint32_t t)
{
	return type(u, stf_meta_strip_typedefs(u, t));
}

static const char *name(const struct stf_meta_unit *u, uint32_t off)
{
	return stf_meta_str(u, off);
}

static const struct stf_member_rec *member(const struct stf_meta_unit *u,
					   const struct stf_type_rec *t, const char *m)
{
	for (uint32_t i = 0; i < t->nmembers; i++)
		if (!strcmp(name(u, u->members[t->members + i].name), m))
			return &u->members[t->members + i];
	ck_abort_msg("member %s missing in %s", m, name(u, t->name));
	return NULL;
}

static void read_at(struct elfmeta *em, uint64_t addr, void *buf, size_t len)
{
	ck_assert_msg(elfmeta_read(em, addr, buf, len) == 0,
		      "cannot read %zu bytes at %#llx", len, (unsigned long long)addr);
}

static uint64_t addr_of(const struct stf_meta_unit *u, const struct stf_object_rec *o)
{
	return u->addrs[o - u->objects];
}

/* First set bit of an object representation (bit-field positions). */
static unsigned first_bit(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < 8; j++)
			if (b[i] & (1u << j))
				return (unsigned)(i * 8 + j);
	return ~0u;
}

/* ------------------------------------------------------------------ */
/* Types                                                                */

START_TEST(types_outer)
{
	struct elfmeta *em = open_meta(build("types", _i));
	const struct stf_meta_unit *u;
	const struct stf_object_rec *o = object(em, "outer_ptr", &u);
	const struct stf_type_rec *p = type(u, o->type);
	ck_assert_int_eq(p->kind, STF_K_POINTER);
	const struct stf_type_rec *td = type(u, p->target);
	ck_assert_int_eq(td->kind, STF_K_TYPEDEF);
	ck_assert_str_eq(name(u, td->name), "outer_t");
	const struct stf_type_rec *s = bare(u, p->target);
	uint32_t s_idx = (uint32_t)(s - u->types);
	ck_assert_int_eq(s->kind, STF_K_STRUCT);
	ck_assert_str_eq(name(u, s->name), "outer");
	ck_assert_uint_eq(s->size, sizeof(struct outer));
	ck_assert_uint_eq(s->align, _Alignof(struct outer));

	ck_assert_int_eq(member(u, s, "id")->offset, offsetof(struct outer, id));
	const struct stf_member_rec *in = member(u, s, "in");
	ck_assert_int_eq(in->offset, offsetof(struct outer, in));
	ck_assert_str_eq(name(u, type(u, in->type)->name), "inner");
	ck_assert_uint_eq(type(u, in->type)->size, sizeof(struct inner));

	/* The anonymous union member: no name, a union with i and f. */
	const struct stf_member_rec *anon = member(u, s, "");
	ck_assert_int_eq(anon->offset, offsetof(struct outer, i));
	const struct stf_type_rec *un = type(u, anon->type);
	ck_assert_int_eq(un->kind, STF_K_UNION);
	ck_assert_uint_eq(un->nmembers, 2);
	ck_assert_int_eq(member(u, un, "f")->offset, 0);

	const struct stf_member_rec *as = member(u, s, "anon_s");
	ck_assert_int_eq(as->offset, offsetof(struct outer, anon_s));
	const struct stf_type_rec *ast = type(u, as->type);
	ck_assert_int_eq(ast->kind, STF_K_STRUCT);
	ck_assert_uint_eq(ast->name, 0);
	ck_assert_int_eq(member(u, ast, "v")->offset,
			 offsetof(struct outer, anon_s.v) - offsetof(struct outer, anon_s));

	/* int grid[3][4] */
	const struct stf_member_rec *grid = member(u, s, "grid");
	ck_assert_int_eq(grid->offset, offsetof(struct outer, grid));
	const struct stf_type_rec *g1 = type(u, grid->type);
	ck_assert_int_eq(g1->kind, STF_K_ARRAY);
	ck_assert_uint_eq(g1->count, 3);
	ck_assert_uint_eq(g1->size, sizeof(((struct outer *)0)->grid));
	const struct stf_type_rec *g2 = type(u, g1->target);
	ck_assert_int_eq(g2->kind, STF_K_ARRAY);
	ck_assert_uint_eq(g2->count, 4);
	ck_assert_str_eq(name(u, type(u, g2->target)->name), "int");

	/* The self reference points back at the same record. */
	const struct stf_member_rec *next = member(u, s, "next");
	ck_assert_int_eq(next->offset, offsetof(struct outer, next));
	ck_assert_int_eq(type(u, next->type)->kind, STF_K_POINTER);
	ck_assert_uint_eq(type(u, next->type)->target, s_idx);

	/* void (*handler)(int, const char *) */
	const struct stf_member_rec *h = member(u, s, "handler");
	ck_assert_int_eq(h->offset, offsetof(struct outer, handler));
	const struct stf_type_rec *fn = type(u, type(u, h->type)->target);
	ck_assert_int_eq(fn->kind, STF_K_FUNCTION);
	ck_assert_int_eq(type(u, fn->target)->kind, STF_K_VOID);
	ck_assert_uint_eq(fn->nmembers, 2);
	ck_assert_int_eq(fn->flags & STF_TF_VARIADIC, 0);
	const struct stf_type_rec *arg1 = type(u, u->members[fn->members + 1].type);
	ck_assert_int_eq(arg1->kind, STF_K_POINTER);
	ck_assert_uint_eq(type(u, arg1->target)->quals, STF_Q_CONST);
	ck_assert_int_ne(type(u, arg1->target)->flags & STF_TF_CHAR, 0);

	const struct stf_member_rec *len = member(u, s, "len");
	ck_assert_str_eq(name(u, type(u, len->type)->name), "size_t");
	ck_assert_int_eq(type(u, len->type)->kind, STF_K_TYPEDEF);
	ck_assert_uint_eq(bare(u, len->type)->size, sizeof(size_t));

	const struct stf_member_rec *data = member(u, s, "data");
	ck_assert_int_eq(data->offset, offsetof(struct outer, data));
	ck_assert_int_eq(type(u, data->type)->kind, STF_K_ARRAY);
	ck_assert_int_ne(type(u, data->type)->flags & STF_TF_FLEXIBLE, 0);
	ck_assert_uint_eq(type(u, data->type)->count, 0);
	elfmeta_close(em);
}
END_TEST

START_TEST(types_bitfields)
{
	struct elfmeta *em = open_meta(build("types", _i));
	const struct stf_meta_unit *u;
	const struct stf_object_rec *o = object(em, "flags_v", &u);
	const struct stf_type_rec *t = bare(u, o->type);
	ck_assert_str_eq(name(u, t->name), "flags");
	/* a, b, c, d, e: the unnamed :0 bit-field is padding, not a member. */
	ck_assert_uint_eq(t->nmembers, 5);

	/* Where the host compiler puts each bit-field: the first bit set. */
	struct flags f;
#define FIRST_BIT(field, value) \
	(memset(&f, 0, sizeof f), f.field = (value), first_bit(&f, sizeof f))
	const struct {
		const char *name;
		unsigned width, pos;
		int sign;
	} want[4] = {
		{ "a", 3, FIRST_BIT(a, 7), 0 },
		{ "b", 5, FIRST_BIT(b, 31), 0 },
		{ "c", 4, FIRST_BIT(c, -1), 1 },
		{ "d", 1, FIRST_BIT(d, 1), 0 },
	};
#undef FIRST_BIT
	for (int i = 0; i < 4; i++) {
		const struct stf_member_rec *m = member(u, t, want[i].name);
		ck_assert_uint_eq(m->bit_size, want[i].width);
		ck_assert_uint_eq(m->offset * 8 + m->bit_offset, want[i].pos);
		ck_assert_uint_lt(m->bit_offset, 8);
		ck_assert_int_eq(!!(type(u, m->type)->flags & STF_TF_SIGNED), want[i].sign);
	}
	const struct stf_member_rec *e = member(u, t, "e");
	ck_assert_int_eq(e->offset, offsetof(struct flags, e));
	ck_assert_uint_eq(e->bit_size, 0);
	elfmeta_close(em);
}
END_TEST

START_TEST(types_enums_and_primitives)
{
	struct elfmeta *em = open_meta(build("types", _i));
	const struct stf_meta_unit *u;

	const struct stf_object_rec *o = object(em, "level_v", &u);
	ck_assert_str_eq(name(u, type(u, o->type)->name), "level_t");
	const struct stf_type_rec *en = bare(u, o->type);
	ck_assert_int_eq(en->kind, STF_K_ENUM);
	ck_assert_str_eq(name(u, en->name), "level");
	ck_assert_int_ne(en->flags & STF_TF_SIGNED, 0);
	ck_assert_uint_eq(en->size, sizeof(enum level));
	ck_assert_uint_eq(en->nmembers, 4);
	ck_assert_int_eq(member(u, en, "LOW")->offset, LOW);
	ck_assert_int_eq(member(u, en, "MID")->offset, MID);
	ck_assert_int_eq(member(u, en, "HIGH")->offset, HIGH);
	ck_assert_int_eq(member(u, en, "TOP")->offset, TOP);
	ck_assert_uint_eq(member(u, en, "TOP")->type, STF_NONE);

	static const struct {
		const char *obj;
		int kind;
		unsigned flags;
		uint64_t size;
	} prims[] = {
		{ "bool_v", STF_K_INT, STF_TF_BOOL, sizeof(bool) },
		{ "char_v", STF_K_INT, STF_TF_CHAR | STF_TF_SIGNED, 1 },
		{ "schar_v", STF_K_INT, STF_TF_CHAR | STF_TF_SIGNED, 1 },
		{ "uchar_v", STF_K_INT, STF_TF_CHAR, 1 },
		{ "short_v", STF_K_INT, STF_TF_SIGNED, sizeof(short) },
		{ "ull_v", STF_K_INT, 0, sizeof(unsigned long long) },
		{ "float_v", STF_K_FLOAT, 0, sizeof(float) },
		{ "double_v", STF_K_FLOAT, 0, sizeof(double) },
		{ "ld_v", STF_K_FLOAT, 0, sizeof(long double) },
		{ "cplx_v", STF_K_COMPLEX, 0, sizeof(_Complex double) },
		{ "vec_v", STF_K_VECTOR, 0, sizeof(v4si) },
	};
	for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
		const struct stf_object_rec *p = object(em, prims[i].obj, &u);
		const struct stf_type_rec *t = bare(u, p->type);
		ck_assert_msg(t->kind == prims[i].kind, "%s: kind %d", prims[i].obj, t->kind);
		ck_assert_msg((t->flags & (STF_TF_BOOL | STF_TF_CHAR | STF_TF_SIGNED)) ==
			      prims[i].flags, "%s: flags %#x", prims[i].obj, t->flags);
		ck_assert_msg(t->size == prims[i].size, "%s: size %llu", prims[i].obj,
			      (unsigned long long)t->size);
		ck_assert_uint_eq(p->size, prims[i].size);
	}
	const struct stf_type_rec *vec = bare(u, object(em, "vec_v", &u)->type);
	ck_assert_uint_eq(vec->count, 4);
	ck_assert_str_eq(name(u, type(u, vec->target)->name), "int");
	ck_assert_int_eq(type(u, bare(u, object(em, "cplx_v", &u)->type)->target)->kind,
			 STF_K_FLOAT);

	/* int (*fp_v)(const char *, ...) */
	const struct stf_type_rec *fn = type(u, bare(u, object(em, "fp_v", &u)->type)->target);
	ck_assert_int_eq(fn->kind, STF_K_FUNCTION);
	ck_assert_int_ne(fn->flags & STF_TF_VARIADIC, 0);
	ck_assert_uint_eq(fn->nmembers, 1);
	ck_assert_str_eq(name(u, type(u, fn->target)->name), "int");

	const struct stf_object_rec *cv = object(em, "cv_v", &u);
	ck_assert_uint_eq(type(u, cv->type)->quals, STF_Q_CONST | STF_Q_VOLATILE);
	ck_assert_int_ne(cv->flags & STF_OF_READONLY, 0);

	/* int matrix[2][3][4] */
	const struct stf_type_rec *m = type(u, object(em, "matrix", &u)->type);
	uint64_t dims[3] = { 2, 3, 4 };
	ck_assert_uint_eq(m->size, sizeof(int[2][3][4]));
	for (int d = 0; d < 3; d++) {
		ck_assert_int_eq(m->kind, STF_K_ARRAY);
		ck_assert_uint_eq(m->count, dims[d]);
		m = type(u, m->target);
	}
	ck_assert_str_eq(name(u, m->name), "int");

	const struct stf_type_rec *fwd = type(u, type(u, object(em, "fwd_ptr", &u)->type)->target);
	ck_assert_int_eq(fwd->kind, STF_K_STRUCT);
	ck_assert_int_ne(fwd->flags & STF_TF_INCOMPLETE, 0);
	ck_assert_uint_eq(fwd->size, 0);
	elfmeta_close(em);
}
END_TEST

START_TEST(types_annotations)
{
	struct elfmeta *em = open_meta(build("types", _i));
	const struct stf_meta_unit *u;
	const struct stf_type_rec *holder = bare(u, object(em, "holder_v", &u)->type);
	ck_assert_int_ne(holder->flags & STF_TF_AMBIGUOUS, 0);
	const struct stf_type_rec *ok = bare(u, object(em, "ok_v", &u)->type);
	ck_assert_int_eq(ok->flags & STF_TF_AMBIGUOUS, 0);
	ck_assert_int_ne(ok->flags & STF_TF_OPAQUE, 0);
	/* STF_IXFER on a typedef: the typedef record is opaque. */
	const struct stf_object_rec *tg = object(em, "tagged_v", &u);
	ck_assert_int_eq(type(u, tg->type)->kind, STF_K_TYPEDEF);
	ck_assert_int_ne(type(u, tg->type)->flags & STF_TF_OPAQUE, 0);
	ck_assert_int_ne(tg->flags & STF_OF_IXFER, 0);
	ck_assert_int_ne(bare(u, object(em, "named_v", &u)->type)->flags & STF_TF_AMBIGUOUS, 0);
	const struct stf_type_rec *op = bare(u, object(em, "opaque_v", &u)->type);
	ck_assert_int_ne(op->flags & STF_TF_OPAQUE, 0);
	const struct stf_type_rec *an = bare(u, object(em, "annotated_v", &u)->type);
	ck_assert_uint_eq(member(u, an, "raw")->flags, STF_MF_IXFER);
	ck_assert_uint_eq(member(u, an, "handle")->flags, STF_MF_PXFER);
	/* a union of function pointers is one function pointer */
	const struct stf_type_rec *cb = bare(u, object(em, "callbacks_v", &u)->type);
	ck_assert_int_eq(cb->flags & STF_TF_AMBIGUOUS, 0);
	ck_assert_int_ne(cb->flags & STF_TF_FUNCTIONS, 0);
	const struct stf_type_rec *mx = bare(u, object(em, "mixed_v", &u)->type);
	ck_assert_int_ne(mx->flags & STF_TF_AMBIGUOUS, 0);
	ck_assert_int_eq(mx->flags & STF_TF_FUNCTIONS, 0);
	/* a struct of a system header is flagged, the program's own are not */
	ck_assert_int_ne(bare(u, object(em, "system_v", &u)->type)->flags & STF_TF_SYSTEM, 0);
	ck_assert_int_eq(cb->flags & STF_TF_SYSTEM, 0);
	ck_assert_int_eq(holder->flags & STF_TF_SYSTEM, 0);
	elfmeta_close(em);
}
END_TEST

/* Equal types are one record; the hash of a type is the same whatever the
 * optimization level, and in every unit (see multi_units). */
START_TEST(types_dedup_and_hash)
{
	struct elfmeta *em = open_meta(build("types", _i));
	const struct stf_meta_unit *u = &elfmeta_meta(em)->units[0];
	for (uint32_t a = 0; a < u->ntypes; a++)
		for (uint32_t b = a + 1; b < u->ntypes; b++) {
			const struct stf_type_rec *x = &u->types[a], *y = &u->types[b];
			if (x->hash != y->hash || x->quals != y->quals || x->target != y->target
			    || x->nmembers != y->nmembers)
				continue;
			int same = 1;
			for (uint32_t i = 0; i < x->nmembers; i++)
				if (memcmp(&u->members[x->members + i], &u->members[y->members + i],
					   sizeof(struct stf_member_rec)))
					same = 0;
			ck_assert_msg(!same, "types %u and %u are duplicates", a, b);
		}

	struct elfmeta *ref = open_meta(build("types", 0));
	const struct stf_meta_unit *ru;
	uint64_t want = bare(ru, object(ref, "outer_ptr", &ru)->type)->hash;
	ck_assert_uint_eq(bare(u, object(em, "outer_ptr", &u)->type)->hash, want);
	want = bare(ru, object(ref, "flags_v", &ru)->type)->hash;
	ck_assert_uint_eq(bare(u, object(em, "flags_v", &u)->type)->hash, want);
	/* And different types hash differently. */
	ck_assert_uint_ne(bare(u, object(em, "flags_v", &u)->type)->hash,
			  bare(u, object(em, "outer_ptr", &u)->type)->hash);
	elfmeta_close(ref);
	elfmeta_close(em);
}
END_TEST

/* Types declared in two functions under one name stay two types, each
 * named with its scope, and their allocation sites are typed apart. */
START_TEST(types_function_scope)
{
	struct elfmeta *em = open_meta(build("scopes", _i));
	const struct stf_meta_unit *u, *u2;
	const struct stf_type_rec *uc = bare(u, object(em, "scopes.c:user_name/cache", &u)->type);
	const struct stf_type_rec *gc = bare(u2, object(em, "scopes.c:group_name/cache", &u2)->type);
	ck_assert_int_eq(uc->kind, STF_K_POINTER);
	ck_assert_int_eq(gc->kind, STF_K_POINTER);
	ck_assert_uint_ne(uc->target, gc->target);
	const struct stf_type_rec *us = bare(u, uc->target), *gs = bare(u, gc->target);
	ck_assert_str_eq(name(u, us->name), "scopes.c:user_name/ncache");
	ck_assert_str_eq(name(u, gs->name), "scopes.c:group_name/ncache");
	ck_assert_uint_eq(us->nmembers, 2);
	ck_assert_uint_eq(gs->nmembers, 3);
	ck_assert_str_eq(name(u, u->members[us->members].name), "uid");
	ck_assert_str_eq(name(u, u->members[gs->members].name), "gid");
	ck_assert_uint_ne(us->hash, gs->hash);
	ck_assert_uint_ne(uc->hash, gc->hash);
	/* typedefs of one name in two functions */
	const struct stf_type_rec *ut = type(u, object(em, "scopes.c:user_name/slots", &u)->type);
	const struct stf_type_rec *gt = type(u, object(em, "scopes.c:group_name/slots", &u)->type);
	ck_assert_str_eq(name(u, ut->name), "scopes.c:user_name/slot_t");
	ck_assert_str_eq(name(u, gt->name), "scopes.c:group_name/slot_t");
	ck_assert_int_eq(bare(u, ut - u->types)->kind, STF_K_INT);
	ck_assert_int_eq(bare(u, gt - u->types)->kind, STF_K_ARRAY);
	/* sites allocate each its own struct */
	const struct stf_site_rec *s = site(em, "scopes.c:user_name/cache#0", &u);
	ck_assert_uint_eq(bare(u, s->type) - u->types, us - u->types);
	s = site(em, "scopes.c:group_name/cache#0", &u);
	ck_assert_uint_eq(bare(u, s->type) - u->types, gs - u->types);
	elfmeta_close(em);
}
END_TEST

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

	ck_assert_uint_eq(u->nsites, 15);
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

/* The unit of a corpus file in a binary. */
static const struct stf_meta_unit *unit_of(struct elfmeta *em, const char *file)
{
	const struct stf_meta *m = elfmeta_meta(em);
	for (uint32_t k = 0; k < m->nunits; k++)
		if (!strcmp(name(&m->units[k], m->units[k].blob->file), file))
			return &m->units[k];
	ck_abort_msg("no unit %s", file);
	return NULL;
}

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

/* ------------------------------------------------------------------ */
/* Update-point frames                                                  */

START_TEST(frames_locals)
{
	const char *bin = build("frames", _i);
	struct elfmeta *em = open_meta(bin);
	const struct stf_meta_unit *u = &elfmeta_meta(em)->units[0];
	ck_assert_uint_eq(u->nframes, 1);
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
	/* -save-temps: the plugin also runs on the preprocessed file. */
	rc = run(&out, "cd " BUILD_DIR " && %s %s -O2 -save-temps %s -o saved %s",
		 TEST_CC, plugin_flags(), sources("frames"), libs("frames"));
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	struct elfmeta *em = open_meta(BUILD_DIR "/saved");
	ck_assert_uint_eq(elfmeta_meta(em)->units[0].nframes, 1);
	elfmeta_close(em);
	/* With -Werror the pointer-union diagnostic is a note, not an error. */
	rc = run(&out, "%s %s -Werror -fsyntax-only %s", TEST_CC, plugin_flags(),
		 sources("types"));
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

static Suite *plugin_suite(void)
{
	Suite *s = suite_create("plugin");
	struct {
		const char *name;
		const TTest *test;
		int loop;
	} cases[] = {
		{ "types_outer", types_outer, 1 },
		{ "types_bitfields", types_bitfields, 1 },
		{ "types_enums_and_primitives", types_enums_and_primitives, 1 },
		{ "types_annotations", types_annotations, 1 },
		{ "types_dedup_and_hash", types_dedup_and_hash, 1 },
		{ "types_function_scope", types_function_scope, 1 },
		{ "objects", objects_ids_and_addresses, 1 },
		{ "sites_records", sites_records, 1 },
		{ "sites_runtime", sites_runtime_attribution, 1 },
		{ "sites_same", sites_same_at_every_level, 1 },
		{ "suballoc_runtime", suballoc_runtime, 1 },
		{ "autowrap", autowrap_records, 1 },
		{ "autowrap_runtime", autowrap_runtime_attribution, 1 },
		{ "frames", frames_locals, 1 },
		{ "wait_points", wait_points, 1 },
		{ "multi", multi_units, 1 },
		{ "opaque", opaque_types, 1 },
		{ "verify", stf_meta_verify, 1 },
		{ "separate_steps", separate_steps, 0 },
		{ "unknown_argument", unknown_argument_rejected, 0 },
		{ "disable", disable_keeps_attributes, 0 },
		{ "macro", macro_defined_for_preprocessing, 0 },
		{ "union_warning", pointer_union_warning, 0 },
		{ "other_build_modes", other_build_modes, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_set_timeout(tc, 120);
		if (cases[i].loop)
			tcase_add_loop_test(tc, cases[i].test, 0, NVARIANTS);
		else
			tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
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
