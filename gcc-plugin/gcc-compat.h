/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * gcc-compat.h - the one place that knows which GCC the plugin is built for.
 *
 * Every GCC header the plugin needs is included here, in the order GCC
 * requires, and every difference between GCC releases (attribute tables,
 * functions not declared in the installed headers) is absorbed here, so the
 * rest of the plugin is written against one API.  Built and tested against
 * GCC 12.
 */
#ifndef STF_GCC_COMPAT_H
#define STF_GCC_COMPAT_H

/* system.h poisons the C allocator names; ask it for the C++ headers first. */
#define INCLUDE_STRING
#define INCLUDE_VECTOR
#define INCLUDE_MAP
#define INCLUDE_SET
#define INCLUDE_ALGORITHM

#include "bversion.h"
#include "gcc-plugin.h"
/* c-common.h must come before diagnostic-core.h (format checking). */
#include "c-family/c-common.h"
#include "c-family/c-pragma.h"
#include "cpplib.h"
#include "tree.h"
#include "rtl.h"
#include "tm_p.h"
#include "target.h"
#include "output.h"
#include "tree-pass.h"
#include "context.h"
#include "function.h"
#include "basic-block.h"
#include "cfg.h"
#include "tree-ssa-alias.h"
#include "gimple-expr.h"
#include "gimple.h"
#include "gimple-iterator.h"
#include "gimple-walk.h"
#include "gimple-ssa.h"
#include "tree-phinodes.h"
#include "ssa-iterators.h"
#include "tree-ssa-operands.h"
#include "stringpool.h"
#include "value-range.h"
#include "tree-ssanames.h"
#include "tree-into-ssa.h"
#include "tree-iterator.h"
#include "gimplify.h"
#include "gimplify-me.h"
#include "tree-cfg.h"
#include "cgraph.h"
#include "varasm.h"
#include "attribs.h"
#include "diagnostic-core.h"
#include "langhooks.h"
#include "stor-layout.h"
#include "toplev.h"
#include "ggc.h"
#include "version.h"

#if BUILDING_GCC_MAJOR < 12
# error "stf.so needs GCC 12 or newer"
#endif

/* Defined in varasm.cc and exported by cc1, but not in the installed
 * headers: the RTL (MEM of a SYMBOL_REF) of an already created constant
 * such as a string literal, or NULL_RTX. */
extern rtx lookup_constant_def (tree);

/* GCC 12/13 take a plain attribute_spec; the field order is fixed here. */
#if BUILDING_GCC_MAJOR <= 13
# define STF_ATTRIBUTE_SPEC(name, decl_req, type_req, handler) \
	STF_ATTRIBUTE_SPEC_ARGS (name, 0, 0, decl_req, type_req, handler)
/* One taking between min_args and max_args arguments. */
# define STF_ATTRIBUTE_SPEC_ARGS(name, min_args, max_args, decl_req, type_req, handler) \
	{ name, min_args, max_args, decl_req, type_req, false, false, handler, NULL }
# define stf_register_attribute(spec) register_attribute (spec)
#else
# error "attribute registration of GCC >= 14 is not adapted yet (gcc-compat.h)"
#endif

/* The name of a declaration as a C string ("" when anonymous). */
static inline const char *stf_decl_name (const_tree decl)
{
	return DECL_NAME (decl) ? IDENTIFIER_POINTER (DECL_NAME (decl)) : "";
}

#endif /* STF_GCC_COMPAT_H */
