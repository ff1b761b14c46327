/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * size-header.h - where a size-prefixing STF_ALLOCATOR keeps the size of
 * what it hands out (see size-header.cc).
 */
#ifndef STF_SIZE_HEADER_H
#define STF_SIZE_HEADER_H

#include "gcc-compat.h"
#include "allocators.h"

struct stf_size_header {
	bool known = false;   /* the wrapper's prefix is understood */
	int64_t prefix = 0;   /* bytes before the object it returns */
	int32_t at = 0;       /* the size field's offset from the object */
	uint32_t width = 0;   /* its bytes; 0: the prefix holds no size */
	int64_t add = 0;      /* the field holds the size plus this */
	std::string counter;  /* static ID of a counter it adds the size to */
};

/* The size header of the blocks that call, an allocator call in the body
 * of the STF_ALLOCATOR function being compiled (in SSA form, before any
 * optimization), allocates; false (nothing known) when the function does
 * not return the block plus a constant prefix, or when its size argument
 * goes anywhere but the call, one field of the prefix, a counter and
 * comparisons. */
bool stf_find_size_header (gcall *call, const stf_allocator_desc &alloc, stf_size_header *out);

/* The prefix past which the function being compiled, neither declared
 * STF_ALLOCATOR nor found to be a wrapper, hands out the block that call
 * allocates (every return is the block plus that constant, or NULL):
 * obj_new's `return h + 1` of a `struct hdr *h = malloc(sizeof *h + n)`.
 * Its callers know the type of what lies past it; its site, of element
 * type `type` (NULL if none), does not.  0 when the function does not
 * hand out such a part, hands out one inside the element type
 * (`return &w->conn`), or returns `char *` (text). */
int64_t stf_undeclared_prefix (gcall *call, const stf_allocator_desc &alloc, tree type);

#endif /* STF_SIZE_HEADER_H */
