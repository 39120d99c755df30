#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The bad_blocks count in sysfs stays exact when the same block is marked
# bad twice (MEMSETBADBLOCK), on a device without partitions (the master)
# and on each partition of one with partitions, next to factory bad
# blocks.  The master's count never moves when a bad block is marked
# again; a partition's does only where the MTD core itself counts such a
# re-mark (6.1, 6.12), as it does for nand_base.  (The MTD core adds one to a partition's count for every
# successful markbad through it: a driver that answers 0 for a block that
# is already bad makes it count twice.)
. /scenarios/lib.sh

require_bin ramflash
require_bin mtdioctl
load_muse
block=131072
geometry="--type nand --size 4MiB --page-size 2048 --erase-size 128KiB --oob-size 64"

# markbad_again DEV OFFSET: mark a block that is bad already.  Like
# nand_base, muse.ko answers 0 without asking the server (UBI turns
# read-only when marking a worn-out block fails).  7.x's MTD core asks
# ISBAD first and counts nothing; 6.1's and 6.12's add one to every
# partition above on that success, for any NAND driver: AGAIN counts the
# re-marks those kernels count, for the expectations below.
AGAIN_a=0
markbad_again() {
	mtdioctl markbad "$1" "$2" || fail "MEMSETBADBLOCK of the bad block $1 $2"
	if [ "$(uname -r | cut -d. -f1)" -lt 7 ] && [ -n "${3:-}" ]; then
		eval "AGAIN_$3=\$((AGAIN_$3 + 1))"
	fi
}

# markbad_twice DEV OFFSET [PART]: mark a good block bad, then again.
markbad_twice() {
	mtdioctl markbad "$1" "$2" || fail "MEMSETBADBLOCK $1 $2"
	markbad_again "$1" "$2" "${3:-}"
}

step "no partitions: factory bad block 3, block 5 marked twice"
# shellcheck disable=SC2086 # geometry is a word list
start_ramflash bbc $geometry --bad-blocks 3
markbad_twice "$MTD" $((5 * block))
# Every block asked once, so that the count includes the factory one.
expect_eq "bad blocks" "0x60000 0xa0000" \
	"$(mtdioctl badblocks "$MTD" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "bad_blocks of the master" 2 "$(mtd_attr "$MTD" bad_blocks)"
markbad_again "$MTD" $((3 * block))
expect_eq "bad_blocks after marking the factory bad block" 2 \
	"$(mtd_attr "$MTD" bad_blocks)"
stop_ramflash

step "three partitions: factory bad blocks 3 and 20, blocks 5 and 9 marked twice"
# shellcheck disable=SC2086
spawn_ramflash bbc $geometry --bad-blocks 3,20 \
	--partitions "1M(bbc-a),1M(bbc-b),-(bbc-c)"
wait_for_mtd bbc-c
a=$(mtd_by_name bbc-a)
b=$(mtd_by_name bbc-b)
c=$MTD
expect_eq "bad_blocks of bbc-a at registration" 1 "$(mtd_attr "$a" bad_blocks)"
expect_eq "bad_blocks of bbc-b at registration" 0 "$(mtd_attr "$b" bad_blocks)"
expect_eq "bad_blocks of bbc-c at registration" 1 "$(mtd_attr "$c" bad_blocks)"
AGAIN_b=0
markbad_twice "$a" $((5 * block)) a
markbad_twice "$b" $((1 * block)) b
markbad_again "$a" $((3 * block)) a
for dev in "$a" "$b" "$c"; do
	mtdioctl badblocks "$dev" >/dev/null || fail "MEMGETBADBLOCK over $dev"
done
expect_eq "bad_blocks of bbc-a" $((2 + AGAIN_a)) "$(mtd_attr "$a" bad_blocks)"
expect_eq "bad_blocks of bbc-b" $((1 + AGAIN_b)) "$(mtd_attr "$b" bad_blocks)"
expect_eq "bad_blocks of bbc-c" 1 "$(mtd_attr "$c" bad_blocks)"
stop_ramflash
