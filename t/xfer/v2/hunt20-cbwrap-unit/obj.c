/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/hunt20-cbwrap-unit (see there). */
#include "../../v1/hunt20-cbwrap-unit/obj.c"
