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
 * close what the new process never opened.  The linker's state is the
 * process's, not the program's, so the update rolls back, naming the
 * library, the member holding the handle and the fix (link the modules
 * into the executable; lighttpd: its static build, LIGHTTPD_STATIC).  A
 * handle is never made to point into the new version's link map on a
 * guess.  The linker's other blocks, reached by untyped words (a
 * library's state holding its thread's TLS blocks), are classified as
 * always.
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

/* Whether linker block o is a link map: its l_ld (after l_addr and
 * l_name) points into a library's image, its dynamic section. */
static int link_map(const struct stf_xfer *x, const struct stf_obj *o)
{
	uint64_t ld;
	if (!o->bytes || o->size < 40)
		return 0;
	memcpy(&ld, o->bytes + 16, 8);
	return stf__peer_image_find(x->src, ld) != NULL;
}

int stf__check_linker_block(struct stf_xfer *x, size_t i)
{
	const struct stf_obj *o = &x->src->objs[i];
	char on[256], lib[256], from[600];
	if (!linker_block(o) || !link_map(x, o) ||
	    stf__find_referrer(x, o, from, sizeof(from)) < 0)
		return 0;
	link_map_name(x, o, lib, sizeof(lib));
	stf__xfail(x, "%s: link map of the dynamic linker (%" PRIu64 " bytes%s%s) is reached from "
	      "%s: a dlopen() handle, whose state is the process's and cannot be carried: the "
	      "new version's startup loads the library itself, at another address; link the "
	      "library's code into the executable instead of loading it (lighttpd's modules: "
	      "its static build, LIGHTTPD_STATIC)", stf__obj_name(o, on, sizeof(on)), o->size,
	      *lib ? ", of " : "", lib, from);
	return -1;
}
