/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Records allocated shorter than their struct (dnsmasq's struct crec: the
 * name's union is the last member, a short name gives a short block),
 * the last of them ending at the end of a page that nothing else of the
 * heap uses.  The records are listed in allocation order, so the word
 * after a record's block is its successor's `next`, the address of the
 * record after that.  The transfer read every word of the name's union,
 * past the block's end too (untyped-plan.c), as a pointer that may be
 * live: each record two places on was kept at its address (pinned), and
 * so placed in the new version on pages adopted for placed blocks only
 * (placement.c: the rest of the old heap's range reserved PROT_NONE).
 * The new version's backward transfer then read past the last record's
 * page and crashed (SIGSEGV, rolled back), as t/idioms/named did in one
 * run of four.  Version 2 adds a member before the name, in the padding
 * before it (a record grown in place would take the next page with it).
 * Written once: version 2 is this file with V2 defined.
 */
#include <stddef.h>
#include <stdint.h>
#include "xt.h"

struct rec {
	struct rec *next;
	long ttd;
	unsigned flags;
#ifdef V2
	unsigned hits; /* in the padding: the name stays at offset 24 */
#endif
	union {
		char sname[40];
		char *namep;
	} name;
};

#define NAMELEN 7 /* a block of offsetof(name) + 8 bytes, far shorter than the struct */
#define PAGE_SIZE 4096u
#define MAX_RECS 4096

static struct rec *first;
static unsigned nrecs;

static void name_of(char *out, unsigned seed)
{
	for (unsigned i = 0; i < NAMELEN; i++)
		out[i] = (char)('a' + (i * 7 + seed) % 26);
	out[NAMELEN] = 0;
}

static __attribute__((noinline)) void init(void)
{
	/* records of one size until one ends in the last word of a page:
	 * reading the struct's whole union from it crosses into the next */
	struct rec *last = NULL;
	for (nrecs = 0; nrecs < MAX_RECS;) {
		struct rec *r = malloc(offsetof(struct rec, name) + NAMELEN + 1);
		r->next = NULL;
		r->ttd = nrecs;
		r->flags = 0;
		name_of(r->name.sname, nrecs);
		*(last ? &last->next : &first) = r;
		last = r;
		nrecs++;
		uintptr_t end = (uintptr_t)r + offsetof(struct rec, name) + NAMELEN + 1;
		if (end % PAGE_SIZE == 0 || end % PAGE_SIZE > PAGE_SIZE - 16)
			break;
	}
}

static void check(void)
{
	char buf[NAMELEN + 1];
	unsigned n = 0;
	for (const struct rec *r = first; r; r = r->next, n++) {
		CHECK(n < nrecs);
		if (n >= nrecs)
			return;
		name_of(buf, n);
		CHECK(r->ttd == (long)n && !strcmp(r->name.sname, buf));
#ifdef V2
		CHECK(r->hits == 0);
#endif
	}
	CHECK(n == nrecs);
}

XT_MAIN_CHECKED(init, check)
