#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Read passthrough (MUSE_EXT_PASSTHROUGH) against the module, with
# muse-pttest's libmuse server: passthrough reads equal the server's
# answers and send no request, taking a block back is synchronous under
# racing readers, a truncated backing file gives EIO, and a server that
# goes away with passthrough reads in flight leaves nothing behind.  The
# backing files the module must refuse (O_APPEND, memfd_secret, hugetlbfs,
# sealed, a file on JFFS2 on an MTD or on UBIFS on a MUSE MTD) are
# refused, each with its errno;
# kernel erase keeps the chip's rules (bad blocks, whole-block reads); a
# backing file on a FUSE filesystem that stopped answering holds neither
# the administrator's abort nor the server's exit.
# Then ramflash, which uses passthrough by default: every page state
# (erased, programmed, partly programmed subpages, RAW-written behind the
# ECC, a bad block, an image torn by a power cut) reads the same with
# passthrough as from a ramflash that answers every read itself.
. /scenarios/lib.sh

require_bin muse-pttest
require_bin ramflash
require_bin mtdioctl
load_modules mtd
load_muse

step "muse-pttest, all cases but huge-erase"
# Huge pages for the hugetlbfs memfd (3 of 2 MiB hold the store); a file
# on JFFS2 on mtdram for PTTEST_MTD_FILE; FUSE for stuck-backing (built
# into 6.12).
echo 4 >/proc/sys/vm/nr_hugepages 2>/dev/null || true
load_modules mtdram jffs2
[ -c /dev/fuse ] || load_modules fuse
mkdir -p /mnt/jffs2
mount -t jffs2 mtd0 /mnt/jffs2 || fail "mount JFFS2 on mtdram"
echo store >/mnt/jffs2/store
# Every case but huge-erase, which is kernel-debug's: a stock kernel
# preempts inside the erase loop, so the case cannot fail here, and on a
# quiet machine the erase ends within the 2 s it needs to prove anything.
cases=$(muse-pttest --list | grep -vx huge-erase | tr '\n' ' ')
# shellcheck disable=SC2086 # one case name per word
PTTEST_MTD_FILE=/mnt/jffs2/store muse-pttest -v $cases >/tmp/pttest.log 2>&1 || {
	cat /tmp/pttest.log
	fail "muse-pttest"
}
cat /tmp/pttest.log
umount /mnt/jffs2
rmmod jffs2 mtdram
expect_eq "MTDs left" "" "$(sed -n '2,$p' /proc/mtd)"

RF="--type nand --size 4MiB --page-size 2048 --erase-size 128KiB
    --oob-size 64 --subpage-size 512 --ecc-strength 4 --ecc-step 512"
img=/tmp/pt.img
block=131072

# dump_both TAG: the whole device read with passthrough (ramflash's
# default) and from a ramflash answering every read, on the same image.
dump_both() {
	# shellcheck disable=SC2086 # RF is a word list
	start_ramflash pt $RF --image "$img"
	grep -q "read passthrough on" "$RAMFLASH_LOG" ||
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

step "a backing file on UBIFS on a MUSE MTD is refused"
load_ubifs_stack
# shellcheck disable=SC2086
start_ramflash pt $RF
ubifs_up "$MTD" store /mnt/ubifs
echo store >/mnt/ubifs/store
PTTEST_MTD_FILE=/mnt/ubifs/store muse-pttest -v backing-kinds \
	>/tmp/pttest-ubifs.log 2>&1 || {
	cat /tmp/pttest-ubifs.log
	fail "muse-pttest backing-kinds, file on UBIFS"
}
grep "ubifs/store" /tmp/pttest-ubifs.log
ubi_down /mnt/ubifs
stop_ramflash

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
