#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Bad blocks: factory bad blocks given to ramflash are what MEMGETBADBLOCK
# reports, mtdinfo, flash_erase and nanddump report them, nandwrite and
# nanddump skip them;
# MEMSETBADBLOCK reaches the simulator and persists in its image.
. /scenarios/lib.sh

require_bin ramflash
require_bin mtdioctl
load_modules mtd
load_muse

block=131072
img=/tmp/bb.img
geometry="--type nand --size 4MiB --page-size 2048 --erase-size 128KiB --oob-size 64"

step "factory bad blocks 3, 10 and 11"
# shellcheck disable=SC2086 # geometry is a word list
start_ramflash bb $geometry --bad-blocks 3,10-11 --image "$img"
expect_eq "MEMGETBADBLOCK over the device" "0x60000 0x140000 0x160000" \
	"$(mtdioctl badblocks "$MTD" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "block 2 is good" 0 "$(mtdioctl isbad "$MTD" $((2 * block)))"
expect_eq "block 3 is bad" 1 "$(mtdioctl isbad "$MTD" $((3 * block)))"
# bad_in_map: the block numbers "mtdinfo -M" marks BAD.
bad_in_map() {
	mtdinfo -M "$MTD" | awk '{
		for (i = 3; i <= NF; i++)
			if ($i == "BAD") { sub(":", "", $(i - 2)); printf "%s ", $(i - 2) }
	}' | sed 's/ $//'
}
expect_eq "mtdinfo -M bad blocks" "3 10 11" "$(bad_in_map)"

step "flash_erase skips them"
flash_erase "$MTD" 0 0 >/tmp/erase.log 2>&1 || {
	cat /tmp/erase.log
	fail "flash_erase over a device with bad blocks"
}
skipped=$(grep -c -i "skipping bad block" /tmp/erase.log || true)
expect_eq "bad blocks flash_erase skipped" 3 "$skipped"

step "nandwrite and nanddump skip them"
random_file /tmp/five.bin $((5 * block))
nandwrite "$MTD" /tmp/five.bin >/tmp/write.log 2>&1 || {
	cat /tmp/write.log
	fail "nandwrite"
}
grep -qi "bad block at 60000" /tmp/write.log || {
	cat /tmp/write.log
	fail "nandwrite did not report skipping block 3"
}
# Blocks 0-2 hold input blocks 0-2, block 3 is skipped, 4-5 hold 3-4.
nanddump -q -l $((5 * block)) -f /tmp/five.out "$MTD"
expect_eq "nanddump (skipbad) returns the input" "$(sum /tmp/five.bin)" "$(sum /tmp/five.out)"
mtd_debug read "$MTD" $((4 * block)) $((2 * block)) /tmp/b45.out >/dev/null
dd if=/tmp/five.bin of=/tmp/b45.ref bs=$block skip=3 count=2 2>/dev/null
expect_eq "blocks 4-5 hold input blocks 3-4" "$(sum /tmp/b45.ref)" "$(sum /tmp/b45.out)"

step "MEMSETBADBLOCK on block 7"
mtdioctl markbad "$MTD" $((7 * block))
expect_eq "block 7 bad now" 1 "$(mtdioctl isbad "$MTD" $((7 * block)))"
expect_eq "mtdinfo -M bad blocks" "3 7 10 11" "$(bad_in_map)"
expect_fail "erase of the marked block" mtd_debug erase "$MTD" $((7 * block)) $block

step "restart ramflash on the same image"
stop_ramflash
# No --bad-blocks now: everything must come from the image.
# shellcheck disable=SC2086
start_ramflash bb $geometry --image "$img"
expect_eq "bad blocks after restart" "0x60000 0xe0000 0x140000 0x160000" \
	"$(mtdioctl badblocks "$MTD" | tr '\n' ' ' | sed 's/ $//')"

step "the MTD's bad block count"
# nanddump prints it (ECCGETSTATS); sysfs has it as bad_blocks.  The
# driver keeps it, as nand_base does from its bad block table.
nanddump -l $block -f /dev/null "$MTD" >/tmp/dump.log 2>&1
expect_eq "nanddump's count of bad blocks" "Number of bad blocks: 4" \
	"$(grep "Number of bad blocks" /tmp/dump.log)"
expect_eq "sysfs bad_blocks" 4 "$(mtd_attr "$MTD" bad_blocks)"
stop_ramflash
rmmod muse
