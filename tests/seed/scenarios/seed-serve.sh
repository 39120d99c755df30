#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# libmuse's programs against the seed's MUSE v2 module (muse_seed.ko)
# under the debug kernel: examples/minimal; ramflash NAND with no options
# (its OOB is not offered by a v2 kernel, so the MTD has none and OOB
# requests fail cleanly); mtd-utils; ramflash
# NAND with the fault options that need no OOB, UBI + UBIFS with a
# remount on it; ramflash NOR with JFFS2.
# The host fails the run on any KASAN, lockdep or other splat.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh
. /scenarios/seed-lib.sh

require_bin ramflash
require_bin minimal
kmemleak_begin
load_ubifs_stack
load_seed

step "examples/minimal"
minimal >/tmp/minimal.log 2>&1 &
RAMFLASH_PID=$!
RAMFLASH_LOG=/tmp/minimal.log
wait_for_mtd minimal
seed_geometry "$MTD" nor 1 65536
expect_eq "size" 16777216 "$(mtd_attr "$MTD" size)"
# MTD_WRITEABLE | MTD_BIT_WRITEABLE, and the seed's MTD_MUSE (port layer).
expect_eq "flags" 0x8c00 "$(mtd_attr "$MTD" flags)"
# v2 moves one page per request: on NOR, one byte.  Keep it small.
flash_erase -q "$MTD" 0 1 || fail "flash_erase"
random_file /tmp/data 512
mtd_debug write "$MTD" 0 512 /tmp/data >/dev/null || fail "mtd_debug write"
mtd_debug read "$MTD" 0 512 /tmp/back >/dev/null || fail "mtd_debug read"
expect_eq "minimal: data read back" "$(sum /tmp/data)" "$(sum /tmp/back)"
printf '\017' >/tmp/f0
printf '\360' >/tmp/0f
mtd_debug write "$MTD" 8192 1 /tmp/f0 >/dev/null || fail "write 0x0f"
mtd_debug write "$MTD" 8192 1 /tmp/0f >/dev/null || fail "write 0xf0"
mtd_debug read "$MTD" 8192 1 /tmp/and >/dev/null || fail "read back"
expect_eq "minimal: 0x0f then 0xf0 programmed" 00 "$(od -An -tx1 /tmp/and | tr -d ' ')"
kill -INT "$RAMFLASH_PID"
rc=0
wait "$RAMFLASH_PID" || rc=$?
[ "$rc" -eq 0 ] || { cat /tmp/minimal.log; fail "minimal exited with $rc"; }
wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered after minimal exited"

step "ramflash NAND, no options (its default chip has OOB)"
start_ramflash seed-nand
seed_geometry "$MTD" nand 2048 131072
grep -q "extensions 0x0," "$RAMFLASH_LOG" ||
	{ cat "$RAMFLASH_LOG"; fail "ramflash did not settle on no extensions"; }
echo "ok: $(grep -o 'registered .*' "$RAMFLASH_LOG")"

step "mtd-utils: flash_erase, nandwrite, nanddump, mtd_debug"
flash_erase -q "$MTD" 0 0 || fail "flash_erase the whole device"
random_file /tmp/blocks 262144
nandwrite -q -s 131072 "$MTD" /tmp/blocks || fail "nandwrite"
nanddump -q -s 131072 -l 262144 -f /tmp/dumped "$MTD" || fail "nanddump"
expect_eq "nandwrite/nanddump" "$(sum /tmp/blocks)" "$(sum /tmp/dumped)"
mtd_debug read "$MTD" 131072 262144 /tmp/debugged >/dev/null || fail "mtd_debug read"
expect_eq "mtd_debug read" "$(sum /tmp/blocks)" "$(sum /tmp/debugged)"

step "OOB is not there: an OOB request fails, the kernel stays clean"
# mtd-utils refuse OOB I/O on an MTD without OOB before the kernel sees it.
expect_fail "nanddump --oob" nanddump -q -o -s 0 -l 2048 -f /tmp/oob.out "$MTD"
nanddump -q -s 131072 -l 262144 -f /tmp/dumped-again "$MTD" || fail "nanddump again"
expect_eq "the MTD after the OOB request" "$(sum /tmp/blocks)" "$(sum /tmp/dumped-again)"
step "mtd_debug erase"
mtd_debug erase "$MTD" 131072 131072 >/dev/null || fail "mtd_debug erase"
mtd_debug read "$MTD" 131072 2048 /tmp/erased >/dev/null || fail "mtd_debug read erased"
expect_eq "an erased page" ff "$(od -An -tx1 -v /tmp/erased | tr -s ' \n' '\n\n' | sort -u | tr -d '\n')"

