#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Kernel program under KASAN, lockdep and kmemleak: muse-peer program's
# cases (the ioctls' errnos, kernel programs and the writes left to
# requests, the chip rules, the per-block and device-wide budgets, a
# sealed memfd, a bad block, a connection aborted, grants taken back
# under four racing writers, kernel erases clearing the bitmaps and racing
# two writers), twice (erase-race once), then the module unloads and
# nothing leaked.  not-tmpfs (a file on ext4) is the stock suite's: it
# skips here.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-peer
kmemleak_begin
load_muse

step "round 1"
run_peer -v program
# The second round without erase-race's 2000 erases (minutes under KASAN).
step "round 2"
cases=$(muse-peer program --list | grep -vx erase-race | tr '\n' ' ')
# shellcheck disable=SC2086 # one case name per word
run_peer -v program $cases

kmemleak_check
rmmod muse || fail "rmmod muse"
