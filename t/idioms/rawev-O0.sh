#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# rawev.sh on its -O0 build (rawev-O0-1, rawev-O0-2: the pragma under
# IDIOM_O0; the default build is at -O2).

SERVER=rawev-O0
. "$(dirname "$0")/rawev.sh"
