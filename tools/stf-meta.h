/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stf-meta.h - internals shared by the stf-meta subcommands.
 */
#ifndef TTST_STF_META_H
#define TTST_STF_META_H

#include <stdbool.h>
#include <stdio.h>

#include "elfmeta.h"

/* Exit statuses common to every subcommand. */
enum {
	EXIT_SAME = 0,  /* dump ok, verify agrees, diff: no state change */
	EXIT_DIFF = 1,  /* verify disagrees, diff: differences */
	EXIT_USAGE = 2, /* usage error, unreadable or corrupted input */
};

/* Open BINARY's metadata or print "stf-meta: <why>" and return NULL. */
struct elfmeta *stf_meta_tool_open(const char *path);

/* JSON string literal of s (escaped) on f. */
void json_string(FILE *f, const char *s);

const char *kind_name(unsigned kind);
const char *object_kind_name(unsigned kind);

int cmd_dump(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_diff(int argc, char **argv);

#endif /* TTST_STF_META_H */
