/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the metadata reader (libstf/meta.c) on hand-built units:
 * a well-formed unit is read back exactly, and every kind of corruption
 * yields a clean error naming the unit and the offending field.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "meta.h"

/* ------------------------------------------------------------------ */
/* A tiny builder for one unit + blob in this process's memory.        */

#define MAXREC 16

struct builder {
	struct stf_type_rec types[MAXREC];
	struct stf_member_rec members[MAXREC];
	struct stf_object_rec objects[MAXREC];
	struct stf_site_rec sites[MAXREC];
	struct stf_frame_rec frames[MAXREC];
	struct stf_local_rec locals[MAXREC];
	struct stf_use_rec uses[MAXREC];
	uint32_t ntypes, nmembers, nobjects, nsites, nframes, nlocals, nuses;
	char strtab[1024];
	uint32_t strsize;
	/* output */
	uint64_t blob[1024];           /* 8 KiB, 8-byte aligned */
	struct stf_blob_hdr *hdr;
	uint64_t section[4 * 64];      /* room for up to 4 units */
	size_t section_len;
};

static uint32_t str(struct builder *b, const char *s)
{
	uint32_t off = b->strsize;

	if (!off) { /* offset 0 is the empty string */
		b->strtab[0] = '\0';
		off = b->strsize = 1;
	}
	if (!*s)
		return 0;
	strcpy(b->strtab + off, s);
	b->strsize += (uint32_t)strlen(s) + 1;
	return off;
}

static uint32_t type(struct builder *b, const char *name, uint8_t kind,
		     uint32_t target, uint64_t size, uint64_t count)
{
	uint32_t i = b->ntypes++;
	b->types[i] = (struct stf_type_rec){ .name = str(b, name), .kind = kind,
		.target = target, .size = size, .count = count,
		.align = size > 8 ? 8 : (uint32_t)(size ? size : 1),
		.members = b->nmembers };
	return i;
}

static void member(struct builder *b, uint32_t owner, const char *name,
		   uint32_t t, int64_t offset)
{
	b->members[b->nmembers++] = (struct stf_member_rec){ .name = str(b, name),
		.type = t, .offset = offset };
	b->types[owner].nmembers++;
}

