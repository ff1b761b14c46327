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

#endif /* STF_SIZE_HEADER_H */
