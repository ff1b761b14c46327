/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of rename19: v2/tls.c with the worker's start routine (and
 * the function of its update point) renamed from worker to serve. */
#define worker serve
#define TLS_RENAMED stf_rename(STF_RENAME_OBJECT, "rename19.c:worker", "rename19.c:serve")
#include "tls.c"
