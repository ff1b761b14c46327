#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# robjd.sh on its -O2 build (robjd-O2-1, robjd-O2-2).

SERVER=robjd-O2
. "$(dirname "$0")/robjd.sh"
