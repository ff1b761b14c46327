/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/stale23-libcap.c (see there). */
#define V2
#include "../v1/stale23-libcap.c"
