#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# sitememo.sh: what the transfer works out per allocation site (its ID
# and type in the new version: stf__peer_site_type, a name lookup) is
# worked out once per site, not once per object.  v1/sitememo holds
# 19,200 nodes of 128 sites, interleaved; the update to v2 (the same
# types) must commit and v2 find every node; the new version runs under
# callgrind and must have looked sites up a few hundred times, not once
# for most nodes (before: the per-site memo had 64 hashed slots, and
# sites sharing one missed it for each of their objects).
NAME=sitememo
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
	/^cfn=/ { c = ($0 ~ /stf__peer_site_type/) ; next }
	/^calls=/ { if (c) n += substr($1, 7); c = 0 }
	END { print n + 0 }')
echo "stf__peer_site_type ran $calls times"
[ "$calls" -lt 2000 ] ||
	fail "the sites of 19,200 objects of 128 sites were looked up $calls times"
echo "PASS: sitememo: each allocation site worked out once"
