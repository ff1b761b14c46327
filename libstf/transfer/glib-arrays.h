/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * glib-arrays.h - GLib's GArrays of the program's structs (glib-arrays.c):
 * found in a peer by its typed `GArray *` pointers, their GLib block of
 * elements typed, their element size carried to the new one; and the
 * program's structs in GLib's slice pages (glib-slices.c).
 */
#ifndef STF_GLIB_ARRAYS_H
#define STF_GLIB_ARRAYS_H

#include <stdint.h>

#include "engine.h"

/* How the elements of one GArray are known. */
enum stf_garray_state {
	STF_GA_TYPED = 1, /* of the program's type (unit, type): converted */
	STF_GA_BYTES,     /* no struct type recorded: GLib's bytes */
	STF_GA_SEVERAL,   /* several struct types recorded, none told by the size */
	STF_GA_MISFIT,    /* the one type recorded is not elt_size bytes */
	STF_GA_MALFORMED, /* the header is not GLib 2.74's GRealArray */
	STF_GA_LAYOUT,    /* a GLib whose GArray layout is not known */
};

struct stf_garray {
	uint64_t addr;           /* the GRealArray */
	uint64_t data;           /* its elements' block, 0 if none */
	uint32_t len, capacity, elt_size;
	size_t block;            /* object number of the elements' block, or SIZE_MAX */
	enum stf_garray_state state;
	const struct stf_meta_unit *unit; /* TYPED: the element type; MISFIT,
	                                     SEVERAL: one the program uses */
	uint32_t type;
	const char *name;        /* the pointer reaching it ("hunt.c:recs") */
	struct stf_leaf leaf;    /* its `data` member, as a `void *` member's leaf */
	struct stf_use_path path; /* how the program reaches it (unknown: several) */
	unsigned glib_minor;     /* the GLib 2.x mapped */
};

/* After stf__peer_infer_types: the GArrays p's typed pointers reach,
 * in p->garrays; the elements' block of each whose element type is
 * known typed as an array of it.  0, or -1 out of memory. */
int stf__glib_arrays_find(struct stf_peer *p, struct stf_layouts *layouts);
/* A GArray the source's code never reads as a struct typed by the
 * destination's records; forward, -1 (every problem reported) when a
 * GArray's elements may be a struct whose layout changes and cannot be
 * converted. */
int stf__check_glib_arrays(struct stf_xfer *x);
/* Whether the word at address at of the source, pointing to v, is a
 * GArray's data pointer to its typed block: a typed pointer. */
int stf__garray_data_word(const struct stf_peer *src, uint64_t at, uint64_t v);
/* Source object i, an untyped block kept at its address whose image is
 * d: the GArrays in it get the new element size (and capacity). */
int stf__garray_headers_follow(struct stf_xfer *x, size_t i, uint8_t *d);

/* A program struct of the old size elt_size whose layout changes in the
 * destination (its name in buf): 1 if there is one (also for APR's
 * arrays, apr-pools.c). */
int stf__changed_struct_of_size(struct stf_xfer *x, uint32_t elt_size, char *buf, size_t len);

/* Whether p maps GLib 2 (its minor version in *minor, 0 if unreadable). */
int stf__peer_glib(struct stf_peer *p, unsigned *minor);
/* glib-slices.c, forward: -1 (reported) when a typed pointer of the
 * source points inside a block GLib allocated (a slice page holding
 * g_slice_new's structs), to a struct of the program whose layout
 * changes. */
int stf__check_glib_slices(struct stf_xfer *x);

#endif