static void init_sample(struct builder *b)
{
	memset(b, 0, sizeof *b);
	str(b, "");
	uint32_t t_int = type(b, "int", STF_K_INT, STF_NONE, 4, 0);
	b->types[t_int].flags = STF_TF_SIGNED;
	uint32_t t_char = type(b, "char", STF_K_INT, STF_NONE, 1, 0);
	b->types[t_char].flags = STF_TF_SIGNED | STF_TF_CHAR;
	uint32_t t_entry = type(b, "entry", STF_K_STRUCT, STF_NONE, 16, 0);
	uint32_t t_pentry = type(b, "", STF_K_POINTER, t_entry, 8, 0);
	member(b, t_entry, "key", t_int, 0);
	member(b, t_entry, "next", t_pentry, 8);
	uint32_t t_arr2 = type(b, "", STF_K_ARRAY, t_int, 8, 2);
	uint32_t t_arr42 = type(b, "", STF_K_ARRAY, t_arr2, 32, 4);
	uint32_t t_cchar = type(b, "char", STF_K_INT, STF_NONE, 1, 0);
	b->types[t_cchar].flags = STF_TF_SIGNED | STF_TF_CHAR;
	b->types[t_cchar].quals = STF_Q_CONST;
	uint32_t t_pcchar = type(b, "", STF_K_POINTER, t_cchar, 8, 0);
	uint32_t t_fn = type(b, "", STF_K_FUNCTION, t_int, 1, 0);
	member(b, t_fn, "", t_pcchar, 0);
	b->types[t_fn].flags = STF_TF_VARIADIC;
	uint32_t t_pfn = type(b, "", STF_K_POINTER, t_fn, 8, 0);
	uint32_t t_parr = type(b, "", STF_K_POINTER, t_arr2, 8, 0);
	uint32_t t_color = type(b, "color", STF_K_ENUM, t_int, 4, 0);
	member(b, t_color, "RED", STF_NONE, 0);
	member(b, t_color, "BLUE", STF_NONE, -5);
	uint32_t t_td = type(b, "entry_t", STF_K_TYPEDEF, t_entry, 16, 0);
	uint32_t t_fwd = type(b, "entry", STF_K_STRUCT, STF_NONE, 0, 0);
	b->types[t_fwd].flags = STF_TF_INCOMPLETE;
	(void)t_td;

	b->objects[b->nobjects++] = (struct stf_object_rec){ .id = str(b, "kvd.c:table"),
		.name = str(b, "table"), .type = t_arr42, .kind = STF_O_VAR,
		.line = 10, .size = 32 };
	b->objects[b->nobjects++] = (struct stf_object_rec){ .id = str(b, "kvd.c:handle/count"),
		.name = str(b, "count"), .func = str(b, "handle"), .type = t_int,
		.kind = STF_O_VAR, .flags = STF_OF_LOCAL, .line = 20, .size = 4 };
	b->objects[b->nobjects++] = (struct stf_object_rec){ .id = str(b, "cb"),
		.name = str(b, "cb"), .type = t_pfn, .kind = STF_O_VAR,
		.flags = STF_OF_EXTERN, .line = 30, .size = 8 };
	b->objects[b->nobjects++] = (struct stf_object_rec){ .id = str(b, "rows"),
		.name = str(b, "rows"), .type = t_parr, .kind = STF_O_VAR,
		.flags = STF_OF_EXTERN, .line = 31, .size = 8 };
	b->sites[b->nsites++] = (struct stf_site_rec){ .id = str(b, "kvd.c:put/struct entry.next#0"),
		.func = str(b, "put"), .allocator = str(b, "malloc"),
		.dest = str(b, "struct entry.next"), .type = t_entry, .line = 40,
		.flags = STF_SF_CONSTCNT, .count = 1 };
	b->locals[b->nlocals++] = (struct stf_local_rec){ .name = str(b, "e"), .type = t_pentry };
	b->frames[b->nframes++] = (struct stf_frame_rec){ .func = str(b, "main"),
		.locals = 0, .nlocals = 1, .line = 50 };
	b->uses[b->nuses++] = (struct stf_use_rec){ .type = t_entry, .member = str(b, "data"),
		.used = t_entry };
	b->uses[b->nuses++] = (struct stf_use_rec){ .type = t_entry, .member = str(b, "data"),
		.used = t_entry, .flags = STF_USE_VIA_MEMBER, .via_type = t_entry,
		.via = str(b, "next") };
	b->uses[b->nuses++] = (struct stf_use_rec){ .type = t_entry, .member = str(b, "data"),
		.used = t_entry, .flags = STF_USE_IN_FN, .via_type = STF_NONE,
		.via = str(b, "put") };
}

/* Lay the blob out (header, tables in format order, strtab) and write one
 * unit header at the start of the section. */
static void assemble(struct builder *b)
{
	char *base = (char *)b->blob;
	uint32_t off = sizeof(struct stf_blob_hdr);
	struct stf_unit *u = (struct stf_unit *)b->section;

	memset(b->blob, 0, sizeof b->blob);
	b->hdr = (struct stf_blob_hdr *)base;
	*b->hdr = (struct stf_blob_hdr){ .magic = STF_BLOB_MAGIC,
		.version = STF_FORMAT_VERSION, .file = str(b, "kvd.c"),
		.path = str(b, "src/kvd.c"), .producer = str(b, "test") };
#define PUT(field, arr, n) do { \
		off = (off + 7) & ~7u; \
		b->hdr->field = (struct stf_table){ off, (n) }; \
		memcpy(base + off, (arr), (size_t)(n) * sizeof *(arr)); \
		off += (uint32_t)((n) * sizeof *(arr)); \
	} while (0)
	uint32_t site_ids[MAXREC];
	for (uint32_t i = 0; i < b->nsites; i++)
		site_ids[i] = b->sites[i].id;
	PUT(frames, b->frames, b->nframes);
	PUT(site_ids, site_ids, b->nsites);
	PUT(strtab, b->strtab, b->strsize);
	PUT(sites, b->sites, b->nsites);
	PUT(types, b->types, b->ntypes);
	PUT(members, b->members, b->nmembers);
	PUT(objects, b->objects, b->nobjects);
	PUT(locals, b->locals, b->nlocals);
	PUT(uses, b->uses, b->nuses);
