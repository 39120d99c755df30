#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Read passthrough (MUSE_EXT_PASSTHROUGH) against the module, with
# muse-peer passthrough's libmuse server: passthrough reads equal the server's
# answers and send no request, taking a block back is synchronous under
# racing readers, a truncated backing file gives EIO, and a server that
# goes away with passthrough reads in flight leaves nothing behind.  The
# backing files the module must refuse (O_APPEND, memfd_secret, hugetlbfs,
# sealed, a file on overlayfs, a file on JFFS2 on an MTD, on UBIFS on a
# MUSE MTD, on mtdblock, on ubiblock) are refused, each with its errno, and
# a read-only one serves reads;
# kernel erase keeps the chip's rules (bad blocks, whole-block reads); a
# backing file on a FUSE filesystem that stopped answering holds neither
# the administrator's abort, the request timeout, nor the server's exit.
# Then ramflash, which uses passthrough by default: every page state
# (erased, programmed, partly programmed subpages, RAW-written behind the
# ECC, a bad block, an image torn by a power cut) reads the same with
# passthrough as from a ramflash that answers every read itself.
. /scenarios/lib.sh

require_bin muse-peer
require_bin ramflash
require_bin mtdioctl
load_modules mtd
load_muse

step "backing files to refuse, huge pages, FUSE"
# Huge pages for the hugetlbfs memfd (3 of 2 MiB hold the store); a file
# on JFFS2 on mtdram and one on overlayfs for PTTEST_REFUSED; FUSE for
# stuck-backing (built into 6.12).
echo 4 >/proc/sys/vm/nr_hugepages 2>/dev/null || true
load_modules mtdram jffs2 overlay
[ -c /dev/fuse ] || load_modules fuse
mkdir -p /mnt/jffs2 /mnt/ovl /tmp/ovl/lower /tmp/ovl/upper /tmp/ovl/work
mount -t jffs2 mtd0 /mnt/jffs2 || fail "mount JFFS2 on mtdram"
echo store >/mnt/jffs2/store
mount -t overlay overlay \
	-o lowerdir=/tmp/ovl/lower,upperdir=/tmp/ovl/upper,workdir=/tmp/ovl/work \
	/mnt/ovl || fail "mount overlayfs"
echo store >/mnt/ovl/store
# Every case but huge-erase, which is kernel-debug's: a stock kernel
# preempts inside the erase loop, so the case cannot fail here, and on a
# quiet machine the erase ends within the 2 s it needs to prove anything.
cases=$(muse-peer passthrough --list | grep -vx huge-erase | tr '\n' ' ')
PTTEST_REFUSED="EXDEV:/mnt/jffs2/store ELOOP:/mnt/ovl/store"
PTTEST_REQUIRE=$(pttest_require)
export PTTEST_REFUSED PTTEST_REQUIRE
# shellcheck disable=SC2086 # one case name per word
run_peer -v passthrough $cases
unset PTTEST_REQUIRE
umount /mnt/ovl
umount /mnt/jffs2
rmmod jffs2

RF_CHIP="--type nand --page-size 2048 --erase-size 128KiB
    --oob-size 64 --subpage-size 512 --ecc-strength 4 --ecc-step 512"
RF="$RF_CHIP --size 4MiB"
img=/tmp/pt.img
block=131072

# dump_both TAG: the whole device read with passthrough (ramflash's
# default) and from a ramflash answering every read, on the same image.
dump_both() {
	# shellcheck disable=SC2086 # RF is a word list
	start_ramflash pt $RF --image "$img"
	# ramflash says so once it marked the blocks, which may come after
	# the MTD appeared (it sets up kernel erase and program first).
	wait_for 10 grep -q "read passthrough on" "$RAMFLASH_LOG" ||
		fail "ramflash did not turn read passthrough on"
	dd if="$MTD" of="/tmp/$1.pt" bs=65536 2>/dev/null
	stop_ramflash
	# shellcheck disable=SC2086
	start_ramflash pt $RF --image "$img" --no-passthrough
	dd if="$MTD" of="/tmp/$1.server" bs=65536 2>/dev/null
	stop_ramflash
	expect_eq "$1: passthrough reads = the server's" \
		"$(sum "/tmp/$1.server")" "$(sum "/tmp/$1.pt")"
}

