#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tagcmd.sh on its -O2 build (tagcmd-O2-1, tagcmd-O2-2).

SERVER=tagcmd-O2
. "$(dirname "$0")/tagcmd.sh"
