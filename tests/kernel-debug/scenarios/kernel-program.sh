#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Kernel program under KASAN, lockdep and kmemleak: muse-peer program's
# cases (the ioctls' errnos, kernel programs and the writes left to
# requests, the chip rules, the per-block and device-wide budgets, a
# sealed memfd, a bad block, a connection aborted, grants taken back
# under four racing writers, kernel erases clearing the bitmaps), twice,
# then the module unloads and nothing leaked.  not-tmpfs (a file on ext4)
# is the stock suite's: it skips here.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-peer
kmemleak_begin
load_muse

for round in 1 2; do
	step "round $round"
	run_peer -v program
done

kmemleak_check
rmmod muse || fail "rmmod muse"
