#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A server dies while the kernel registers its partitioned NAND
# (muse-peer lifetime register-death): the largest chip INIT accepts,
# dying at the first ISBAD, after a thousand, and by the administrator's
# abort; registration must not spin (the soft-lockup detector is armed at
# 4 s: a report fails the run), every partition goes, and rmmod works.  A chip
# of 2^32 - 1 blocks, which used to spin for half an hour, is refused.
. /scenarios/lib.sh

require_bin muse-peer
load_muse
if [ -w /proc/sys/kernel/watchdog_thresh ]; then
	echo 2 >/proc/sys/kernel/watchdog_thresh
	echo "ok: soft-lockup detector at $(($(cat /proc/sys/kernel/watchdog_thresh) * 2)) s"
fi
run_peer lifetime register-death
rmmod muse || fail "rmmod muse after the deaths"
