#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ramflash-trace play: a workload traced on ramflash, played through
# mtdchar onto the kernel's nandsim of the same geometry, in the same boot.
# 1. nandsim gives the geometry (2 KiB pages, 64 B OOB, 128 KiB blocks,
#    16 MiB); ramflash serves the same with --trace --trace-data full:
#    flash_erase (the kernel's erases), nandwrite plain and raw with OOB,
#    a JFFS2 cleanmarker (AUTO OOB), raw nanddump reads (requests whose
#    bytes play compares), a bad block marked, then ubiformat, ubiattach,
#    a volume written, detach.
# 2. Played onto nandsim: no difference; nandsim's data is ramflash's image
#    (plain dump against ramflash-image export); UBI attaches on nandsim
#    and the volume holds what was written.
# 3. Planted differences: onto a nandsim with one of the workload's blocks
#    bad, play reports it (exit 1), and --strict stops at the first; played
#    in two halves (--upto, --from) with a block erased between them, the
#    raw reads of the second half report the bytes that differ.
# 4. A target that is no MTD, or of another geometry, is refused (exit 2)
#    before anything is played (tests/ramflash check-trace.py tests the
#    refusals that need no MTD: usage, a trace of hashes, a corrupt one).
. /scenarios/lib.sh

require_bin ramflash
require_bin ramflash-trace
require_bin ramflash-image
require_bin mtdioctl
load_muse
load_ubifs_stack

NANDSIM_ARGS="id_bytes=0x20,0xf1,0x00,0x15 overridesize=7"
block=131072

# play ARGS...: ramflash-trace play ARGS, output in /tmp/play.out, status
# in PLAY_STATUS.
play() {
	PLAY_STATUS=0
	ramflash-trace play "$@" >/tmp/play.out 2>&1 || PLAY_STATUS=$?
	cat /tmp/play.out
}

step "a workload traced on ramflash with nandsim's geometry"
nandsim_up
geometry="--type nand --size $(mtd_attr "$NANDSIM" size)"
geometry="$geometry --page-size $(mtd_attr "$NANDSIM" writesize)"
geometry="$geometry --erase-size $(mtd_attr "$NANDSIM" erasesize)"
geometry="$geometry --oob-size $(mtd_attr "$NANDSIM" oobsize)"
geometry="$geometry --oob-avail $(mtd_attr "$NANDSIM" oobavail)"
geometry="$geometry --subpage-size $(mtd_attr "$NANDSIM" subpagesize)"
# Block 120 is weak (it wears out after 1000 erases, far away): the kernel
# leaves its erases to ramflash, so the trace holds erase requests too.
# shellcheck disable=SC2086 # a word list
start_ramflash traced $geometry --weak-blocks 120:1000 --image /tmp/run.img \
	--trace /tmp/run.trace --trace-data full --control /tmp/ctl.sock
flash_erase -q "$MTD" 0 0 || fail "flash_erase"
head -c 300000 /dev/urandom >/tmp/plain.data
nandwrite -q -p "$MTD" /tmp/plain.data || fail "nandwrite"
# Four pages with their OOB, written raw at block 4; the bad-block marker
# bytes stay 0xff.
for _ in 1 2 3 4; do
	head -c 2048 /dev/urandom
	printf '\377\377'
	head -c 62 /dev/urandom
done >/tmp/raw.oob
nandwrite -q -n -o -s $((4 * block)) "$MTD" /tmp/raw.oob || fail "nandwrite -n -o"
flash_erase -q -j "$MTD" $((6 * block)) 1 || fail "flash_erase -j"
ramflash ctl /tmp/ctl.sock marker "raw written" >/dev/null || fail "marker"
nanddump -q -n --oob -s 0 -l $((5 * block)) -f /tmp/raw.dump "$MTD" ||
	fail "nanddump -n"
mtdioctl markbad "$MTD" $((100 * block)) || fail "markbad"
# An erase of the bad block, which fails (-EIO) on both chips.
mtd_debug erase "$MTD" $((100 * block)) $block >/dev/null 2>&1 &&
	fail "mtd_debug erased a bad block"