stop_ramflash

step "ramflash NAND with faults: bad blocks, failing erase and program"
start_ramflash seed-faults --type nand --size 4MiB --page-size 2048 \
	--erase-size 128KiB --oob-size 0 --bad-blocks 3,10 \
	--fail-erase 5 --fail-program 6
seed_geometry "$MTD" nand 2048 131072
# The seed counts no bad blocks for sysfs (nand_base does, at its scan).
expect_eq "bad_blocks (not counted by the seed)" 0 "$(mtd_attr "$MTD" bad_blocks)"
flash_erase "$MTD" 0 4 >/tmp/erase.out 2>&1 || fail "flash_erase blocks 0-3: $(cat /tmp/erase.out)"
grep -q "Skipping bad block at 00060000" /tmp/erase.out ||
	{ cat /tmp/erase.out; fail "flash_erase did not skip bad block 3"; }
echo "ok: flash_erase skipped bad block 3"
expect_fail "erase of block 5 (--fail-erase)" mtd_debug erase "$MTD" 655360 131072
random_file /tmp/page 2048
expect_fail "program in block 6 (--fail-program)" mtd_debug write "$MTD" 786432 2048 /tmp/page
mtd_debug write "$MTD" 917504 2048 /tmp/page >/dev/null || fail "program in block 7"
mtd_debug read "$MTD" 917504 2048 /tmp/page.back >/dev/null || fail "read block 7"
expect_eq "block 7 after the failures" "$(sum /tmp/page)" "$(sum /tmp/page.back)"
step "UBI + UBIFS on it, remount"
# ubiformat marks the blocks whose erase (5) or program (6) fails as bad
# (MUSE_MARKBAD); UBI then finds those and the factory bad ones (MUSE_ISBAD).
ubifs_up "$MTD" seed /mnt/ubifs
expect_eq "UBI's bad PEBs" "bad PEBs: 4" "$(dmesg | grep -o 'bad PEBs: [0-9]*' | tail -n 1)"
mkdir -p /mnt/ubifs/dir
for n in 1 2 3; do
	random_file "/mnt/ubifs/dir/f$n" $((n * 100000))
done
yes "muse seed line" | head -n 5000 >/mnt/ubifs/text
sync
files_sha /mnt/ubifs >/tmp/ubifs.sha256
ubi_down /mnt/ubifs
ubi_reattach "$MTD"
ubifs_mount seed /mnt/ubifs
same_files "UBIFS after detach, attach and mount" /tmp/ubifs.sha256 /mnt/ubifs
ubi_down /mnt/ubifs
ubi_readonly && fail "UBI or UBIFS went read-only"
stop_ramflash

step "ramflash NOR, no options, JFFS2 (one byte per request: small)"
start_ramflash seed-nor --type nor --size 64KiB --erase-size 8KiB
seed_geometry "$MTD" nor 1 8192
flash_erase -q -j "$MTD" 0 0 || fail "flash_erase -j NOR"
mkdir -p /mnt/jffs2
mount -t jffs2 "mtd$(mtd_num "$MTD")" /mnt/jffs2 || fail "mount jffs2"
random_file /mnt/jffs2/a 1000
echo "muse seed" >/mnt/jffs2/b
files_sha /mnt/jffs2 >/tmp/jffs2.sha256
umount /mnt/jffs2
mount -t jffs2 "mtd$(mtd_num "$MTD")" /mnt/jffs2 || fail "mount jffs2 again"
same_files "JFFS2 after a remount" /tmp/jffs2.sha256 /mnt/jffs2
umount /mnt/jffs2
stop_ramflash

# libmuse sent a v2 kernel only the keys it knows.
if dmesg | grep "Ignoring unknown MTD param"; then
	fail "the seed was sent an info key it does not know"
fi
seed_kmemleak_check
rmmod muse_seed || fail "rmmod muse_seed"
