#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# regiond.sh on the server built at -O0 (regiond-O0-1 and -2); regiond.sh runs
# the build at the configured optimization (-O2).
SERVER=regiond-O0
. "$(dirname "$0")/regiond.sh"
