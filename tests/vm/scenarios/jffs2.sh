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
(cd /tmp/tree && find . -type f | sort | xargs sha256sum) >/tmp/tree.sha256

step "flashcp the image to the NOR"
# shellcheck disable=SC2086 # geometry is a word list
start_ramflash nor $geometry --image "$img"
flash_erase -q "$MTD" 0 0
flashcp /tmp/jffs2.bin "$MTD"
mkdir -p /mnt/jffs2
mount -t jffs2 "mtd$(mtd_num "$MTD")" /mnt/jffs2
(cd /mnt/jffs2 && find . -type f | sort | xargs sha256sum) >/tmp/mounted.sha256
cmp -s /tmp/tree.sha256 /tmp/mounted.sha256 || {
	diff /tmp/tree.sha256 /tmp/mounted.sha256 || true
	fail "mounted JFFS2 differs from its source tree"
}
echo "ok: the flashcp'd JFFS2 holds the tree"

step "add files, remount"
head -c 300000 /dev/urandom >/mnt/jffs2/added
mkdir /mnt/jffs2/newdir
echo "appended" >>/mnt/jffs2/sub/text
rm /mnt/jffs2/f50000
(cd /mnt/jffs2 && find . -type f | sort | xargs sha256sum) >/tmp/changed.sha256
umount /mnt/jffs2
mount -t jffs2 "mtd$(mtd_num "$MTD")" /mnt/jffs2
(cd /mnt/jffs2 && find . -type f | sort | xargs sha256sum) >/tmp/remounted.sha256
cmp -s /tmp/changed.sha256 /tmp/remounted.sha256 || fail "changes lost on remount"
echo "ok: changes survive a remount"
umount /mnt/jffs2

step "serve the same image again"
stop_ramflash
# shellcheck disable=SC2086
start_ramflash nor $geometry --image "$img"
mount -t jffs2 "mtd$(mtd_num "$MTD")" /mnt/jffs2
(cd /mnt/jffs2 && find . -type f | sort | xargs sha256sum) >/tmp/restarted.sha256
cmp -s /tmp/changed.sha256 /tmp/restarted.sha256 || fail "files differ after the restart"
[ -d /mnt/jffs2/newdir ] || fail "directory lost after the restart"
echo "ok: $(wc -l </tmp/restarted.sha256) files identical after the restart"
umount /mnt/jffs2
stop_ramflash
rmmod muse
