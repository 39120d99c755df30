#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A server that breaks the protocol in every way muse-badpeer knows
# (malformed INIT replies, malformed, unexpected and duplicate I/O
# replies, refused error values, out-of-range bit-flip figures, a request
# left unanswered past its connection's own request_timeout), three rounds,
# while a well-behaved ramflash device is under load next to it: every bad
# case must be refused as documented, the good device must not notice (the
# timeout is the bad connection's, not the module-wide parameter), and
# KASAN, lockdep and kmemleak must stay quiet.  (device-cases wants no
# other MTD: tests/vm's registration runs it.)
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-badpeer
require_bin ramflash
require_bin mtdhammer
kmemleak_begin
load_muse

step "a good device under load next door"
start_ramflash kd-good $RF_SMALL --threads 2
mtdhammer --writers 2 --readers 1 --rounds 4 "$MTD" >/tmp/good.log 2>&1 &
hammer=$!

for round in 1 2 3; do
	step "muse-badpeer init-cases reply-cases, round $round"
	muse-badpeer init-cases reply-cases >/tmp/badpeer.log 2>&1 || {
		cat /tmp/badpeer.log
		fail "muse-badpeer reported failed cases in round $round"
	}
	passed=$(grep -c '^PASS ' /tmp/badpeer.log || true)
	echo "ok: round $round, $passed cases refused or accepted as documented"
	[ -z "$(mtd_by_name badpeer)" ] || fail "a badpeer MTD outlived its peer"
done

step "the good device saw nothing"
wait "$hammer" || {
	cat /tmp/good.log
	fail "mtdhammer on the good device"
}
cat /tmp/good.log
stop_ramflash

kmemleak_check
rmmod muse || fail "rmmod muse"
