#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The engine's parallel loops under valgrind: memcheck (errors fatal) and
# helgrind (no data race between the parts, bulk.c's shared cache
# included).
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
set -e
valgrind -q --error-exitcode=99 ./test-parallel
valgrind -q --tool=helgrind --error-exitcode=99 ./test-parallel
