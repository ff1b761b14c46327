/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hunt20-cbwrap.c with CBWRAP_PUBLIC (see there). */
#define CBWRAP_PUBLIC
#include "hunt20-cbwrap.c"
