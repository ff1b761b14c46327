/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hunt22-tagval.c with a constructor taking the length. */
#define TAGLEN
#include "hunt22-tagval.c"
