#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/vm's partitions-blkpg (BLKPG add/del before, during and after the
# server's death, then rmmod and a new registration) under KASAN and
# kmemleak: a partition that outlives its connection is a use-after-free.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin ramflash
kd_wrap partitions-blkpg
rmmod muse || fail "rmmod muse"
