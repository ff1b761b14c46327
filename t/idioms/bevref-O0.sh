#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bevref.sh on its -O0 build (bevref-O0-1, bevref-O0-2: the pragma under
# IDIOM_O0; the default build is at -O2).

SERVER=bevref-O0
. "$(dirname "$0")/bevref.sh"
