/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * slab-args.h - where a slot allocator's call reads the slab it passes.
 */
#ifndef STF_SLAB_ARGS_H
#define STF_SLAB_ARGS_H

#include <string>

#include "allocators.h"

/* Where a slot allocator's call reads the slab it passes from a static
 * (slab_alloc(server_cache), slab_alloc(srv.cache), slab_alloc(
 * srv->pools[2])): the static's ID in *id and the path from it in *path
 * (STF_SF_SLAB_STATIC's slab_path); false if the argument is anything
 * else.  A site never called before an update records no argument at
 * run time (runtime/slots.h); this names the slab it would be called
 * with. */
bool stf_slab_arg_path (gcall *call, const stf_allocator_desc &alloc, std::string *id,
			std::string *path);

#endif /* STF_SLAB_ARGS_H */
