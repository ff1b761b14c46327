/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dl-handles.c - link maps of the dynamic linker reached from the
 * program's typed state: a handle dlopen() returned (lighttpd keeps each
 * module's in `struct plugin.lib`, for dlclose at exit) is the linker's
 * `struct link_map`, with its scope lists and names in more of its blocks.
 *
 * Kept at their address like another library's blocks, they would be a
 * copy of the old process's link map beside the new process's own (its
 * startup loaded the module again, maybe at another base): dlsym() on the
 * copy would answer with the old process's addresses, dlclose() would
 * close what the new process never opened.  So a link map the program's
 * state reaches is paired with the destination's own link map of the same
 * file (its dynamic section, l_ld, at the same place of the same file:
 * same device, inode and path): the handle becomes the one the new
 * version's startup got for that library (and, backwards, the old one's
 * again, so the round trip compares equal).  A library the new version
 * has not loaded rolls the update back, naming it, the member holding the
 * handle and the fix (load it in the startup, or link the modules into
 * the executable; lighttpd: LIGHTTPD_STATIC).  A link map reached only by
 * untyped words, kept at its address, rolls back the same way.  The
 * linker's other blocks, reached by untyped words (a library's state
 * holding its thread's TLS blocks), are classified as always.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "remote.h"
#include "untyped.h"

/* Whether o is a block the dynamic linker allocated ("ld-linux-x86-64.so.2
 * +0x..."). */
static int linker_block(const struct stf_obj *o)
{
	return (o->flags & STF_OBJF_EXTERNAL) && !strncmp(o->id, "ld-linux", 8);
}

/* The library a link map names (its l_name, after the public member
 * l_addr; glibc allocates the name in a block of its own) into buf; ""
 * if o holds none. */
static void link_map_name(const struct stf_xfer *x, const struct stf_obj *o, char *buf,
			  size_t len)
{
	uint64_t name;
	*buf = 0;
	if (!o->bytes || o->size < 16)
		return;
	memcpy(&name, o->bytes + 8, 8);
	const struct stf_range *r = name ? stf__index_find(&x->src->index, name, 0) : NULL;
	const struct stf_obj *t = r ? &x->src->objs[r->value] : NULL;
	if (!t || !t->bytes || !linker_block(t))
		return;
	uint64_t off = name - t->addr, n = strnlen((const char *)t->bytes + off, t->size - off);
	snprintf(buf, len, "%.*s", (int)(n < 200 ? n : 200), (const char *)t->bytes + off);
}

/* Whether linker block o of p is a link map: its l_ld (after l_addr and
 * l_name) points into a library's image, its dynamic section. */
static int link_map(const struct stf_peer *p, const struct stf_obj *o)
{
	uint64_t ld;
	if (!o->bytes || o->size < 40)
		return 0;
	memcpy(&ld, o->bytes + 16, 8);
	return stf__peer_image_find(p, ld) != NULL;
}

const char *stf__link_map_library(const struct stf_peer *p, const struct stf_obj *o)
{
	uint64_t ld;
	if (!linker_block(o) || !link_map(p, o))
		return NULL;
	memcpy(&ld, o->bytes + 16, 8);
	return p->libs[stf__peer_image_find(p, ld)->value].path;
}

/* The destination's link map whose dynamic section is at ld (walked from
 * the r_debug of its dynamic linker, ldso by basename): its address, 0 if
 * the destination has loaded no such library. */
static uint64_t dst_link_map(struct stf_xfer *x, const char *ldso, uint64_t ld)
{
	uint64_t r = stf__peer_symbol_addr(x->dst, ldso, "_r_debug"), m;
	if (!r || stf__peer_read(x->dst, r + 8, &m, 8) < 0) /* r_map, after r_version */
		return 0;
	for (unsigned n = 0; m && n < 1u << 16; n++) {
		uint64_t lm[4]; /* l_addr, l_name, l_ld, l_next */
		if (stf__peer_read(x->dst, m, lm, sizeof(lm)) < 0)
			return 0;
		if (lm[2] == ld)
			return m;
		m = lm[3];
	}
	return 0;
}

int stf__pair_dl_handle(struct stf_xfer *x, size_t i)
{
	const struct stf_obj *o = &x->src->objs[i];
	char on[256], lib[256], from[600], ldso[64];
	uint64_t ld, m = 0;
	if (!linker_block(o) || !link_map(x->src, o))
		return 0;
	if (x->pair[i].dst >= 0)
		return 1;
	memcpy(&ld, o->bytes + 16, 8);
	uint64_t dld = stf__peer_same_place(x->src, x->dst, ld);
	const char *plus = strchr(o->id, '+');
	snprintf(ldso, sizeof(ldso), "%.*s", plus ? (int)(plus - o->id) : (int)strlen(o->id), o->id);
	if (dld)
		m = dst_link_map(x, ldso, dld);
	if (!m) {
		link_map_name(x, o, lib, sizeof(lib));
		if (stf__find_referrer(x, o, from, sizeof(from)) < 0)
			snprintf(from, sizeof(from), "the program's state");
		stf__xfail(x, "%s: link map of the dynamic linker (%" PRIu64 " bytes%s%s) is reached "
		      "from %s: a dlopen() handle of a library the %s version has not loaded; "
		      "load it in its startup as the %s version does (dlopen), or link the "
		      "library's code into the executable (lighttpd's modules: its static "
		      "build, LIGHTTPD_STATIC)", stf__obj_name(o, on, sizeof(on)), o->size,
		      *lib ? ", of " : "", lib, from, x->dir == STF_FORWARD ? "new" : "old",
		      x->dir == STF_FORWARD ? "old" : "new");
		return -1;
	}
	struct stf_obj d = *o;
	d.addr = m;
	int64_t j = stf__dst_add(x, &d);
	if (j < 0) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	x->pair[i].dst = j;
	x->pair[i].dst_addr = m;
	x->pair[i].same = 1;
	return 1;
}

int stf__check_linker_block(struct stf_xfer *x, size_t i)
{
	const struct stf_obj *o = &x->src->objs[i];
	char on[256], lib[256], from[600];
	if (!linker_block(o) || !link_map(x->src, o) ||
	    stf__find_referrer(x, o, from, sizeof(from)) < 0)
		return 0;
	link_map_name(x, o, lib, sizeof(lib));
	stf__xfail(x, "%s: link map of the dynamic linker (%" PRIu64 " bytes%s%s) is reached from "
	      "%s by untyped words: a dlopen() handle, whose state is the process's and "
	      "cannot be carried; keep it in a typed member (void *), or link the "
	      "library's code into the executable instead of loading it (lighttpd's modules: "
	      "its static build, LIGHTTPD_STATIC)", stf__obj_name(o, on, sizeof(on)), o->size,
	      *lib ? ", of " : "", lib, from);
	return -1;
}
