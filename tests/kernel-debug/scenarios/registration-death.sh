#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/vm's register-death (the server of the largest partitioned NAND
# dies while the kernel registers it: at the first ISBAD, after a
# thousand, by the administrator's abort) under KASAN, lockdep and
# kmemleak: no soft lockup, no splat, every partition gone, rmmod works,
# nothing leaked.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-peer
kd_wrap register-death
