/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hunt20-cbwrap.c with CBWRAP_CHAIN (see there). */
#define CBWRAP_CHAIN
#include "hunt20-cbwrap.c"
