/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/hunt22-tabren.c. */
#define V2
#include "../v1/hunt22-tabren.c"
