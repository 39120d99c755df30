#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The reply-value sweep (muse-peer sweep): every class of error value
# (positive, valid errnos, -EUCLEAN/-EBADMSG, the kernel-internal codes
# -512..-529, beyond -4095) in the header and soft_error of READ, WRITE,
# ERASE and ISBAD replies, out-of-range ISBAD results and bit-flip figures
# (max_bitflips 0xfffffdef and friends), seen through JFFS2's page-cache
# read and write and through mtdchar.  Refused values fail only with EIO,
# accepted ones reach the user as themselves, clamped figures change
# nothing; the kernel log must show no BUG and no WARNING (the harness
# fails the run on them).  kernel-debug's `sweep` runs it under KASAN.
. /scenarios/lib.sh

load_muse
grep -qw jffs2 /proc/filesystems || load_modules jffs2
run_peer sweep values
run_peer replies io timeout
rmmod muse || fail "rmmod muse after the sweep"
