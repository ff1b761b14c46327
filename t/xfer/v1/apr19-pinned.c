/* SPDX-License-Identifier: GPL-3.0-or-later */
/* v1/apr19-grow.c with an APR array holding a record (see there). */
#define PINNED
#include "../v1/apr19-grow.c"