#undef PUT
	off = (off + 7) & ~7u;
	b->hdr->size = off;
	b->hdr->stored = off;
	ck_assert_uint_le(off, sizeof b->blob);

	memset(b->section, 0, sizeof b->section);
	*u = (struct stf_unit){ .magic = STF_UNIT_MAGIC, .version = STF_FORMAT_VERSION,
		.blob_size = off, .site_ids = 0, .nobjects = b->nobjects };
	u->blob = (int64_t)((uintptr_t)base - (uintptr_t)&u->blob);
	for (uint32_t i = 0; i < b->nobjects; i++)
		u->addrs[i] = 0x100 * (int32_t)(i + 1);
	b->section_len = stf_unit_size(b->nobjects);
}

/* Where addrs[i] of the unit at section offset off says object i is. */
static uint64_t object_addr(const struct builder *b, size_t off, uint32_t i)
{
	const struct stf_unit *u = (const struct stf_unit *)((const char *)b->section + off);
	return (uint64_t)(uintptr_t)&u->addrs[i] + (uint64_t)(int64_t)u->addrs[i];
}

/* Deflate what follows byte from of the blob; the blob keeps its size,
 * stores less. */
static void deflate_from(struct builder *b, uint32_t from)
{
	unsigned char packed[sizeof b->blob];
	uLongf n = sizeof packed;
	z_stream z = { 0 };

	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)b->blob + from;
	z.avail_in = b->hdr->size - from;
	z.next_out = packed;
	z.avail_out = (uInt)n;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	n = z.total_out;
	deflateEnd(&z);
	ck_assert_uint_lt(n, b->hdr->size - from);
	memcpy((char *)b->blob + from, packed, n);
	b->hdr->stored = from;
	((struct stf_unit *)b->section)->blob_size = from + n;
}

/* Deflate what follows the string table (types, members, objects,
 * locals), as stf.so does. */
static void deflate_blob(struct builder *b)
{
	deflate_from(b, b->hdr->strtab.off + b->hdr->strtab.count);
}

static struct stf_meta *load(struct builder *b, char *err, size_t errlen)
{
	uint64_t start = (uint64_t)(uintptr_t)b->section;
	return stf_meta_load(stf_meta_read_self, NULL, start, start + b->section_len,
			     err, errlen);
}

