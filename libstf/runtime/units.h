/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * units.h - the executable's metadata units as the running program reads
 * them: the stored part of each blob in place, the whole blob on demand.
 */
#ifndef STF_UNITS_H
#define STF_UNITS_H

#include "stf-format.h"

/*
 * Unit u's whole blob (stf-format.h): the blob in place if nothing of it
 * is deflated, else a copy inflated on the first call and kept for the
 * life of the process (outside the program's heap).  Never NULL: a blob
 * that cannot be inflated reads as one with no records (and is warned
 * about once).  For what a program reads when it must not allocate
 * (allocation sites, update-point frames), stf_unit_blob() reads the
 * stored part in place.
 */
const struct stf_blob_hdr *stf__unit_blob(const struct stf_unit *u);

#endif /* STF_UNITS_H */
