#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# genkv.sh on the server built at -O0 (genkv-O0-1 and -2); genkv.sh
# runs the build at the configured optimization (-O2).
SERVER=genkv-O0
. "$(dirname "$0")/genkv.sh"
