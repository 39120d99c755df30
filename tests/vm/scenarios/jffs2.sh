#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# JFFS2 on a ramflash NOR: an image made by mkfs.jffs2 is written with
# flashcp (which verifies it), mounted and checked; more files are added,
# and after unmounting, stopping ramflash and serving the same --image
# again, everything reads back.
. /scenarios/lib.sh

require_bin ramflash
load_modules mtd jffs2
load_muse

img=/tmp/nor.img
geometry="--type nor --size 2MiB --erase-size 64KiB"

step "a tree and its JFFS2 image"
mkdir -p /tmp/tree/sub/deeper
for size in 0 10 4096 50000 200000; do
	head -c "$size" /dev/urandom >/tmp/tree/f$size
	head -c "$size" /dev/urandom >/tmp/tree/sub/deeper/g$size
done
# Compressible data too, so that JFFS2's compressors run.
yes "muse jffs2 line" | head -n 20000 >/tmp/tree/sub/text
mkfs.jffs2 -r /tmp/tree -e 64KiB -l -o /tmp/jffs2.bin
echo "mkfs.jffs2 image: $(wc -c </tmp/jffs2.bin) bytes"
files_sha /tmp/tree >/tmp/tree.sha256

step "flashcp the image to the NOR"
# shellcheck disable=SC2086 # geometry is a word list
start_ramflash nor $geometry --image "$img"
flash_erase -q "$MTD" 0 0
flashcp /tmp/jffs2.bin "$MTD"
mkdir -p /mnt/jffs2
mount -t jffs2 "mtd$(mtd_num "$MTD")" /mnt/jffs2
same_files "the flashcp'd JFFS2 against its source tree" /tmp/tree.sha256 /mnt/jffs2

step "add files, remount"
head -c 300000 /dev/urandom >/mnt/jffs2/added
mkdir /mnt/jffs2/newdir
echo "appended" >>/mnt/jffs2/sub/text
rm /mnt/jffs2/f50000
files_sha /mnt/jffs2 >/tmp/changed.sha256
umount /mnt/jffs2
mount -t jffs2 "mtd$(mtd_num "$MTD")" /mnt/jffs2
same_files "changes after a remount" /tmp/changed.sha256 /mnt/jffs2
umount /mnt/jffs2

step "serve the same image again"
stop_ramflash
# shellcheck disable=SC2086
start_ramflash nor $geometry --image "$img"
mount -t jffs2 "mtd$(mtd_num "$MTD")" /mnt/jffs2
same_files "after the restart" /tmp/changed.sha256 /mnt/jffs2
[ -d /mnt/jffs2/newdir ] || fail "directory lost after the restart"
umount /mnt/jffs2
stop_ramflash
rmmod muse