ubi_attach "$MTD"
ubi_volume v 2MiB
head -c 1000000 /dev/urandom >/tmp/vol.data
ubiupdatevol /dev/ubi0_0 /tmp/vol.data || fail "ubiupdatevol"
ubidetach -d 0 || fail "ubidetach"
stop_ramflash
ramflash-trace print /tmp/run.trace >/tmp/run.txt || fail "print"
for kind in read write erase kernel-erase kernel-reads isbad markbad sync marker; do
	expect_eq "$kind records" yes \
		"$(grep -q "^[0-9]* [0-9.]* $kind " /tmp/run.txt && echo yes || echo no)"
done
for mode in raw auto; do
	grep -q " write .* $mode oob" /tmp/run.txt || fail "no $mode OOB write in the trace"
done
grep -q " read 0x[0-9a-f]* len 2048 raw " /tmp/run.txt || fail "no raw read of data in the trace"
half=$(awk '$3 == "marker" { print $1; exit }' /tmp/run.txt)
echo "$(wc -l </tmp/run.txt) lines; the raw phase ends at record $half"

step "played onto nandsim: no difference, the same data, UBI attaches"
play /tmp/run.trace "$NANDSIM"
expect_eq "play status" 0 "$PLAY_STATUS"
grep -q "^0 differences$" /tmp/play.out || fail "no '0 differences' line"
grep -q "^not played: [0-9]* kernel-reads records" /tmp/play.out ||
	fail "play does not say it skipped the kernel's reads"
grep -q "^record $half marker \"raw written\"$" /tmp/play.out ||
	fail "play did not print the marker"
nanddump -q -n --bb=padbad -f /tmp/nandsim.plain "$NANDSIM" || fail "nanddump nandsim"
ramflash-image export -q /tmp/run.img /tmp/run.plain || fail "export"
cmp /tmp/run.plain /tmp/nandsim.plain || fail "nandsim's data differs from ramflash's image"
echo "ok: nandsim's data is ramflash's image ($(sum /tmp/run.plain))"
expect_eq "nandsim's bad blocks" "$(printf 0x%x $((100 * block)))" "$(mtdioctl badblocks "$NANDSIM")"
ubi_reattach "$NANDSIM"
head -c 1000000 /dev/ubi0_0 | cmp - /tmp/vol.data || fail "the UBI volume on nandsim"
echo "ok: the volume written through ramflash reads back on nandsim"
ubidetach -d 0 || fail "ubidetach nandsim"
rmmod nandsim

step "planted: a nandsim with block 1 bad"
nandsim_up badblocks=1
play --upto "$half" /tmp/run.trace "$NANDSIM"
expect_eq "play status" 1 "$PLAY_STATUS"
grep -Eq "^record [0-9]+ (kernel-)?erase 0x20000: differs: result 0 \(ok\) in the trace, -5 " /tmp/play.out ||
	fail "the erase of the bad block 1 is not reported"
play --strict /tmp/run.trace "$NANDSIM"
expect_eq "play --strict status" 1 "$PLAY_STATUS"
expect_eq "differences with --strict" 1 "$(grep -c ': differs: ' /tmp/play.out)"
rmmod nandsim

step "planted: block 0 erased between two halves of the play"
nandsim_up
play --upto "$half" /tmp/run.trace "$NANDSIM"
expect_eq "first half" 0 "$PLAY_STATUS"
flash_erase -q "$NANDSIM" 0 1 || fail "flash_erase nandsim block 0"
play --from $((half + 1)) /tmp/run.trace "$NANDSIM"
expect_eq "second half" 1 "$PLAY_STATUS"
grep -q "^record [0-9]* read 0x0 len 2048 raw oob [0-9]*: differs: data: [0-9]* of 2048 bytes" /tmp/play.out ||
	fail "the raw read of the erased page 0 is not reported"
expect_eq "pages reported" 64 "$(grep -c ': differs: data: ' /tmp/play.out)"

step "refused before playing"
ramflash-trace play /tmp/run.trace /tmp/run.img >/tmp/play.out 2>&1 && fail "a plain file played"
grep -q "not a character device" /tmp/play.out || fail "$(cat /tmp/play.out)"
rmmod nandsim
# shellcheck disable=SC2034 # nandsim_up's (lib.sh)
NANDSIM_ARGS="id_bytes=0x20,0xf1,0x00,0x15 overridesize=6"
nandsim_up
status=0
ramflash-trace play /tmp/run.trace "$NANDSIM" >/tmp/play.out 2>&1 || status=$?
cat /tmp/play.out
expect_eq "another geometry" 2 "$status"
grep -q "is not of the trace's geometry" /tmp/play.out || fail "no geometry message"
rmmod nandsim
rmmod muse
