#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/vm's init-race (ioctls racing the INIT write, thousands of rounds)
# under KASAN, UBSAN, lockdep and kmemleak: no splat, nothing leaked.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-rawpeer
kmemleak_begin
INIT_RACE_ROUNDS=3000 sh /scenarios/init-race.sh || exit $?
kmemleak_check
