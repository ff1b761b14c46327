/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * meta.h - reader of the plugin metadata (stf-format.h).
 *
 * INTERNAL to ttst (libstf, stf-meta, tests).  One reader for every place
 * the metadata comes from: the running process itself, another process
 * (process_vm_readv) or an ELF file on disk (libelf, in tools/).  The
 * source is abstracted by a read callback over the target's address space;
 * the reader copies the section and the blobs once (inflating their
 * deflated parts), resolves the units' relative addresses, validates every
 * table bound, index and string offset, and then hands out plain pointers.
 * Malformed input yields an error message, never a crash.
 */
#ifndef STF_META_H
#define STF_META_H

#include <stddef.h>
#include <stdint.h>
#include "stf-format.h"

/* Read len bytes at address addr of the target into buf; 0 on success,
 * -1 (with errno) on failure. */
typedef int (*stf_meta_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

struct stf_meta_unit {
	uint64_t addr;                    /* address of the struct stf_unit */
	const struct stf_unit *unit;      /* local copy (header + addrs[]) */
	uint64_t blob_addr;               /* address of the blob as stored */
	const uint64_t *addrs;            /* address of object i, 0 if unknown
	                                     (STF_OF_TLS: offset from the
	                                     thread pointer) */
	const struct stf_blob_hdr *blob;  /* local copy, whole, validated */
	const struct stf_type_rec *types;
	const struct stf_member_rec *members;
	const struct stf_object_rec *objects;
	const struct stf_site_rec *sites;
	const struct stf_frame_rec *frames;
	const struct stf_local_rec *locals;
	const struct stf_use_rec *uses;
	const char *strtab;
	uint32_t ntypes, nmembers, nobjects, nsites, nframes, nlocals, strtab_size;
	uint32_t nuses;
};

struct stf_meta {
	struct stf_meta_unit *units;
	size_t nunits;
	/* private bookkeeping follows in meta.c */
};

/*
 * Load every unit found in [units_start, units_end) of the target.
 * On failure returns NULL and writes a message naming the unit and the
 * offending field to err.
 */
struct stf_meta *stf_meta_load(stf_meta_read_fn read, void *ctx,
			       uint64_t units_start, uint64_t units_end,
			       char *err, size_t errlen);
void stf_meta_free(struct stf_meta *m);

/* String of a unit (never NULL; "" for offset 0). */
const char *stf_meta_str(const struct stf_meta_unit *u, uint32_t off);

/* Name of a type kind (enum stf_type_kind): "struct", "pointer", "?"... */
const char *stf_meta_kind_name(unsigned kind);

/* Follow typedefs (and nothing else) to the underlying type index. */
uint32_t stf_meta_strip_typedefs(const struct stf_meta_unit *u, uint32_t type);

/* Human-readable C spelling of a type: "struct entry *", "int [4][2]",
 * "int (*)(char *, ...)".  Returns the length of the full spelling, like
 * snprintf (buf may be truncated). */
size_t stf_meta_type_name(const struct stf_meta_unit *u, uint32_t type,
			  char *buf, size_t len);

/* Find a static object / site by its static ID across all units: 0 if
 * found (the first unit defining it wins), -1 if not. */
int stf_meta_find_object(const struct stf_meta *m, const char *id,
			 const struct stf_meta_unit **unit, uint32_t *index);
int stf_meta_find_site(const struct stf_meta *m, const char *id,
		       const struct stf_meta_unit **unit, uint32_t *index);
/* The place in the code of object i of u if it is a string literal
 * ("init:kvd.c:cmds[3].name", "code:kvd.c:main#2"; "" if none or not a
 * literal), into buf; returns the place's length like snprintf. */
size_t stf_meta_literal_place(const struct stf_meta_unit *u, uint32_t i, char *buf, size_t len);
/* Find a string literal by its place, like stf_meta_find_object: 0 if
 * found (first unit wins), -1 if not. */
int stf_meta_find_literal(const struct stf_meta *m, const char *place,
			  const struct stf_meta_unit **unit, uint32_t *index);

/*
 * Find a named type: "struct entry", "union u", "enum color", a typedef name
 * or a primitive name ("unsigned int").  Among records of one name, the
 * complete unqualified one is preferred.  stf_meta_find_type searches every
 * unit (first complete definition wins) and returns 0, or -1 if none;
 * stf_meta_unit_find_type searches unit u of m and returns the type index
 * or STF_NONE.  Both are hash lookups.
 */
int stf_meta_find_type(const struct stf_meta *m, const char *name,
		       const struct stf_meta_unit **unit, uint32_t *index);
uint32_t stf_meta_unit_find_type(const struct stf_meta *m,
				 const struct stf_meta_unit *u, const char *name);

/* Read callback for the calling process's own memory (ctx unused). */
int stf_meta_read_self(void *ctx, uint64_t addr, void *buf, size_t len);
/* Read callback for another process; ctx points to a pid_t. */
int stf_meta_read_pid(void *ctx, uint64_t addr, void *buf, size_t len);

#endif /* STF_META_H */
