#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's "Quick start on your own machine", as written: the code
# block after its quick-start marker is taken from the README copied into
# the image (so the doc cannot drift from what runs), its two host build
# lines (install-deps, meson) are the harness's own and dropped, and the
# rest runs verbatim in a tree whose build/ holds this image's muse.ko and
# ramflash.  mtdram is registered first, so /dev/mtd0 is not ramflash's:
# the block must take its device from the ready line.  Then a file goes
# through the UBIFS it mounted, and the same image attaches again after
# ramflash's restart.
. /scenarios/lib.sh

require_bin ramflash
grep -qx "module muse" /etc/muse-initramfs ||
	skip "muse.ko was not built (kmod disabled or no kernel headers)"
[ -f /etc/README.md ] || fail "README.md is not in the image"

step "mtdram first: /dev/mtd0 is not ours"
load_modules mtdram
expect_eq "mtd0" "mtdram test device" "$(mtd_attr /dev/mtd0 name)"
# What the README's "modprobe ubifs" brings on a host, where the kernel
# loads UBIFS's compressors on demand (busybox has no such helper).
load_ubifs_stack

step "the README's quick start block"
sed -n '/^<!-- quick-start/,/^```$/p' /etc/README.md | sed '1,2d;$d' |
	grep -v '^scripts/install-deps\|^meson setup' >/tmp/quick-start.sh
cat /tmp/quick-start.sh
[ "$(grep -c . /tmp/quick-start.sh)" -ge 6 ] ||
	fail "the README's quick start block was not found"
mkdir -p /tmp/qs/build/kmod /tmp/qs/build/examples/ramflash
ln -s "$(find /lib/modules -name muse.ko | head -n 1)" /tmp/qs/build/kmod/muse.ko
ln -s "$(command -v ramflash)" /tmp/qs/build/examples/ramflash/ramflash
cd /tmp/qs || fail "cd /tmp/qs"
set -e
# shellcheck disable=SC1091 # written above
. /tmp/quick-start.sh
set +e

step "what it made"
echo "ready line named $mtd"
case "$mtd" in
/dev/mtd0 | "") fail "the block's device is '$mtd', not ramflash's" ;;
/dev/mtd[0-9]*) ;;
*) fail "the ready line gave '$mtd', not a /dev/mtdN" ;;
esac
expect_eq "the device's name" ramflash "$(mtd_attr "$mtd" name)"
grep -q ' /mnt/flash ubifs ' /proc/mounts || fail "no UBIFS on /mnt/flash"
random_file /mnt/flash/f 300000
sum_before=$(files_sha /mnt/flash)
sync

step "stop as the README says, start again on the same image"
umount /mnt/flash || fail "umount"
ubidetach -d 7 || fail "ubidetach"
kill "$(pidof ramflash)"
wait || true
wait_for 10 mtd_gone "$mtd" || fail "$mtd stayed after ramflash stopped"
build/examples/ramflash/ramflash --chip slc-128m --image flash.img \
	--ready-fd 3 3>ready &
read -r _ mtd _ <ready
ubiattach -p "$mtd" -d 7 || fail "ubiattach after the restart"
mount -t ubifs ubi7:data /mnt/flash || fail "mount after the restart"
expect_eq "the file after the restart" "$sum_before" "$(files_sha /mnt/flash)"
umount /mnt/flash
ubidetach -d 7
kill "$(pidof ramflash)"
wait || true
echo "ok: the README's quick start works as written"
