#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tagq.sh on the server built at -O0 (tagq-O0-1 and -2); tagq.sh
# runs the build at the configured optimization (-O2).
SERVER=tagq-O0
. "$(dirname "$0")/tagq.sh"
