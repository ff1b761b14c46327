#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# setkeys.sh: the checks of a typed pointer that points where no struct
# of its type is, into a block typed as numbers, are worked out once per
# kind of pointer, not once per pointer.  v1/setkeys holds a set shaped as
# Redis 7.2's: each member's key (an sds, its block typed as bytes) held
# by a `struct entry *` bucket as its odd address.  The update to v2 (the
# same types) must commit and v2 find every member; the new version runs
# under callgrind, and the check of such a pointer's struct against the
# new version's (stf__struct_changes: the struct's name formatted and
# looked up) must have run a few times, not for each of the ~15,000 keys
# held in buckets (before: ~15,000 calls in each direction, 15% of the
# redis bench's transform).
NAME=setkeys
. "${TSRC:?}/parts-lib.sh"
command -v valgrind >/dev/null 2>&1 && command -v callgrind_control >/dev/null 2>&1 || {
	echo "SKIP: valgrind is not installed"
	exit 77
}

build "$TSRC/v1/$NAME.c" "$WORK/v1"
build "$TSRC/v2/$NAME.c" "$WORK/v2"
cat >"$WORK/new" <<EOS
#!/bin/sh
exec valgrind -q --tool=callgrind --compress-strings=no --compress-pos=no \
	--callgrind-out-file=$WORK/cg.%p "$WORK/v2" "\$@"
EOS
chmod +x "$WORK/new"
start_program 1 1 "$WORK/v1"
"$TTST_CTL" --socket "$WORK/ctl.1" --json update --timeout 600 "$WORK/new" \
	>"$WORK/update.1" 2>&1 || fail "ttst-ctl update failed"
new_version_ok 1 || fail "v2 did not find its state"
cg=$(ls "$WORK"/cg.* | head -n 1)
callgrind_control -d "${cg##*.}" >/dev/null 2>&1 || fail "cannot dump callgrind's counts"
for _ in $(seq 100); do
	[ -n "$(ls "$WORK"/cg.*.1 2>/dev/null)" ] && break
	sleep 0.1
done
stop_program
calls=$(cat "$WORK"/cg.* | awk '
	/^cfn=/ { c = ($0 ~ /stf__struct_changes/) ; next }
	/^calls=/ { if (c) n += substr($1, 7); c = 0 }
	END { print n + 0 }')
echo "stf__struct_changes ran $calls times"
[ "$calls" -lt 100 ] ||
	fail "the checks of the keys held in buckets ran $calls times, once per pointer"
echo "PASS: setkeys: the checks of odd keys in typed buckets worked out once per kind"
