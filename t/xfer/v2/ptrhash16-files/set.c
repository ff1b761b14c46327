/* SPDX-License-Identifier: GPL-3.0-or-later */
/* set.c is the same in both versions. */
#include "../../v1/ptrhash16-files/set.c"
