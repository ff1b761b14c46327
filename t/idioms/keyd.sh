#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# keyd (keyd/: a key-value server on Debian's real libcrypto, OpenSSL 3:
# an Ed25519 host key generated at start and kept in the program's
# keyring, the key's ex_data pointing back to it; the journal's SHA-256
# EVP_MD_CTX and HMAC EVP_MAC_CTX kept across requests; the process title
# rewritten over argv; release 2 grows the keyring in its middle and at
# its end), under idload's checking load, updated 1 -> 2 and then 2 -> 2
# five times.  After every commit: VERIFY (the key's ex_data, its public
# key against the keyring's fingerprint, the journal's digest type), the
# same public key and the same signature of a message (Ed25519 signs
# deterministically: the same key), the journal's digest and HMAC, with a
# line logged by each release, as Python computes them, the title, and in
# release 2 the signatures counted on.

[ -x "${IDIOMS_DIR:-.}/keyd-1" ] || { echo "SKIP: libcrypto (libssl-dev) was not found at configure time"; exit 77; }
SERVER=keyd
VERSION_1="VERSION keyd 1"
VERSION_2="VERSION keyd 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

# journal_sums: the SHA-256 and HMAC of the lines in $tmp/journal.
journal_sums() {
	python3 - "$tmp/journal" <<'PY'
import hashlib, hmac, sys
data = open(sys.argv[1], 'rb').read()
print("DIGEST " + hashlib.sha256(data).hexdigest())
print("MAC " + hmac.new(b"keyd journal key", data, hashlib.sha256).hexdigest())
PY
}

fill_extra() {
	: >"$tmp/journal"
	for i in $(seq 1 10); do
		[ "$(send "LOG line $i of the first release")" = "OK $i" ] || fail "LOG $i"
		echo "line $i of the first release" >>"$tmp/journal"
	done
	pubkey=$(send PUBKEY)
	sig=$(send "SIGN the same message")
	case $sig in "SIG "????????*) ;; *) fail "SIGN: $sig" ;; esac
}

signs=
check_extra() { # RELEASE
	[ "$(send PUBKEY)" = "$pubkey" ] || fail "release $1: the host key changed: $(send PUBKEY), was $pubkey"
	r=$(send "SIGN the same message")
	[ "$r" = "$sig" ] || fail "release $1: the signature changed: $r, was $sig"
	line="line logged by release $1 at $(date +%s%N)"
	r=$(send "LOG $line")
	[ "$r" = "OK $(($(wc -l <"$tmp/journal") + 1))" ] || fail "release $1: LOG gave '$r'"
	echo "$line" >>"$tmp/journal"
	[ "$(send DIGEST MAC)" = "$(journal_sums)" ] ||
		fail "release $1: the journal's sums: $(send DIGEST MAC | tr '\n' ' '), not $(journal_sums | tr '\n' ' ')"
	send VERSION >/dev/null   # one more turn of the loop: the title
	fpr=${pubkey#PUBKEY }
	tr '\0' ' ' <"/proc/$(served_pid)/cmdline" | grep -q "^keyd: $(echo "$fpr" | cut -c57-64) [0-9]* requests" ||
		fail "release $1: ps shows: $(tr '\0' ' ' <"/proc/$(served_pid)/cmdline")"
	[ "$1" = 2 ] || return 0
	r=$(send "SIGN another" SIGNS | sed -n 's/^SIGNS //p')
	[ -z "$signs" ] || [ "$r" -gt "$signs" ] || fail "SIGNS went from $signs to $r"
	signs=$r
}

run_updates
