/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ../hunt20-cbwrap.c with obj_new and xmalloc in another unit (obj.c). */
#define CBWRAP_EXTERN
#include "../hunt20-cbwrap.c"
