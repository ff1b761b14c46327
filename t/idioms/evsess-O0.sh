#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# evsess.sh on its -O0 build (evsess-O0-1, evsess-O0-2: the pragma under
# IDIOM_O0; the default build is at -O2).

SERVER=evsess-O0
. "$(dirname "$0")/evsess.sh"