/* Load and expect failure whose message contains want. */
static void expect_error(struct builder *b, const char *want)
{
	char err[512] = "";
	struct stf_meta *m = load(b, err, sizeof err);

	ck_assert_msg(m == NULL, "malformed unit accepted (expected '%s')", want);
	ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

static struct builder B; /* large: keep it off the stack */

/* ------------------------------------------------------------------ */

START_TEST(test_wellformed)
{
	char err[512], buf[256];
	const struct stf_meta_unit *u;
	uint32_t i;

	init_sample(&B);
	assemble(&B);
	struct stf_meta *m = load(&B, err, sizeof err);
	ck_assert_msg(m, "load failed: %s", err);
	ck_assert_uint_eq(m->nunits, 1);
	u = &m->units[0];
	ck_assert_uint_eq(u->ntypes, B.ntypes);
	ck_assert_uint_eq(u->nobjects, 4);
	ck_assert_uint_eq(u->nsites, 1);
	ck_assert_uint_eq(u->nframes, 1);
	ck_assert_uint_eq(u->nuses, 3);
	ck_assert_str_eq(stf_meta_str(u, u->uses[0].member), "data");
	ck_assert_uint_eq(u->uses[0].flags, 0);
	ck_assert_uint_eq(u->uses[1].flags, STF_USE_VIA_MEMBER);
	ck_assert_str_eq(stf_meta_str(u, u->uses[1].via), "next");
	ck_assert_uint_eq(u->uses[2].flags, STF_USE_IN_FN);
	ck_assert_str_eq(stf_meta_str(u, u->uses[2].via), "put");
	ck_assert_str_eq(stf_meta_str(u, u->blob->file), "kvd.c");
	ck_assert_uint_eq(u->addrs[2], object_addr(&B, 0, 2));
	ck_assert_uint_eq(u->blob_addr, (uint64_t)(uintptr_t)B.blob);
	/* the copies are independent of the source */
	ck_assert_ptr_ne(u->blob, (void *)B.blob);

	ck_assert_int_eq(stf_meta_find_object(m, "kvd.c:handle/count", &u, &i), 0);
	ck_assert_uint_eq(i, 1);
	ck_assert_str_eq(stf_meta_str(u, u->objects[i].func), "handle");
	ck_assert_int_eq(stf_meta_find_object(m, "kvd.c:nothing", &u, &i), -1);
	ck_assert_int_eq(stf_meta_find_site(m, "kvd.c:put/struct entry.next#0", &u, &i), 0);
	ck_assert_str_eq(stf_meta_str(u, u->sites[i].allocator), "malloc");
	ck_assert_int_eq(stf_meta_find_site(m, "kvd.c:table", &u, &i), -1);

	stf_meta_type_name(u, u->objects[0].type, buf, sizeof buf);
	ck_assert_str_eq(buf, "int [4][2]");
	stf_meta_type_name(u, u->objects[2].type, buf, sizeof buf);
	ck_assert_str_eq(buf, "int (*)(const char *, ...)");
	stf_meta_type_name(u, u->objects[3].type, buf, sizeof buf);
	ck_assert_str_eq(buf, "int (*)[2]");
	stf_meta_type_name(u, u->locals[0].type, buf, sizeof buf);
	ck_assert_str_eq(buf, "struct entry *");
	/* qualifiers of a pointer go after its star */
	{
		struct stf_type_rec *pc = (struct stf_type_rec *)&u->types[7];
		pc->quals = STF_Q_CONST;
		stf_meta_type_name(u, 7, buf, sizeof buf);
		ck_assert_str_eq(buf, "const char *const");
		pc->quals = STF_Q_CONST | STF_Q_VOLATILE;
		stf_meta_type_name(u, 7, buf, sizeof buf);
		ck_assert_str_eq(buf, "const char *const volatile");
		pc->quals = 0;
	}
	stf_meta_type_name(u, 13, buf, sizeof buf);
	ck_assert_str_eq(buf, "struct entry");
	stf_meta_type_name(u, 11, buf, sizeof buf);
	ck_assert_str_eq(buf, "enum color");
	ck_assert_uint_eq(stf_meta_type_name(u, u->objects[0].type, buf, 4), 10);
	ck_assert_str_eq(buf, "int");

	/* struct entry: the complete record wins over the forward one */
	ck_assert_int_eq(stf_meta_find_type(m, "struct entry", &u, &i), 0);
	ck_assert_uint_eq(u->types[i].size, 16);
	ck_assert_uint_eq(u->types[i].nmembers, 2);
	ck_assert_uint_eq(stf_meta_unit_find_type(m, u, "enum color"), 11);
	ck_assert_int_eq(stf_meta_find_type(m, "entry", &u, &i), -1);
	ck_assert_int_eq(stf_meta_find_type(m, "union entry", &u, &i), -1);
	ck_assert_int_eq(stf_meta_find_type(m, "entry_t", &u, &i), 0);
	ck_assert_uint_eq(stf_meta_strip_typedefs(u, i), 2);
	/* char: the unqualified record, not "const char" */
	ck_assert_int_eq(stf_meta_find_type(m, "char", &u, &i), 0);
	ck_assert_uint_eq(u->types[i].quals, 0);
	stf_meta_free(m);
}
END_TEST

START_TEST(test_several_units_and_padding)
{
	char err[512];
	const struct stf_meta_unit *u;
	uint32_t i;
	size_t one;

	init_sample(&B);
	assemble(&B);
	one = B.section_len;
	/* second unit after 16 bytes of zero padding, same blob */
	memcpy((char *)B.section + one + 16, B.section, one);
	((struct stf_unit *)((char *)B.section + one + 16))->addrs[0] = 0x9000;
	((struct stf_unit *)((char *)B.section + one + 16))->blob -= (int64_t)(one + 16);
	B.section_len = 2 * one + 16;
	struct stf_meta *m = load(&B, err, sizeof err);
	ck_assert_msg(m, "load failed: %s", err);
	ck_assert_uint_eq(m->nunits, 2);
	ck_assert_uint_eq(m->units[1].addrs[0], object_addr(&B, one + 16, 0));
	ck_assert_uint_eq(m->units[1].blob_addr, (uint64_t)(uintptr_t)B.blob);
	ck_assert_uint_eq(m->units[1].addr, (uint64_t)(uintptr_t)B.section + one + 16);
	ck_assert_int_eq(stf_meta_find_object(m, "kvd.c:table", &u, &i), 0);
	ck_assert_ptr_eq(u, &m->units[0]); /* first definition wins */
	ck_assert_uint_eq(stf_meta_unit_find_type(m, &m->units[1], "struct entry"), 2);
	stf_meta_free(m);
}
END_TEST

/* A blob whose tables after the strings are deflated reads as the same
 * blob stored whole. */
START_TEST(test_deflated)
{
	char err[512], whole[256], inflated[256];

	init_sample(&B);
	assemble(&B);
	struct stf_meta *m = load(&B, err, sizeof err);
	ck_assert_msg(m, "load failed: %s", err);
	deflate_blob(&B);
	ck_assert_uint_lt(((struct stf_unit *)B.section)->blob_size, B.hdr->size);
	struct stf_meta *d = load(&B, err, sizeof err);
	ck_assert_msg(d, "load of the deflated blob failed: %s", err);
	const struct stf_meta_unit *u = &m->units[0], *v = &d->units[0];
	ck_assert_uint_eq(v->blob->size, u->blob->size);
	ck_assert_uint_lt(v->blob->stored, u->blob->stored);
	ck_assert_int_eq(memcmp(&v->blob->types, &u->blob->types,
				u->blob->size - offsetof(struct stf_blob_hdr, types)), 0);
	ck_assert_uint_eq(v->ntypes, u->ntypes);
	for (uint32_t t = 0; t < u->ntypes; t++) {
		stf_meta_type_name(u, t, whole, sizeof whole);
		stf_meta_type_name(v, t, inflated, sizeof inflated);
		ck_assert_str_eq(inflated, whole);
	}
	ck_assert_int_eq(stf_meta_find_object(d, "kvd.c:handle/count", NULL, NULL), 0);
	stf_meta_free(m);
	stf_meta_free(d);
}
END_TEST

/* A damaged deflated part is an error naming it, never a short blob. */
START_TEST(test_damaged_deflate)
{
	init_sample(&B);
	assemble(&B);
	deflate_blob(&B);
	((struct stf_unit *)B.section)->blob_size -= 4;
	expect_error(&B, "unit 0: the blob's deflated part is damaged");
	assemble(&B);
	deflate_blob(&B);
	B.hdr->size += 8;
	expect_error(&B, "unit 0: the blob's deflated part is damaged");
	assemble(&B);
	deflate_blob(&B);
	B.hdr->size = 0x7fffffff;
	expect_error(&B, "unit 0: blob size 2147483647 is out of range");
	/* site IDs deflated: a running program could not read them */
	assemble(&B);
	deflate_from(&B, B.hdr->site_ids.off);
	expect_error(&B, "unit 0: site IDs or frames lie past the");
	/* a site ID as stored that is not the record's */
	assemble(&B);
	((uint32_t *)((char *)B.blob + B.hdr->site_ids.off))[0] += 1;
	expect_error(&B, "unit 0: site 0: its ID as stored");
	assemble(&B);
	B.hdr->site_ids.count = 0;
	expect_error(&B, "unit 0: 0 site IDs for 1 sites");
}
END_TEST

START_TEST(test_empty_section)
{
	char err[64];
	struct stf_meta *m = stf_meta_load(stf_meta_read_self, NULL, 0x1000, 0x1000,
					   err, sizeof err);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->nunits, 0);
	ck_assert_int_eq(stf_meta_find_object(m, "x", NULL, NULL), -1);
	ck_assert_int_eq(stf_meta_find_type(m, "int", NULL, NULL), -1);
	stf_meta_free(m);
}
END_TEST

