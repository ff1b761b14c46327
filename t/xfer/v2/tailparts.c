/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/tailparts.c (see there). */
#define V2
#include "../v1/tailparts.c"
