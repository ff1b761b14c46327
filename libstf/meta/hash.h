/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hash.h - the structural hash of every type record (stf_type_rec.hash),
 * computed by the reader: the blob does not store it.
 */
#ifndef STF_META_HASH_H
#define STF_META_HASH_H

#include <stdint.h>
#include "meta.h"

/*
 * Set the hash of every type of u, whose tables must be validated.  Equal
 * for structurally equal types in any unit and any version: kind, name,
 * size, structural flags, count, target and members (name, offset, bits,
 * type) count, qualifiers and annotations do not; a pointer's named
 * struct or union target counts by kind and name only, which ends the
 * recursion of self-referring types.  state is scratch of u->ntypes
 * bytes.
 */
void stf_meta_hash_types(struct stf_meta_unit *u, uint8_t *state);

#endif /* STF_META_HASH_H */