START_TEST(test_bad_unit_magic)
{
	init_sample(&B);
	assemble(&B);
	((struct stf_unit *)B.section)->magic ^= 1;
	expect_error(&B, "unit 0: bad unit magic");
}
END_TEST

START_TEST(test_bad_unit_version)
{
	init_sample(&B);
	assemble(&B);
	((struct stf_unit *)B.section)->version = 9;
	expect_error(&B, "unit 0: format version 9, this reader supports 6: rebuild with the "
		     "matching stf.so");
	/* a binary of the previous format (version 5) */
	assemble(&B);
	((struct stf_unit *)B.section)->version = 5;
	expect_error(&B, "unit 0: format version 5, this reader supports 6");
}
END_TEST

START_TEST(test_truncated_section)
{
	init_sample(&B);
	assemble(&B);
	B.section_len -= 8; /* last address missing */
	expect_error(&B, "unit 0: 4 object addresses exceed the section");
	B.section_len = 24;
	expect_error(&B, "unit 0: truncated unit header");
	B.section_len = 12;
	expect_error(&B, "must be a multiple of 8 bytes");
}
END_TEST

START_TEST(test_unreadable_blob)
{
	init_sample(&B);
	assemble(&B);
	/* page 0 is never mapped */
	((struct stf_unit *)B.section)->blob = 8 - (int64_t)(uintptr_t)&((struct stf_unit *)B.section)->blob;
	expect_error(&B, "unit 0: cannot read the blob");
	expect_error(&B, "Bad address");
}
END_TEST

