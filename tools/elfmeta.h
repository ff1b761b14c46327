/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * elfmeta.h - the plugin metadata of an ELF file on disk.
 *
 * Opens a linked executable or shared object with libelf, finds section
 * stf_units and offers a meta.h read callback over the file's link-time
 * address space.  Dynamic relocations that ld left for the loader inside
 * stf_units (PIE: R_X86_64_RELATIVE, R_X86_64_64 against defined symbols)
 * are applied, so the unit headers hold link-time addresses for PIE and
 * non-PIE binaries alike, the addresses DWARF uses.
 */
#ifndef TTST_ELFMETA_H
#define TTST_ELFMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta.h"

struct elfmeta;

enum elfmeta_status {
	ELFMETA_OK = 0,
	ELFMETA_ERROR = -1,      /* unreadable, not ELF, corrupted */
	ELFMETA_NO_SECTION = -2, /* a valid ELF file without stf_units */
};

/*
 * Open path and load its metadata.  On failure returns NULL, sets *status
 * and writes a message that names the file to err.
 */
struct elfmeta *elfmeta_open(const char *path, enum elfmeta_status *status,
			     char *err, size_t errlen);
void elfmeta_close(struct elfmeta *em);

const struct stf_meta *elfmeta_meta(const struct elfmeta *em);
/* Descriptor of the open file (for libdwarf). */
int elfmeta_fd(const struct elfmeta *em);
/* 1 for ET_DYN (PIE or shared object), 0 for ET_EXEC. */
int elfmeta_is_dyn(const struct elfmeta *em);

/* Whether the symbol table (.symtab) has a function symbol named name at
 * link-time address addr (false for a stripped file). */
bool elfmeta_has_function(const struct elfmeta *em, const char *name, uint64_t addr);

/* meta.h read callback over the file (ctx = struct elfmeta *). */
int elfmeta_read(void *ctx, uint64_t addr, void *buf, size_t len);

#endif /* TTST_ELFMETA_H */
