#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Faults under a real flash stack.
# 1. Wear-out: with --endurance, an eraseblock that has been erased too often
#    fails its erase; UBI must mark it bad (MARKBAD reaches ramflash), use a
#    reserved block and keep every file.
# 2. Power cut: ramflash cuts power after a given (or seeded random) number
#    of programs and erases while UBIFS writes files one by one, each with
#    fsync; after serving the same --image again, every file whose fsync
#    succeeded is there with its contents.  Three cuts in a row, each
#    recovering from the last.
. /scenarios/lib.sh

require_bin ramflash
require_bin mtdioctl
load_ubifs_stack
load_muse

geometry="--type nand --size 8MiB --page-size 2048 --erase-size 128KiB --oob-size 64"

# json_counter FILE NAME: a top-level counter of ramflash's --stats JSON.
json_counter() {
	tr ',{}' '\n\n\n' <"$1" | sed -n "s/^ *\"$2\": *\([0-9]*\) *\$/\1/p" | head -n 1
}

step "wear-out: --endurance 12 on 64 blocks"
# shellcheck disable=SC2086 # geometry is a word list
start_ramflash wear $geometry --endurance 12 --stats /tmp/wear.json
# Reserve 10% of the blocks for bad-block handling (the default, 2%, is
# less than one block of 64).
ubifs_up "$MTD" wear /mnt/wear -b 100
mkdir /mnt/wear/keep
for i in 1 2 3 4; do
	head -c 100000 /dev/urandom >/mnt/wear/keep/f$i
done
sync
files_sha /mnt/wear/keep >/tmp/keep.sha256
head -c 1000000 /dev/urandom >/tmp/churn
round=0
while [ "$(cat /sys/class/ubi/ubi0/bad_peb_count)" -eq 0 ]; do
	round=$((round + 1))
	[ "$round" -le 60 ] || fail "no block went bad after 60 rounds of rewriting"
	for i in 1 2 3; do
		cp /tmp/churn /mnt/wear/churn$i
	done
	sync
	rm /mnt/wear/churn*
	sync
	# Force UBIFS to commit so that unmapped LEBs get erased.
	mount -o remount,rw /mnt/wear
done
bad=$(cat /sys/class/ubi/ubi0/bad_peb_count)
echo "ok: UBI marked $bad block(s) bad after $round rounds"
[ "$(mtdioctl badblocks "$MTD" | wc -l)" -ge "$bad" ] ||
	fail "MEMGETBADBLOCK shows fewer bad blocks than UBI marked"
umount /mnt/wear
ubifs_mount wear /mnt/wear
same_files "kept files after wear-out" /tmp/keep.sha256 /mnt/wear/keep
ubi_down /mnt/wear
stop_ramflash
worn=$(json_counter /tmp/wear.json worn_out_blocks)
marked=$(json_counter /tmp/wear.json markbad)
[ "${worn:-0}" -ge 1 ] || fail "ramflash counted no worn-out block: $(cat /tmp/wear.json)"
[ "${marked:-0}" -ge "$bad" ] || fail "ramflash saw $marked MARKBAD, UBI marked $bad"
echo "ok: ramflash: $worn worn out, $marked MARKBAD requests"

img=/tmp/cut.img
step "power cut: prepare UBIFS on an image"
# shellcheck disable=SC2086
start_ramflash cut $geometry --image "$img"
ubifs_up "$MTD" cut /mnt/cut
mkdir /mnt/cut/before
for i in 1 2 3; do
	head -c 50000 /dev/urandom >/mnt/cut/before/f$i
done
sync
files_sha /mnt/cut/before >/tmp/before.sha256
ubi_down /mnt/cut
stop_ramflash

# power_cut_cycle N CUT-OPTIONS...: serve the image with a power cut, write
# fsync'ed files into during-N until the cut, serve the image again and
# check every file fsync'ed so far, in this cycle and the earlier ones.
power_cut_cycle() {
	cycle=$1
	shift
	step "power cut cycle $cycle ($*) while writing fsync'ed files"
	# shellcheck disable=SC2086
	start_ramflash cut $geometry --image "$img" "$@"
	mkdir -p /tmp/synced
	written=0
	# The cut may come while UBI attaches or UBIFS mounts (they write
	# too); then no file of this cycle was written.
	if ubiattach -p "$MTD" -d 0 >/dev/null && mount -t ubifs ubi0:cut /mnt/cut &&
		mkdir -p "/mnt/cut/during-$cycle"; then
		while [ "$written" -lt 300 ]; do
			f=during-$cycle/g$written
			head -c $((4096 + written * 97)) /dev/urandom >"/tmp/synced/g$cycle-$written"
			dd if="/tmp/synced/g$cycle-$written" of="/mnt/cut/$f" bs=4096 \
				conv=fsync 2>/dev/null || break
			echo "$f /tmp/synced/g$cycle-$written" >>/tmp/synced.list
			written=$((written + 1))
		done
	fi
	[ "$written" -lt 300 ] || fail "the power cut never happened"
	echo "power cut after $written fsync'ed files of cycle $cycle"
	# ramflash exits with status 3 at the cut, like a chip losing power.
	rc=0
	wait "$RAMFLASH_PID" || rc=$?
	expect_eq "ramflash exit status after the power cut" 3 "$rc"
	# The flash is gone: unmounting and detaching must still work.
	if grep -q " /mnt/cut " /proc/mounts; then
		umount /mnt/cut || fail "umount after the power cut"
	fi
	if [ -e /sys/class/ubi/ubi0 ]; then
		ubidetach -d 0 || fail "ubidetach after the power cut"
	fi
	wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered"

	step "power back after cycle $cycle: serve the image again, recover"
	# shellcheck disable=SC2086
	start_ramflash cut $geometry --image "$img"
	ubi_reattach "$MTD"
	ubifs_mount cut /mnt/cut
	same_files "files written before the power cuts" /tmp/before.sha256 \
		/mnt/cut/before
	while read -r f ref; do
		[ -f "/mnt/cut/$f" ] || fail "fsync'ed file $f is gone"
		[ "$(sum "$ref")" = "$(sum "/mnt/cut/$f")" ] ||
			fail "fsync'ed file $f has other contents"
	done </tmp/synced.list
	echo "ok: all $(wc -l </tmp/synced.list) fsync'ed files so far recovered intact"
	# The recovered file system must be writable again.
	echo "after $cycle" >"/mnt/cut/after-$cycle"
	sync
	ubi_down /mnt/cut
	stop_ramflash
}

: >/tmp/synced.list
power_cut_cycle 1 --power-cut-after 400
power_cut_cycle 2 --power-cut-random 100-900 --seed 11
power_cut_cycle 3 --power-cut-random 100-900 --seed 12
rmmod muse