START_TEST(test_unreadable_section)
{
	char err[256];
	struct stf_meta *m = stf_meta_load(stf_meta_read_self, NULL, 16, 64, err, sizeof err);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(err, "cannot read the stf_units section (48 bytes at 0x10)"), "%s", err);
}
END_TEST

START_TEST(test_bad_blob_header)
{
	init_sample(&B);
	assemble(&B);
	B.hdr->magic = 0x12345678;
	expect_error(&B, "unit 0: bad blob magic 0x12345678");
	assemble(&B);
	B.hdr->version = 1;
	expect_error(&B, "unit 0: blob format version 1, this reader supports 6");
	assemble(&B);
	B.hdr->size += 8;
	B.hdr->stored += 8;
	expect_error(&B, "unit 0: blob sizes disagree");
	assemble(&B);
	B.hdr->stored = 8;
	expect_error(&B, "unit 0: blob sizes disagree");
	assemble(&B);
	((struct stf_unit *)B.section)->blob = 0;
	expect_error(&B, "unit 0: the unit header names no blob");
	assemble(&B);
	((struct stf_unit *)B.section)->blob_size = 16;
	expect_error(&B, "unit 0: blob size 16 is out of range");
}
END_TEST

START_TEST(test_bad_tables)
{
	init_sample(&B);
	assemble(&B);
	B.hdr->members.count = 1000;
	expect_error(&B, "unit 0: members table");
	expect_error(&B, "exceeds the blob");
	assemble(&B);
	B.hdr->types.off += 4;
	expect_error(&B, "types table offset");
	expect_error(&B, "is not 8-byte aligned");
	assemble(&B);
	B.hdr->strtab.count = 0;
	expect_error(&B, "string table must start and end with NUL");
	assemble(&B);
	B.hdr->strtab.count -= 1; /* last byte is then not NUL */
	expect_error(&B, "string table must start and end with NUL");
	assemble(&B);
	B.hdr->objects.count = 3;
	expect_error(&B, "blob has 3 objects but the unit header has 4 addresses");
	/* 32-bit overflow of off + count * size must not wrap */
	assemble(&B);
	B.hdr->sites.count = 0x10000000u;
	expect_error(&B, "unit 0: sites table");
}
END_TEST

