#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# update-libckeep.sh under valgrind's memcheck, for the items whose C
# library blocks the transfer carries and the program frees after the
# updates (regcomp's, with malloc(0) node sets among them; getaddrinfo's
# list; a DIR *): P, F and R must report no error, and the program end
# cleanly.
LIBCKEEP_MEMCHECK=1
LIBCKEEP_ITEMS="directives addrinfo opendir"
. "${TSRC:-.}/update-libckeep.sh"
