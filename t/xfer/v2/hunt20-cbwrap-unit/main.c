/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/hunt20-cbwrap-unit (see there). */
#define V2
#include "../../v1/hunt20-cbwrap-unit/main.c"
