/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dnsmasq 2.90's cache.c in small: hash_bucket() hashes a name with the
 * bytes of a static table, `typestr`, whose entries hold the address of
 * a string literal (bytes 8-15 of each).  Those addresses are others in
 * the new version (another executable, or the same one at another
 * base), so after a commit every name would hash to another bucket than
 * the transferred table holds it in, and lookups in version 2 would find
 * nothing, though the state is byte-identical (the round trip cannot see
 * it).  The update must roll back naming typestr and hash_bucket().
 * Variants (cflags): CHANGED, version 2 adds a member to struct crec;
 * WRITES, the table is written through char pointers (memset, memcpy
 * into it) and copied out byte by byte, and the hash mixes a table of
 * numbers: commits; NO_POINTERS, the table mixed in holds numbers only:
 * commits; REBUILT, typestr is STF_BYTES_REBUILT and version 2 rehashes
 * every entry in an stf_on_commit() callback: commits; REBUILT_IN_2, so
 * in version 2 only (the fix made by the update): commits; CALLEE, the
 * mixing is done by a function hash_bucket() passes typestr's address
 * to, and which passes it on to the one reading the byte (committed and
 * lost every lookup before the plugin followed calls): rolls back naming
 * that function; with REBUILT: commits.
 */
#include <stdint.h>
#include "xt.h"

#if defined(V2) && defined(REBUILT_IN_2)
#define REBUILT
#endif

#ifdef NO_POINTERS
static const struct {
	unsigned int type;
	unsigned int code;
} typestr[] = {
	{ 1, 0x41 }, { 28, 0x41414141 }, { 5, 0x434e }, { 6, 0x534f41 },
	{ 12, 0x505452 }, { 15, 0x4d58 }, { 16, 0x545854 }, { 33, 0x535256 },
};
#elif defined(WRITES)
static struct {
	unsigned int type;
	const char *name;
} typestr[8], typestr_saved[8];
static const unsigned int mix_numbers[16] = {
	1, 28, 5, 6, 12, 15, 16, 33, 35, 39, 41, 43, 46, 47, 48, 50,
};
#else
#ifndef REBUILT
#define STF_BYTES_REBUILT_IF
#else
#define STF_BYTES_REBUILT_IF STF_BYTES_REBUILT
#endif
static const struct {
	unsigned int type;
	const char *const name;
} typestr[] STF_BYTES_REBUILT_IF = {
	{ 1, "A" }, { 28, "AAAA" }, { 5, "CNAME" }, { 6, "SOA" },
	{ 12, "PTR" }, { 15, "MX" }, { 16, "TXT" }, { 33, "SRV" },
};
#endif

struct crec {
	struct crec *hash_next;
#if defined(V2) && defined(CHANGED)
	unsigned ttl; /* new in 2 */
#endif
	int addr;
	char name[32];
};

static struct crec **hash_table;
static int hash_size = 64;

static const char *const hosts[] = {
	"router.lan", "nas.lan", "printer.lan", "tv.lan", "laptop.lan", "phone.lan",
	"camera.lan", "thermostat.lan", "backup.example.org", "www.example.org",
};
#define NHOSTS (sizeof hosts / sizeof *hosts)

#ifdef CALLEE
/* The byte of the table at i, as a helper of a helper reads it. */
static unsigned int tab_byte(const void *tab, unsigned int i)
{
	return ((const unsigned char *)tab)[i & 0x3F];
}

static unsigned int mix(const void *tab, unsigned int val, unsigned int c)
{
	return ((val << 7) | (val >> 25)) + (tab_byte(tab, val + c) ^ c);
}
#endif

static struct crec **hash_bucket(const char *name)
{
	unsigned int c, val = 017465;
#ifdef CALLEE
	while ((c = (unsigned char)*name++))
		val = mix(typestr, val, c);
#else
#ifdef WRITES
	const unsigned char *mix_tab = (const unsigned char *)mix_numbers;
#else
	const unsigned char *mix_tab = (const unsigned char *)typestr;
#endif
	while ((c = (unsigned char)*name++))
		val = ((val << 7) | (val >> 25)) + (mix_tab[(val + c) & 0x3F] ^ c);
#endif
	return hash_table + ((val ^ (val >> 16)) & (unsigned)(hash_size - 1));
}

static void insert(struct crec *c)
{
	struct crec **b = hash_bucket(c->name);
	c->hash_next = *b;
	*b = c;
}

static struct crec *lookup(const char *name)
{
	for (struct crec *c = *hash_bucket(name); c; c = c->hash_next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

#ifdef WRITES
/* The table filled and saved through char pointers: writes into it, and
 * its bytes only copied elsewhere, mix nothing. */
static void fill_types(void)
{
	static const char *const names[8] = { "A", "AAAA", "CNAME", "SOA", "PTR", "MX", "TXT", "SRV" };
	unsigned char *to = (unsigned char *)typestr_saved;
	const unsigned char *from = (const unsigned char *)typestr;
	memset((unsigned char *)typestr, 0, sizeof typestr);
	for (int i = 0; i < 8; i++) {
		typestr[i].type = mix_numbers[i];
		memcpy((char *)&typestr[i].name, &names[i], sizeof names[i]);
	}
	for (size_t i = 0; i < sizeof typestr; i++)
		to[i] = from[i];
}
#endif

static void init(void)
{
#ifdef WRITES
	fill_types();
#endif
	hash_table = calloc((size_t)hash_size, sizeof *hash_table);
	for (size_t i = 0; i < NHOSTS; i++) {
		struct crec *c = calloc(1, sizeof *c);
		strcpy(c->name, hosts[i]);
		c->addr = (int)i + 1;
		insert(c);
	}
}

static void check(void)
{
	for (size_t i = 0; i < NHOSTS; i++) {
		struct crec *c = lookup(hosts[i]);
		CHECK(c && c->addr == (int)i + 1);
	}
#ifdef WRITES
	CHECK(typestr[2].type == 5 && !strcmp(typestr_saved[2].name, "CNAME"));
#endif
}

#ifdef REBUILT
/* What was computed from typestr's bytes, rebuilt: every entry moved to
 * the bucket its name hashes to now. */
static void rehash(void *arg)
{
	struct crec **old = hash_table;
	(void)arg;
	hash_table = calloc((size_t)hash_size, sizeof *hash_table);
	for (int b = 0; b < hash_size; b++)
		for (struct crec *c = old[b], *next; c; c = next) {
			next = c->hash_next;
			insert(c);
		}
	free(old);
}

/* registered at startup, in both versions, before an update can commit */
__attribute__((constructor)) static void register_rehash(void)
{
	stf_on_commit(rehash, NULL);
}
#endif

XT_MAIN_CHECKED(init, check)
