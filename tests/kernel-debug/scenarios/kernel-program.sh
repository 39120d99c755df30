#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Kernel program under KASAN, lockdep and kmemleak: muse-peer program's
# cases (the ioctls' errnos, kernel programs and the writes left to
# requests, the chip rules, the per-block and device-wide budgets, a
# sealed memfd, a bad block, a connection aborted, grants taken back
# under four racing writers, kernel erases clearing the bitmaps and racing
# two writers), once, then the module unloads and nothing leaked.
# not-tmpfs (a file on ext4) is the stock suite's: it skips here.  One
# round, not passthrough's three: every path runs in it (takeback-race
# and erase-race hundreds of times), and with two rounds this test took
# 270 s on 6.1 and 501 s on 7.3 (a loaded machine) of the test command's
# budget, for no path the first round had not run.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-peer
kmemleak_begin
load_muse

run_peer -v program

kmemleak_check
rmmod muse || fail "rmmod muse"
