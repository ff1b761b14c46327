#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# jobd (jobd/, wave 11's red team: a job server and key-value store on
# poll() built on Linux-style intrusive circular lists - keys on hash
# chains, jobs on a pending and a finished list, connections on a list,
# each node in the middle of its object and reached back with
# container_of, the list heads statics; every block from xmalloc, a
# size-prefixing wrapper in another unit (malloc(n + 8), returns p + 8),
# grown through its xrealloc: values reused while they fit, each job's
# output appended to step by step, connections' input and output; keys
# in flexible arrays; release 2 grows the key, the job and the connection
# before their list nodes), under idload's checking load, updated 1 -> 2
# and then 2 -> 2 three times, with jobs running across every update.
# After every commit: VERIFY (every chain and list link, every xmalloc
# header's size, every job's output length), every key, every job
# submitted so far either pending with no fewer steps done than before or
# done with exactly its output, and in release 2 a key's read count.

SERVER=jobd
VERSION_1="VERSION jobd 1"
VERSION_2="VERSION jobd 2"
NUPDATES=4
. "$(dirname "$0")/lib.sh"

jobs=     # "id:steps" of every job submitted
progress= # "id:done" of the pending jobs at the last check

submit() { # STEPS...
	for n in "$@"; do
		r=$(send "JOB $n")
		case $r in "JOB "[0-9]*) jobs="$jobs ${r#JOB }:$n" ;; *) fail "JOB $n: $r" ;; esac
	done
}

# Every job pending with no fewer steps done than at the last check, or
# done with its whole output; status 1 while any is pending.
check_jobs() { # CONTEXT
	set --
	for j in $jobs; do set -- "$@" "STATUS ${j%:*}" "OUT ${j%:*}"; done
	send "$@" >"$tmp/jobs.out" || fail "$1: STATUS and OUT got no reply"
	left=0 now=
	for j in $jobs; do
		id=${j%:*} n=${j#*:}
		{ read -r st; read -r out; } <&3
		case $st in
		"PENDING "*)
			d=${st#PENDING }; d=${d%/*}
			left=$((left + 1)) now="$now $id:$d"
			for p in $progress; do
				[ "${p%:*}" != "$id" ] || [ "$d" -ge "${p#*:}" ] ||
					fail "$1: job $id went back from ${p#*:} to $d steps"
			done ;;
		"DONE $n "*)
			want="OUT $(seq -s, 0 $((n - 1))),"
			[ "$out" = "$want" ] || fail "$1: job $id of $n steps: '$(echo "$out" | cut -c1-80)...'" ;;
		*) fail "$1: job $id of $n steps: $st" ;;
		esac
	done 3<"$tmp/jobs.out"
	progress=$now
	[ $left -eq 0 ]
}

fill_extra() {
	submit 40 120 300 500 640 800 800 800
}

checks=0
check_extra() { # RELEASE
	checks=$((checks + 1))
	check_jobs "release $1 check $checks"
	if [ "$1" = 2 ]; then
		r=$(send "HITS a7" "GET a7" "HITS a7" | tr '\n' ' ')
		case $r in "HITS "*" VALUE 55433 HITS "*) ;; *) fail "HITS: $r" ;; esac
		h1=$(echo "$r" | cut -d' ' -f2) h2=$(echo "$r" | cut -d' ' -f6)
		[ "$h2" -eq $((h1 + 1)) ] || fail "HITS did not count a read: $r"
	fi
	if [ $checks -le "$NUPDATES" ]; then
		submit 300 700 800
		return 0
	fi
	wait_for 60 check_jobs "at the end" || fail "jobs still pending after 60 s: $progress"
}

run_updates
