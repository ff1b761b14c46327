/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * blob.h - a unit's blob as stored (stf-format.h) made whole: the stored
 * part copied, the deflated part inflated.  Shared by the metadata reader
 * (meta.c) and the runtime's own view of the executable's units.
 */
#ifndef STF_BLOB_H
#define STF_BLOB_H

#include <stddef.h>
#include "stf-format.h"

/*
 * Write the whole blob (hdr->size bytes) into out from the blob_size
 * bytes stored at blob, whose header is checked first: 0 on success, -1
 * with a message in err if the header's sizes disagree with blob_size or
 * the deflated part does not inflate to exactly its size.  zlib's working
 * memory comes from alloc and goes back to release (malloc and free if
 * NULL): the runtime must not make heap objects of the program's.
 */
int stf_blob_expand(const void *blob, size_t blob_size, void *out,
		    void *(*alloc)(size_t), void (*release)(void *),
		    char *err, size_t errlen);

#endif /* STF_BLOB_H */
