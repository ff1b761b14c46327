/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of gmain19-own: gmain19's with its own gmain started in
 * update mode (see v1/gmain19.c). */
#define V2
#define OWN_GMAIN
#include "../v1/gmain19.c"
