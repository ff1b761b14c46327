#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tagdict (tagdict/: a dictionary of tagged `void *` values - small
# integers shifted left with the low bit set, or pointers to objects of
# three types told apart by a tag in their common header, bit 1 of the
# pointer marking them dirty -; deleted keys the sentinel (char *)-1 with
# their freed value's address left in the slot; an enum value in each
# slot's `void *udata`; every block behind a 16-byte magic+size header
# of an xmalloc wrapper with xcalloc, xrealloc and xstrdup; a journal
# vector whose capacity holds stale pointers) under idload's checking
# load, updated 1 -> 2 (members added to the object header, to the text
# object in its middle, to the slot in its middle; a length widened; the
# inline text's array grown; an enumerator inserted in the middle of the
# type enum) and then 2 -> 2 eleven times.  After every commit: VERIFY
# (every slot where it hashes, every tag, length, magic header and udata,
# used_memory the sum of the headers) passes, every key (short, long,
# tagged-integer, dirty and clean ones) is there, and no request failed.

SERVER=tagdict
VERSION_1="VERSION tagdict/1"
VERSION_2="VERSION tagdict/2"
. "$(dirname "$0")/lib.sh"

long_text() { # N: a text of 30 + N bytes, ending in ! when N is even
	t=$(printf 'long-%03d-%040d' "$1" "$1" | cut -c1-$((30 + $1 % 50)))
	[ $(($1 % 2)) -eq 0 ] && t="$t!"
	echo "$t"
}

# Long texts (behind char * and behind void *), some saved (clean), a big
# integer, some deleted (tombstones with stale values).
fill_extra() {
	set --
	i=0
	while [ $i -lt 60 ]; do
		set -- "$@" "SET long$i $(long_text $i)"
		[ $i -eq 30 ] && set -- "$@" SAVE
		[ $((i % 7)) -eq 3 ] && set -- "$@" "DEL long$i"
		i=$((i + 1))
	done
	set -- "$@" "SET big 1099511627777" "SET neg -42"
	send "$@" >"$tmp/fill_extra.out"
	[ "$(grep -c '^OK$' "$tmp/fill_extra.out")" = 71 ] || fail "fill_extra: $(sort "$tmp/fill_extra.out" | uniq -c | tr '\n' ' ')"
}

check_extra() {
	release=$1
	set --
	: >"$tmp/want"
	i=0
	while [ $i -lt 60 ]; do
		set -- "$@" "GET long$i"
		if [ $((i % 7)) -eq 3 ]; then
			echo NONE >>"$tmp/want"
		else
			echo "VALUE $(long_text $i)" >>"$tmp/want"
		fi
		i=$((i + 1))
	done
	printf 'VALUE 1099511627777\nVALUE -42\n' >>"$tmp/want"
	send "$@" "GET big" "GET neg" >"$tmp/got"
	cmp -s "$tmp/want" "$tmp/got" ||
		fail "release $release: long0..59, big or neg changed: $(diff "$tmp/want" "$tmp/got" | head -n 4 | tr '\n' ' ')"
	# (no count of dirty values is asserted: a SET that fills the journal
	# saves, which clears every mark, so 0 is a state the load reaches)
}

run_updates
