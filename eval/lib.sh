# SPDX-License-Identifier: GPL-3.0-or-later
#
# Shared by the make eval scripts (sourced).  Paths come from the
# environment set by the top-level Makefile (eval target): TTSTD, TTST_CTL,
# STF_PLUGIN, STF_INCLUDE, LIBSTF_DIR, KVD_DIR, BENCH_DIR, SRCDIR, CC, and
# OUT (where data, figures and report.md go); QUICK=1 for make eval-quick.
set -u
: "${TTSTD:?}" "${TTST_CTL:?}" "${STF_PLUGIN:?}" "${STF_INCLUDE:?}" "${LIBSTF_DIR:?}"
: "${KVD_DIR:?}" "${OUT:?}" "${SRCDIR:?}" "${CC:=gcc}" "${QUICK:=0}"

progress() { printf '[eval %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'eval: %s\n' "$*" >&2; exit 1; }

# json FILE KEY [SUBKEY]: a number from ttst-ctl --json (flat enough for sed)
json() {
	if [ $# -eq 3 ]; then
		sed -n "s/.*\"$2\":{[^}]*\"$3\":\([0-9.e+-]*\).*/\1/p" "$1" | head -n1
	else
		sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1" | head -n1
	fi
}
# json_str FILE KEY: a string value
json_str() { sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1" | head -n1; }

# Instrumented build of a C file: plugin, libstf, rpath to the build tree.
cc_stf() { # OUTPUT SOURCE [CFLAGS...]
	o=$1 src=$2
	shift 2
	$CC -std=gnu11 -O2 -g -fplugin="$STF_PLUGIN" -I"$STF_INCLUDE" "$@" -o "$o" "$src" \
		-L"$LIBSTF_DIR" -Wl,--no-as-needed -lstf -Wl,-rpath,"$LIBSTF_DIR"
}

# ttstd in the background on socket $1, program and arguments after it;
# sets TTSTD_PID and waits until libstf in the program has connected.
EVAL_TTSTDS=
start_supervised() { # SOCKET LOG PROGRAM [ARGS...]
	sock=$1 log=$2
	shift 2
	"$TTSTD" --socket "$sock" --timeout 120 --log "$log" -- "$@" >>"$log.out" 2>&1 &
	TTSTD_PID=$!
	EVAL_TTSTDS="$EVAL_TTSTDS $TTSTD_PID"
	i=0
	until "$TTST_CTL" --socket "$sock" --json status 2>/dev/null | grep -q '"connected":1'; do
		i=$((i + 1))
		[ $i -le 1200 ] || die "$* did not start under ttstd (log: $log)"
		kill -0 "$TTSTD_PID" 2>/dev/null || die "ttstd exited at startup (log: $log)"
		sleep 0.05
	done
}
stop_supervised() { # PID
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null || :
}
eval_cleanup() {
	for p in $EVAL_TTSTDS; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null || :
}
trap eval_cleanup EXIT
trap 'exit 130' INT TERM

# VmRSS of a pid in KiB
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
