#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A server that breaks the protocol in every way muse-peer knows
# (malformed INIT replies, malformed, unexpected and duplicate I/O
# replies, refused error values, out-of-range bit-flip figures, a request
# left unanswered past its connection's own request_timeout), three rounds,
# while a well-behaved ramflash device is under load next to it: every bad
# case must be refused as documented, the good device must not notice (the
# timeout is the bad connection's, not the module-wide parameter), and
# KASAN, lockdep and kmemleak must stay quiet.  (The devices target wants
# no other MTD: tests/vm's registration runs it.)
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-peer
require_bin ramflash
require_bin mtdhammer
kmemleak_begin
load_muse

step "a good device under load next door"
start_ramflash kd-good $RF_SMALL --threads 2
# The load runs until told to stop, one verified mtdhammer pass after
# another, each counted in /tmp/good.passes: so it is checked to be still
# running after every round, and to have completed passes while they ran
# (a fixed number of rounds could end before the first bad case).
rm -f /tmp/good.stop /tmp/good.passes
(
	while [ ! -e /tmp/good.stop ]; do
		mtdhammer --writers 2 --readers 1 --rounds 1 "$MTD" >>/tmp/good.log 2>&1 ||
			exit 1
		echo pass >>/tmp/good.passes
	done
) &
hammer=$!

# good_passes: verified passes of the load so far.
good_passes() {
	if [ -e /tmp/good.passes ]; then wc -l </tmp/good.passes; else echo 0; fi
}

# the first pass ends before the rounds start: the load works at all.
wait_for 120 test -s /tmp/good.passes || {
	cat /tmp/good.log
	fail "the load on the good device did not complete one pass in 120 s"
}
passes_before=$(good_passes)

for round in 1 2 3; do
	step "round $round"
	# Each leaves the MTDs as it found them: the good device, no badpeer.
	run_peer init replies
	run_peer replies io timeout
	kill -0 "$hammer" 2>/dev/null || {
		cat /tmp/good.log
		fail "the load on the good device ended during round $round"
	}
	echo "ok: the load still runs after round $round ($(good_passes) passes)"
done

step "the good device saw nothing"
passes_during=$(($(good_passes) - passes_before))
: >/tmp/good.stop
wait "$hammer" || {
	cat /tmp/good.log
	fail "mtdhammer on the good device"
}
# A pass ends within the rounds, or the load may have hung beside them.
[ "$passes_during" -ge 1 ] || fail "the load completed no pass during the three rounds"
echo "ok: the load verified $passes_during passes during the rounds, $(good_passes) in all"
stop_ramflash

kmemleak_check
rmmod muse || fail "rmmod muse"
