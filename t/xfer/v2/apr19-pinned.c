/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/apr19-pinned.c (see there). */
#define V2
#define PINNED
#include "../v1/apr19-grow.c"
