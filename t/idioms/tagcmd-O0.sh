#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tagcmd.sh on its -O0 build (tagcmd-O0-1, tagcmd-O0-2: the pragma under
# IDIOM_O0; the default build is at -O2).

SERVER=tagcmd-O0
. "$(dirname "$0")/tagcmd.sh"
