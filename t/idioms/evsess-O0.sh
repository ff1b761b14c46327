#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# evsess.sh on its -O2 build (evsess-O2-1, evsess-O2-2).

SERVER=evsess-O2
. "$(dirname "$0")/evsess.sh"