START_TEST(test_bad_strings)
{
	init_sample(&B);
	B.objects[1].func = 5000;
	assemble(&B);
	expect_error(&B, "unit 0 (kvd.c): object 1: func string offset 5000 out of range");
	init_sample(&B);
	B.types[2].name = 0xfffffff0u;
	assemble(&B);
	expect_error(&B, "unit 0 (kvd.c): type 2: name string offset");
	init_sample(&B);
	assemble(&B);
	B.hdr->file = 99999;
	expect_error(&B, "unit 0: blob file name string offset 99999 out of range");
	init_sample(&B);
	B.objects[0].id = 0;
	assemble(&B);
	expect_error(&B, "object 0 has an empty static ID");
}
END_TEST

START_TEST(test_bad_indexes)
{
	init_sample(&B);
	B.members[1].type = 900;
	assemble(&B);
	char want[128];
	snprintf(want, sizeof want,
		 "unit 0 (kvd.c): type 2 member 1 references type 900 (only %u types)", B.ntypes);
	expect_error(&B, want);

	init_sample(&B);
	B.types[3].target = 77;
	assemble(&B);
	expect_error(&B, "type 3 target references type 77");

	init_sample(&B);
	B.types[3].target = STF_NONE; /* pointer without pointee */
	assemble(&B);
	expect_error(&B, "type 3 target is missing");

	init_sample(&B);
	B.objects[2].type = B.ntypes;
	assemble(&B);
	expect_error(&B, "object 2 type references type");

	init_sample(&B);
	B.sites[0].type = 4000;
	assemble(&B);
	expect_error(&B, "site 0 type references type 4000");

	init_sample(&B);
	B.locals[0].type = 4000;
	assemble(&B);
	expect_error(&B, "local 0 type references type 4000");

	init_sample(&B);
	B.uses[0].used = 4000;
	assemble(&B);
	expect_error(&B, "use 0 used references type 4000");

	init_sample(&B);
	B.uses[2].flags |= STF_USE_VIA_VAR; /* a handler's use has no path */
	assemble(&B);
	expect_error(&B, "use 2: unknown path flags 0x802");

	init_sample(&B);
	B.uses[2].via = 1u << 30;
	assemble(&B);
	expect_error(&B, "use 2: via string offset");

	init_sample(&B);
	B.frames[0].nlocals = 2;
	assemble(&B);
	expect_error(&B, "frame 0 locals [0, +2) exceed the local table (1 locals)");

	init_sample(&B);
	B.types[2].nmembers = 40;
	assemble(&B);
	expect_error(&B, "type 2 members [0, +40) exceed the member table");

	init_sample(&B);
	B.types[0].nmembers = 1;
	assemble(&B);
	expect_error(&B, "type 0 (int) has 1 members");

	init_sample(&B);
	B.types[1].kind = 42;
	assemble(&B);
	expect_error(&B, "type 1 has unknown kind 42");

	init_sample(&B);
	B.objects[0].kind = 9;
	assemble(&B);
	expect_error(&B, "object 0 (kvd.c:table) has unknown kind 9");
}
END_TEST

START_TEST(test_type_cycles)
{
	uint32_t a, b2, s;

	/* typedef a -> typedef b -> typedef a */
	init_sample(&B);
	a = type(&B, "a_t", STF_K_TYPEDEF, 0, 4, 0);
	b2 = type(&B, "b_t", STF_K_TYPEDEF, a, 4, 0);
	B.types[a].target = b2;
	assemble(&B);
	expect_error(&B, "contains itself");

	/* struct containing itself by value (through an array) */
	init_sample(&B);
	s = type(&B, "loop", STF_K_STRUCT, STF_NONE, 8, 0);
	a = type(&B, "", STF_K_ARRAY, s, 8, 1);
	member(&B, s, "self", a, 0);
	assemble(&B);
	expect_error(&B, "contains itself");

	/* pointer to pointer to itself: unspellable */
	init_sample(&B);
	a = type(&B, "", STF_K_POINTER, 0, 8, 0);
	b2 = type(&B, "", STF_K_POINTER, a, 8, 0);
	B.types[a].target = b2;
	assemble(&B);
	expect_error(&B, "is spelled through itself");

	/* but a struct pointing to itself is fine (the sample has one) */
	init_sample(&B);
	assemble(&B);
	char err[256];
	struct stf_meta *m = load(&B, err, sizeof err);
	ck_assert_msg(m, "%s", err);
	stf_meta_free(m);
}
END_TEST

