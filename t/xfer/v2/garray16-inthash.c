/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/garray16-inthash.c (see there). */
#define V2
#include "../v1/garray16-inthash.c"
