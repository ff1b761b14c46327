/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-types.c - test-plugin's type records: layouts, bit-fields, enums and
 * primitives, annotations, deduplication and hashes, function scopes.
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

void add_type_cases(Suite *s)
{
	plugin_add_case(s, "types_outer", types_outer, 1);
	plugin_add_case(s, "types_bitfields", types_bitfields, 1);
	plugin_add_case(s, "types_enums_and_primitives", types_enums_and_primitives, 1);
	plugin_add_case(s, "types_annotations", types_annotations, 1);
	plugin_add_case(s, "types_dedup_and_hash", types_dedup_and_hash, 1);
	plugin_add_case(s, "types_function_scope", types_function_scope, 1);
}
