#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# robjd.sh on its -O0 build (robjd-O0-1, robjd-O0-2: the pragma under
# IDIOM_O0; the default build is at -O2).

SERVER=robjd-O0
. "$(dirname "$0")/robjd.sh"
