/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hunt20-cbwrap.c with CBWRAP_CALLOC (see there). */
#define CBWRAP_CALLOC
#include "hunt20-cbwrap.c"
