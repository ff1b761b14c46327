/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-addr-keys.c - the address keys the plugin records (STF_USE_ADDR_KEY,
 * gcc-plugin/addr-keys.cc): structs whose address is hashed, directly or
 * through a `void *` parameter, and nothing for the conversions that keep
 * no address; the structs ordered by their address (STF_USE_ADDR_ORDER),
 * and nothing for the comparisons that order no object; at every
 * optimization level.
 */
#include <string.h>

#include "plugin-test.h"

START_TEST(address_keys)
{
	struct elfmeta *em = open_meta(build("addrkeys", _i));
	const struct stf_meta_unit *u = unit_of(em, "addrkeys.c");
	char keyed[512] = "";
	for (uint32_t i = 0; i < u->nuses; i++) {
		const struct stf_use_rec *r = &u->uses[i];
		if (!(r->flags & STF_USE_ADDR_KEY))
			continue;
		ck_assert_msg(!(r->flags & STF_USE_ADDR_ANY), "a pointer of no known type in %s",
			      name(u, r->via));
		if (r->flags & (STF_USE_ADDR_PARAM | STF_USE_ADDR_ARG))
			continue;
		strcat(keyed, name(u, bare(u, r->used)->name));
		strcat(keyed, "/");
		strcat(keyed, name(u, r->via));
		strcat(keyed, " ");
	}
	ck_assert_msg(strstr(keyed, "hashed/keep_hashed ") && strstr(keyed, "viavoid/hash_void "),
		      "%s: keys %s", variants[_i].name, keyed);
	ck_assert_msg(!strstr(keyed, "aligned") && !strstr(keyed, "printed") &&
		      !strstr(keyed, "tagged") && !strstr(keyed, "diffed") &&
		      !strstr(keyed, "rounded"), "%s: keys %s", variants[_i].name, keyed);
	elfmeta_close(em);
}
END_TEST

START_TEST(address_orders)
{
	struct elfmeta *em = open_meta(build("addrorders", _i));
	const struct stf_meta_unit *u = unit_of(em, "addrorders.c");
	char ordered[512] = "";
	int n = 0;
	for (uint32_t i = 0; i < u->nuses; i++) {
		const struct stf_use_rec *r = &u->uses[i];
		if (!(r->flags & STF_USE_ADDR_KEY))
			continue;
		n++;
		ck_assert_msg((r->flags & STF_USE_KIND_MASK) == (STF_USE_ADDR_KEY | STF_USE_ADDR_ORDER),
			      "%s: flags 0x%x in %s", variants[_i].name, r->flags, name(u, r->via));
		strcat(ordered, name(u, bare(u, r->used)->name));
		strcat(ordered, "/");
		strcat(ordered, name(u, r->via));
		strcat(ordered, " ");
	}
	ck_assert_msg(strstr(ordered, "node/insert ") && strstr(ordered, "timer/timer_before ") &&
		      strstr(ordered, "entry/by_address ") && strstr(ordered, "chunk/chunk_order ") &&
		      n == 4, "%s: ordered %s",
		      variants[_i].name, ordered);
	elfmeta_close(em);
}
END_TEST

void add_addr_key_cases(Suite *s)
{
	plugin_add_case(s, "address_keys", address_keys, 1);
	plugin_add_case(s, "address_orders", address_orders, 1);
}
