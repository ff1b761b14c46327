/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/tail21-array8.c (see there). */
#define V2
#include "../v1/tail21-array8.c"
