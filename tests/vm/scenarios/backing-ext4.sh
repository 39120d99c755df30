#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Killed readers with the image on a real disk filesystem: ramflash's image
# (passthrough and kernel erase on, its defaults) on ext4 on a loop device,
# UBI and UBIFS above.  Readers of UBIFS files are killed again and again
# while their reads wait on ext4 (caches dropped first): a passthrough read
# the file cannot finish because its caller is being killed must become a
# request, never an EIO that UBI reports and UBIFS may turn read-only on.
# Afterwards UBIFS is writable, every file reads back identical and UBI
# logged no read error.  nandsim under the same script is the control.
. /scenarios/lib.sh

require_bin ramflash
load_modules loop crc32c_generic ext4
load_ubifs_stack
load_muse

ROUNDS=40

# kill_readers DIR: ROUNDS times, drop the caches, start four readers of
# the files DIR/f* and SIGKILL them at a pseudo-random moment of their
# reads (fixed seed: the same kill points every run).
kill_readers() {
	rand_seed 19
	r=0
	while [ $r -lt $ROUNDS ]; do
		sync
		echo 3 >/proc/sys/vm/drop_caches
		pids=
		for i in 1 2 3 4; do
			cat "$1"/f* >/dev/null 2>&1 &
			pids="$pids $!"
		done
		rand 40
		usleep $((RAND * 2500))
		# Some may have read everything already.
		# shellcheck disable=SC2086 # a word list of pids
		kill -9 $pids 2>/dev/null || true
		for p in $pids; do
			wait "$p" 2>/dev/null || true
		done
		r=$((r + 1))
	done
}

# exercise NAME MTD: UBIFS on MTD, files, killed readers, then the checks.
exercise() {
	dmesg -c >/dev/null
	ubifs_up "$2" data /mnt/data
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		random_file "/mnt/data/f$i" 262144
	done
	files_sha /mnt/data >/tmp/files.sha256
	kill_readers /mnt/data
	ubi_readonly && fail "$1: UBI or UBIFS turned read-only"
	random_file /mnt/data/after 65536 || fail "$1: UBIFS refused a write"
	sync || fail "$1: sync"
	rm /mnt/data/after
	echo 3 >/proc/sys/vm/drop_caches
	same_files "$1: after $ROUNDS rounds of killed readers" \
		/tmp/files.sha256 /mnt/data
	if dmesg | grep -E "UBI error|UBIFS error"; then
		fail "$1: UBI or UBIFS logged an error"
	fi
	ubi_down /mnt/data
}

step "nandsim, the control"
# 2 KiB pages, 128 KiB blocks, 16 MiB (as dump-interop.sh).
modprobe nandsim id_bytes=0x20,0xf1,0x00,0x15 overridesize=7 ||
	fail "modprobe nandsim"
NANDSIM=$(mtd_by_name "NAND simulator partition 0")
[ -n "$NANDSIM" ] || fail "nandsim registered no MTD"
exercise nandsim "$NANDSIM"
rmmod nandsim

step "ramflash with its image on ext4 on a loop device"
head -c $((48 * 1024 * 1024)) /dev/zero >/tmp/ext4.img
mke2fs -F /tmp/ext4.img >/dev/null || fail "mke2fs"
mkdir -p /mnt/ext4
mount -t ext4 -o loop /tmp/ext4.img /mnt/ext4 || fail "mount ext4 on loop"
spawn_ramflash ext4 --type nand --size 16MiB --page-size 2048 \
	--erase-size 128KiB --oob-size 64 --image /mnt/ext4/flash.img
wait_for_mtd ext4
grep -q "read passthrough on" "$RAMFLASH_LOG" ||
	fail "ramflash did not turn read passthrough on"
exercise ramflash "$MTD"
stop_ramflash
umount /mnt/ext4

rmmod muse || fail "rmmod muse"