step "ramflash: every page state"
# shellcheck disable=SC2086
start_ramflash pt $RF --image "$img"
random_file /tmp/blk.bin $block
# Block 1 programmed, block 2 one page, block 3 one subpage of a page.
nandwrite -q -s $block "$MTD" /tmp/blk.bin
head -c 2048 /tmp/blk.bin >/tmp/page.bin
nandwrite -q -s $((2 * block)) "$MTD" /tmp/page.bin
dd if=/tmp/blk.bin of="$MTD" bs=512 count=1 seek=$((3 * block / 512 + 1)) \
	2>/dev/null || fail "subpage write"
# Block 4 RAW-written (no ECC): its ECC reads show the flips; block 5 bad.
nandwrite -q -n -s $((4 * block)) "$MTD" /tmp/page.bin
mtdioctl markbad "$MTD" $((5 * block)) || fail "markbad"
stop_ramflash
dump_both states
cmp -s /tmp/states.pt /tmp/states.server || fail "states differ"
dd if=/tmp/states.pt of=/tmp/blk.out bs=$block skip=1 count=1 2>/dev/null
expect_eq "programmed block" "$(sum /tmp/blk.bin)" "$(sum /tmp/blk.out)"

step "a backing file on a filesystem on an MTD is refused"
# The three ways a filesystem sits on an MTD besides s_mtd (JFFS2, above):
# UBIFS on a MUSE MTD, a block filesystem on mtdblock (of mtdram) and one
# on ubiblock (a UBI volume next to UBIFS's, read-only as ubiblock is).
load_modules mtdblock loop crc32c_generic ext4
load_ubifs_stack
mkdir -p /mnt/mtdblock /mnt/ubiblock /mnt/ext2
wait_for 10 test -b /dev/mtdblock0 || fail "no /dev/mtdblock0"
mke2fs -q -F /dev/mtdblock0 >/dev/null || fail "mke2fs on mtdblock0"
mount -t ext4 /dev/mtdblock0 /mnt/mtdblock || fail "mount mtdblock0"
echo store >/mnt/mtdblock/store
head -c 1048576 /dev/zero >/tmp/ext2.img
mke2fs -q -F /tmp/ext2.img >/dev/null || fail "mke2fs of the image"
mount -t ext4 -o loop /tmp/ext2.img /mnt/ext2 || fail "mount the image"
echo store >/mnt/ext2/store
umount /mnt/ext2
# shellcheck disable=SC2086 # RF_CHIP is a word list
start_ramflash pt $RF_CHIP --size 8MiB
ubi_attach "$MTD"
ubi_volume blk 1MiB
ubiupdatevol /dev/ubi0_0 /tmp/ext2.img || fail "ubiupdatevol"
ubiblock --create /dev/ubi0_0 || fail "ubiblock --create"
wait_for 10 test -b /dev/ubiblock0_0 || fail "no /dev/ubiblock0_0"
mount -t ext4 -o ro /dev/ubiblock0_0 /mnt/ubiblock ||
	fail "mount ubiblock0_0"
ubi_volume store
ubifs_mount store /mnt/ubifs
echo store >/mnt/ubifs/store
# backing-kinds again, for files on filesystems on MTDs
PTTEST_REFUSED="EXDEV:/mnt/ubifs/store EXDEV:/mnt/mtdblock/store
	EXDEV:/mnt/ubiblock/store"
run_peer -v passthrough backing-kinds
unset PTTEST_REFUSED
umount /mnt/ubiblock
ubiblock --remove /dev/ubi0_0 || fail "ubiblock --remove"
ubi_down /mnt/ubifs
stop_ramflash
umount /mnt/mtdblock
rmmod mtdblock mtdram
expect_eq "MTDs left" "" "$(mtd_list)"

step "ramflash: an image torn by a power cut"
rm -f "$img"
# shellcheck disable=SC2086
spawn_ramflash pt $RF --image "$img" --power-cut-after 40
wait_for_mtd pt
random_file /tmp/big.bin $((24 * block))
nandwrite -q "$MTD" /tmp/big.bin 2>/dev/null || true
rc=0
wait "$RAMFLASH_PID" || rc=$?
expect_eq "ramflash exit status after the power cut" 3 "$rc"
wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered"
dump_both torn

rmmod muse || fail "rmmod muse"
