#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# vecd.sh on the server built at -O0 (vecd-O0-1 and -2); vecd.sh runs
# the build at the configured optimization (-O2).
SERVER=vecd-O0
. "$(dirname "$0")/vecd.sh"
