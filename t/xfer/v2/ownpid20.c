/* SPDX-License-Identifier: GPL-3.0-or-later */
#define V2
#include "../v1/ownpid20.c"
