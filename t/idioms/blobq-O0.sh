#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# blobq.sh on the server built at -O0 (blobq-O0-1 and -2); blobq.sh runs
# the build at the configured optimization (-O2).
SERVER=blobq-O0
. "$(dirname "$0")/blobq.sh"
