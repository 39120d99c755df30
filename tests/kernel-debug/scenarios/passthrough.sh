#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Read passthrough under KASAN, lockdep and kmemleak: muse-pttest's cases
# (equivalence, a take-back racing four readers, a backing file truncated
# under the kernel, the server gone with passthrough reads in flight),
# three rounds, then the module unloads and nothing leaked.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-pttest
kmemleak_begin
load_muse

for round in 1 2 3; do
	step "muse-pttest all, round $round"
	muse-pttest -v all >/tmp/pttest.log 2>&1 || {
		cat /tmp/pttest.log
		fail "muse-pttest, round $round"
	}
	grep -E '^(PASS|FAIL) |flipped' /tmp/pttest.log
	[ -z "$(mtd_by_name pttest)" ] || fail "a pttest MTD outlived its server"
done

kmemleak_check
rmmod muse || fail "rmmod muse"
