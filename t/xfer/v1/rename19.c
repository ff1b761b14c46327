/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 1 of rename19: tls.c's threads (see v1/tls.c). */
#include "tls.c"
