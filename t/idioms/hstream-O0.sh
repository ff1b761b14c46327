#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# hstream.sh on its -O0 build (hstream-O0-1, hstream-O0-2: the pragma under
# IDIOM_O0; the default build is at -O2).

SERVER=hstream-O0
. "$(dirname "$0")/hstream.sh"
