/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inplace.h - the old version's objects transferred into the new
 * startup's own objects, in place (inplace.c).
 */
#ifndef STF_TRANSFER_INPLACE_H
#define STF_TRANSFER_INPLACE_H

#include "engine.h"

/* Forward, in F, once the statics are paired and before the heap objects
 * are allocated: pair each old heap block that a static points to with
 * the new startup's block the same static word points to, when they fit
 * (inplace.c), and make that block its destination.  0, or -1 (out of
 * memory, x failed). */
int stf__plan_inplace(struct stf_xfer *x);

/* The contents the startup's blocks had before old objects were
 * transferred into them, to fn; and their release (after the sweep of
 * the startup's objects and descriptors, startup.c). */
void stf__inplace_dropped_each(void (*fn)(void *ctx, const uint8_t *bytes, uint64_t size),
			       void *ctx);
int stf__inplace_dropped_any(void);
void stf__inplace_release(void);

/* Whether the startup's block at addr received an old sub-object in place
 * (its other contents zeroed): state, holding only the old version's
 * values, until stf__inplace_release. */
int stf__inplace_holder(uint64_t addr);

#endif
