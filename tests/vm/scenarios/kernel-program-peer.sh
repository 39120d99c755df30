#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Kernel program (MUSE_EXT_KERNEL_PROGRAM) and the device-wide kernel
# budget against the module, with muse-peer program's libmuse server (its
# data, erase counts, programmed bitmaps and program counts in a memfd):
# every bad argument of the three ioctls gets its errno, a backing file on
# ext4 is refused (EOPNOTSUPP); a plain write of a granted block sends no
# request and lands in the file with its bits and count, each write the
# kernel must not program is a request (OOB, RAW, ungranted, programmed
# since the erase, the count at 0xffff, across two blocks), and the chip
# rules (in order, whole pages) hold, each against a control without;
# the per-block and device-wide budgets run out exactly (shared with
# kernel erases and the server's takes); taking blocks back under racing
# writers loses and doubles no program; a kernel erase clears its block's
# bitmap, and without program state touches no bitmap.
. /scenarios/lib.sh

require_bin muse-peer
load_modules mtd loop crc32c_generic ext4
load_muse

step "ext4 on a loop device, for a backing file outside tmpfs"
mkdir -p /mnt/ext4
head -c 8388608 /dev/zero >/tmp/ext4.img
mke2fs -q -F /tmp/ext4.img >/dev/null || fail "mke2fs"
mount -t ext4 -o loop /tmp/ext4.img /mnt/ext4 || fail "mount ext4"
PROGTEST_NOT_TMPFS=/mnt/ext4
export PROGTEST_NOT_TMPFS
run_peer -v program
# It skips without the file system: here it must have run.
grep -qx "PASS not-tmpfs" /tmp/peer-program.log ||
	fail "muse-peer program: not-tmpfs did not pass"
unset PROGTEST_NOT_TMPFS
umount /mnt/ext4
rmmod muse || fail "rmmod muse"
