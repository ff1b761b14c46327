/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/huntc22-taglen.c. */
#define V2
#define TAGLEN
#include "../v1/hunt22-tagval.c"
