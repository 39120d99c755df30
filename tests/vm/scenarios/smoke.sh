#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The harness itself: the guest boots, the distribution kernel's MTD
# stack loads (mtd, mtdram, UBI, UBIFS, JFFS2) and mtdram shows up with
# the geometry given on the modprobe line.  Needs nothing from libmuse.
. /scenarios/lib.sh

step "load the kernel's flash stack"
# ubifs.ko needs the zstd compressor registered before it loads.
load_ubifs_stack
load_modules mtdram jffs2
rmmod mtdram
modprobe mtdram total_size=2048 erase_size=64 || fail "modprobe mtdram"

step "mtdram geometry"
dev=$(mtd_by_name "mtdram test device")
[ -n "$dev" ] || fail "mtdram not in /proc/mtd: $(cat /proc/mtd)"
expect_eq "size" 2097152 "$(mtd_attr "$dev" size)"
expect_eq "erasesize" 65536 "$(mtd_attr "$dev" erasesize)"
expect_eq "type" ram "$(mtd_attr "$dev" type)"

step "UBI and UBIFS on mtdram"
ubifs_up "$dev" vol /mnt/ubifs
echo hello >/mnt/ubifs/hello
umount /mnt/ubifs
ubifs_mount vol /mnt/ubifs
expect_eq "file read back" hello "$(cat /mnt/ubifs/hello)"
ubi_down /mnt/ubifs
rmmod ubifs ubi mtdram
