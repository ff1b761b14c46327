/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/libckeep23-tableword.c, the same program. */
#define V2
#include "../v1/libckeep23-tableword.c"
