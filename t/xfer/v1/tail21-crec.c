/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dnsmasq's cache records (struct crec): the last member is a union whose
 * short name array continues past the struct's end.  A record is
 * allocated as `sizeof(struct rec) - SMALLNAME + len + 1`, so a short
 * name makes the block shorter than the struct and a long one longer;
 * a record whose name lives elsewhere has only the union's pointer
 * (`sizeof(struct rec) + sizeof(char *) - SMALLNAME`), pointing at a
 * string or at a `union bigname`.  Version 2 adds `hits` before the
 * union (as a dnsmasq release adding a member to struct crec would): the
 * name's bytes, past the end or not, must follow the union.  Written once:
 * version 2 is this file with V2 defined.
 */
#include <stddef.h>
#include "xt.h"

#define SMALLNAME 50
#define MAXNAME 1025
#define F_NAMEP 1u
#define F_BIGNAME 2u

union bigname {
	char name[MAXNAME];
	union bigname *next; /* free list */
};

union all_addr {
	unsigned addr4;
	unsigned char addr6[16];
};

struct rec {
	struct rec *next, *prev, *hash_next;
	union all_addr addr;
	long ttd;
	unsigned uid;
	unsigned flags;
#ifdef V2
	unsigned hits;
#endif
	union {
		char sname[SMALLNAME];
		union bigname *bname;
		char *namep;
	} name;
};

#define SIZEOF_BARE_REC (sizeof(struct rec) - SMALLNAME)
#define SIZEOF_POINTER_REC (sizeof(struct rec) + sizeof(char *) - SMALLNAME)

#define NBUCKETS 7
static struct rec *hash_table[NBUCKETS], *all;
static const char *const fixed_names[] = { "localhost", "gateway.lan" };
static unsigned lengths[] = { 1, 9, 41, 42, 49, 50, 51, 55, 56, 57, 63, 64, 70, 122, 300 };
#define NLENGTHS (sizeof(lengths) / sizeof(*lengths))

static void name_of(char *out, unsigned len, unsigned seed)
{
	for (unsigned i = 0; i < len; i++)
		out[i] = (char)('a' + (i * 7 + seed) % 26);
	out[len] = 0;
}

static const char *rec_name(const struct rec *r)
{
	if (r->flags & F_NAMEP)
		return r->name.namep;
	if (r->flags & F_BIGNAME)
		return r->name.bname->name;
	return r->name.sname;
}

static unsigned hash_of(const char *s)
{
	unsigned h = 0;
	while (*s)
		h = h * 31 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct rec *rec_new(size_t size, unsigned flags, unsigned uid)
{
	struct rec *r = malloc(size);
	memset(r, 0, size);
	r->flags = flags;
	r->uid = uid;
	r->ttd = 1000 + uid;
	r->addr.addr4 = 0x0a000000u + uid;
	r->next = all;
	if (all)
		all->prev = r;
	all = r;
	return r;
}

static void rec_hash(struct rec *r)
{
	unsigned b = hash_of(rec_name(r));
	r->hash_next = hash_table[b];
	hash_table[b] = r;
}

static __attribute__((noinline)) void init(void)
{
	char buf[MAXNAME];
	for (unsigned i = 0; i < NLENGTHS; i++) {
		name_of(buf, lengths[i], i);
		struct rec *r = rec_new(SIZEOF_BARE_REC + lengths[i] + 1, 0, i);
		strcpy(r->name.sname, buf);
		rec_hash(r);
	}
	for (unsigned i = 0; i < 2; i++) {
		struct rec *r = rec_new(SIZEOF_POINTER_REC, F_NAMEP, 100 + i);
		r->name.namep = (char *)fixed_names[i];
		rec_hash(r);
	}
	struct rec *r = rec_new(SIZEOF_POINTER_REC, F_NAMEP, 102);
	r->name.namep = strdup("heap-name.example");
	rec_hash(r);
	r = rec_new(SIZEOF_POINTER_REC, F_BIGNAME, 103);
	r->name.bname = malloc(sizeof(union bigname));
	name_of(r->name.bname->name, 200, 103);
	rec_hash(r);
}

static const struct rec *lookup(const char *name)
{
	for (const struct rec *r = hash_table[hash_of(name)]; r; r = r->hash_next)
		if (!strcmp(rec_name(r), name))
			return r;
	return NULL;
}

static void check(void)
{
	char buf[MAXNAME];
	unsigned n = 0;
	for (unsigned i = 0; i < NLENGTHS; i++) {
		name_of(buf, lengths[i], i);
		const struct rec *r = lookup(buf);
		CHECK(r && r->uid == i && r->flags == 0 && r->ttd == 1000 + i &&
		      r->addr.addr4 == 0x0a000000u + i);
#ifdef V2
		CHECK(r && r->hits == 0);
#endif
	}
	CHECK(lookup("localhost") && lookup("localhost")->name.namep == fixed_names[0]);
	CHECK(lookup("gateway.lan") && lookup("gateway.lan")->uid == 101);
	CHECK(lookup("heap-name.example") && lookup("heap-name.example")->uid == 102);
	name_of(buf, 200, 103);
	CHECK(lookup(buf) && lookup(buf)->flags == F_BIGNAME);
	for (const struct rec *r = all; r; r = r->next, n++)
		CHECK(!r->next || r->next->prev == r);
	CHECK(n == NLENGTHS + 4);
}

XT_MAIN_CHECKED(init, check)