/* The reader on another, real process: a forked child holds the unit at
 * the same addresses; the parent reads it with process_vm_readv. */
START_TEST(test_read_pid)
{
	char err[256];
	int ready[2];
	char c;
	pid_t child;

	init_sample(&B);
	assemble(&B);
	ck_assert_int_eq(pipe(ready), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		/* Make the child's copy differ from the parent's so the test
		 * proves which process was read. */
		((struct stf_unit *)B.section)->addrs[0] = 0xc41d;
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	uint64_t start = (uint64_t)(uintptr_t)B.section;
	struct stf_meta *m = stf_meta_load(stf_meta_read_pid, &child, start,
					   start + B.section_len, err, sizeof err);
	ck_assert_msg(m, "%s", err);
	ck_assert_uint_eq(m->units[0].addrs[0], start + offsetof(struct stf_unit, addrs) + 0xc41d);
	ck_assert_int_eq(stf_meta_find_object(m, "rows", NULL, NULL), 0);
	stf_meta_free(m);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);

	/* the child is gone: a clean error */
	m = stf_meta_load(stf_meta_read_pid, &child, start, start + B.section_len,
			  err, sizeof err);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(err, "cannot read the stf_units section"), "%s", err);
	close(ready[0]);
	close(ready[1]);
}
END_TEST

/* Every single-byte corruption of the blob either loads or fails cleanly;
 * what loads must still be safe to walk. */
START_TEST(test_byte_flips)
{
	char err[512], name[256];
	size_t size;

	init_sample(&B);
	assemble(&B);
	size = B.hdr->size;
	for (size_t off = 0; off < size; off++) {
		for (int bit = 0; bit < 8; bit += 3) {
			((unsigned char *)B.blob)[off] ^= (unsigned char)(1u << bit);
			struct stf_meta *m = load(&B, err, sizeof err);
			if (m) {
				const struct stf_meta_unit *u = &m->units[0];
				for (uint32_t t = 0; t < u->ntypes; t++) {
					stf_meta_type_name(u, t, name, sizeof name);
					stf_meta_strip_typedefs(u, t);
				}
				stf_meta_free(m);
			} else {
				ck_assert_msg(!strncmp(err, "unit 0", 6), "%s", err);
			}
			((unsigned char *)B.blob)[off] ^= (unsigned char)(1u << bit);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("meta");
	TCase *tc = tcase_create("reader");
	SRunner *sr;
	int failed;

	/* test_byte_flips loads thousands of corrupted blobs: 0.3 s alone,
	 * past Check's 4 s default once in a distcheck beside a full suite */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wellformed);
	tcase_add_test(tc, test_several_units_and_padding);
	tcase_add_test(tc, test_deflated);
	tcase_add_test(tc, test_damaged_deflate);
	tcase_add_test(tc, test_empty_section);
	tcase_add_test(tc, test_bad_unit_magic);
	tcase_add_test(tc, test_bad_unit_version);
	tcase_add_test(tc, test_truncated_section);
	tcase_add_test(tc, test_unreadable_blob);
	tcase_add_test(tc, test_unreadable_section);
	tcase_add_test(tc, test_bad_blob_header);
	tcase_add_test(tc, test_bad_tables);
	tcase_add_test(tc, test_bad_strings);
	tcase_add_test(tc, test_bad_indexes);
	tcase_add_test(tc, test_type_cycles);
	tcase_add_test(tc, test_read_pid);
	tcase_add_test(tc, test_byte_flips);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
