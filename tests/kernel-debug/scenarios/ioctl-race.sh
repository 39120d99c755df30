#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/vm's init-race (ioctls racing the INIT write) under KASAN, UBSAN,
# lockdep and kmemleak: no splat, nothing leaked.  500 rounds (1000 took
# 300-360 s, most of a plain stage's longest test; the stock kernels run
# 2000 in 20-45 s on 6.1 and 6.12, so the race's windows are hit there
# either way: these rounds are for KASAN and lockdep on its paths).
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-peer
export INIT_RACE_ROUNDS=500
# The rounds do not wait for their MTDs: each one's registration and
# removal queue in the module's workqueue behind the MTD core's
# mtd_table_mutex, which add_mtd_device() holds for a good part of a
# second here.  With two such guests on two loaded cores ten workers were
# seen waiting on it over 30 s, the guest's hung-task limit, while the
# queue drained (2026-12-07, a 490 s run; it passed).  A worker stuck for
# good still fails the scenario: its rounds would not end in time, and
# init-race-mtds-gone checks every MTD went.
echo 180 >/proc/sys/kernel/hung_task_timeout_secs
kd_wrap init-race
