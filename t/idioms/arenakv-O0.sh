#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# arenakv.sh on the server built at -O0 (arenakv-O0-1 and -2); arenakv.sh
# runs the build at the configured optimization (-O2).
SERVER=arenakv-O0
. "$(dirname "$0")/arenakv.sh"
