/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 1 of gmain19-own: gmain19's (see v1/gmain19.c). */
#include "gmain19.c"
