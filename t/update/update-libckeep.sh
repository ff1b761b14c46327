#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Memory the C library allocates for the program, kept in the program's
# structs across updates, then used and freed (v1/libckeep.c, at -O2):
# for each item, 1 -> 2 (its struct changes) -> 2, the item used after
# each update, then SIGTERM, where the program frees everything and must
# exit 0.  Each item either commits and works afterwards, or rolls back
# naming what it cannot carry; none may commit and crash later.
# LIBCKEEP_ITEMS picks items (all by default); LIBCKEEP_MEMCHECK=1 runs
# every process (P, F, R) under valgrind's memcheck (update-memcheck.sh),
# which must report no error (update-libckeep-memcheck.sh).
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/libckeep v1/libckeep.c -O2
build v2/libckeep v1/libckeep.c -O2 -DKEEP_V2
v1=$WORK/v1/libckeep
v2=$WORK/v2/libckeep
updates="1 2"
if [ -n "${LIBCKEEP_MEMCHECK:-}" ]; then
	command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
	memcheck_wrapper v1 "$v1"
	memcheck_wrapper v2 "$v2"
	v1=$WORK/vg-v1
	v2=$WORK/vg-v2
	# one update: valgrind cannot start the next new version from the
	# one it runs (its own start asserts, in vgPlain_safe_fd)
	updates=1
fi
mkdir -p "$WORK/files"
printf 'first\nsecond\n' >"$WORK/files/data"
printf 'a line\n' >"$WORK/files/lines"

# outcome ITEM: what the update must do with it: commit, or roll back
# with a report holding the words given
outcome() {
	case $1 in
	fopen) echo "buffered input not read yet" ;;      # streams.c
	memstream) echo "open_memstream" ;;               # streams.c
	iconv) echo "gconv/ISO8859-1.so" ;;               # a module dlopen'd by iconv_open
	locale) echo "/usr/lib/locale/C.utf8/LC_CTYPE" ;; # mapped by newlocale
	*) echo commit ;;
	esac
}

for item in ${LIBCKEEP_ITEMS:-directives regex strdup asprintf getline addrinfo scandir \
		realpath opendir fopen fopenall memstream iconv iconvucs4 locale tsearch hsearch glob \
		ifaddrs}; do
	if [ "$item" = locale ] && [ ! -d /usr/lib/locale/C.utf8 ]; then
		echo "$item: skipped, no C.UTF-8 locale"
		continue
	fi
	want=$(outcome "$item")
	start_ttstd --name "libckeep-$item" -- "$v1" "$SRV" "$WORK/files" "$item"
	wait_connected 600 0.1
	expect "$item: use before" "$(q use)" ok
	for n in $updates; do
		ctl update --timeout 600 "$v2" >"$WORK/out" 2>&1; rc=$?
		if [ "$want" = commit ]; then
			[ $rc -eq 0 ] || { cat "$WORK/out"; fail "$item: update $n did not commit"; }
		else
			[ $rc -eq 1 ] || { cat "$WORK/out"; fail "$item: update $n did not roll back"; }
			grep -q -- "$want" "$WORK/out" || { cat "$WORK/out"; fail "$item: the report does not name '$want'"; }
		fi
		expect "$item: use after update $n" "$(q use)" ok
	done
	kill "$(program_pid)"
	wait "$TTSTD_PID"; rc=$?
	TTSTD_PID=
	[ $rc -eq 0 ] && grep -q "^clean exit" "$WORK/program.out" || {
		cat "$WORK/program.out"
		fail "$item: the program did not end cleanly at SIGTERM (status $rc)"
	}
	if [ -n "${LIBCKEEP_MEMCHECK:-}" ]; then
		for f in "$WORK"/vg.*.log; do
			grep -q "ERROR SUMMARY: 0 errors" "$f" || { cat "$f"; fail "$item: memcheck: $f"; }
		done
		rm -f "$WORK"/vg.*.log
	fi
	[ "$want" = commit ] && did=committed || did="rolled back"
	echo "$item: $did, used, freed"
done
echo ok
