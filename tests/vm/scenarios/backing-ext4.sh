#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Killed readers and erasers with the image on a real disk filesystem:
# ramflash's image (passthrough and kernel erase on, its defaults) on ext4
# on a loop device, two partitions: UBI and UBIFS on the first, a scratch
# partition beside it.  Readers of UBIFS files are killed again and again
# while their reads wait on ext4 (caches dropped first): a passthrough read
# the file cannot finish because its caller is being killed must become a
# request, never an EIO that UBI reports and UBIFS may turn read-only on.
# Then erasers of the scratch partition (flash_erase, ubiformat) and a
# UBIFS writer are killed at seeded moments while UBI erases for UBIFS on
# the same chip: a killed kernel erase leaves its block to the server.
# Then flash_erase under a 512-byte RLIMIT_FSIZE: the count write into the
# image is the server's business, not the eraser's, so no SIGXFSZ and a
# whole erase.  Afterwards UBIFS is writable, every file reads back
# identical, UBI logged no error, the scratch partition reads erased and
# then what was written.  nandsim under the same script is the control.
. /scenarios/lib.sh

require_bin ramflash
load_modules loop crc32c_generic ext4
load_ubifs_stack
load_muse

ROUNDS=40
ERASE_ROUNDS=24

# kill_at_random STEP: after a pseudo-random multiple (0 to 39) of STEP
# microseconds, SIGKILL every process of $pids and reap them.  ALIVE: how
# many of $watch were still running just before.
kill_at_random() {
	rand 40
	usleep $((RAND * $1))
	ALIVE=0
	for p in $watch; do
		! kill -0 "$p" 2>/dev/null || ALIVE=$((ALIVE + 1))
	done
	# shellcheck disable=SC2086 # a word list of pids
	kill -9 $pids 2>/dev/null || true
	for p in $pids; do
		wait "$p" 2>/dev/null || true
	done
}

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
		# Some may have read everything already.
		watch=
		kill_at_random 2500
		r=$((r + 1))
	done
}

# kill_erasers SCRATCH DIR: ERASE_ROUNDS times, erase the whole MTD
# SCRATCH twice at once (flash_erase, and flash_erase or ubiformat in
# turn) while a UBIFS writer writes and deletes a file in DIR (UBI erases
# the blocks it frees), and SIGKILL all three at a pseudo-random moment;
# fail if no eraser was still erasing when killed.
kill_erasers() {
	rand_seed 23
	r=0
	LANDED=0
	while [ $r -lt $ERASE_ROUNDS ]; do
		flash_erase -q "$1" 0 0 >/dev/null 2>&1 &
		pids=$!
		if [ $((r % 2)) -eq 0 ]; then
			flash_erase -q "$1" 0 0 >/dev/null 2>&1 &
		else
			ubiformat -y -q "$1" >/dev/null 2>&1 &
		fi
		pids="$pids $!"
		watch=$pids
		(random_file "$2/w$r" 196608 && sync && rm "$2/w$r") \
			>/dev/null 2>&1 &
		pids="$pids $!"
		kill_at_random 5000
		LANDED=$((LANDED + ALIVE))
		r=$((r + 1))
	done
	rm -f "$2"/w*
	echo "killed erasers: $LANDED of $((2 * ERASE_ROUNDS)) were still erasing"
	[ "$LANDED" -gt 0 ] || fail "no eraser was killed while erasing"
}

# erased_and_programmed NAME SCRATCH: SCRATCH reads all 0xff, then a
# pattern written over its first two blocks reads back.
erased_and_programmed() {
	expect_eq "$1: bytes other than 0xff on the erased $2" 0 \
		"$(tr -d '\377' <"$2" | wc -c)"
	random_file /tmp/pattern.bin 262144
	nandwrite -q "$2" /tmp/pattern.bin || fail "$1: nandwrite on $2"
	dd if="$2" of=/tmp/pattern.out bs=131072 count=2 2>/dev/null
	expect_eq "$1: the pattern read back from $2" \
		"$(sum /tmp/pattern.bin)" "$(sum /tmp/pattern.out)"
}

# fsize_erase NAME SCRATCH: flash_erase of SCRATCH, programmed, under a
# 512-byte RLIMIT_FSIZE (ulimit -f counts 512-byte blocks): it must end
# with status 0, not SIGXFSZ's 153, and erase everything.
fsize_erase() {
	random_file /tmp/pattern.bin 262144
	nandwrite -q "$2" /tmp/pattern.bin || fail "$1: nandwrite on $2"
	rc=0
	(ulimit -f 1 && exec flash_erase -q "$2" 0 0) || rc=$?
	expect_eq "$1: flash_erase under ulimit -f 1, exit status" 0 "$rc"
	erased_and_programmed "$1" "$2"
}

# exercise NAME UBI-MTD SCRATCH-MTD: UBIFS on UBI-MTD, files, killed
# readers, killed erasers of SCRATCH-MTD, an erase under RLIMIT_FSIZE,
# then the checks.
exercise() {
	dmesg -c >/dev/null
	ubifs_up "$2" data /mnt/data
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		random_file "/mnt/data/f$i" 262144
	done
	files_sha /mnt/data >/tmp/files.sha256
	kill_readers /mnt/data
	kill_erasers "$3" /mnt/data
	flash_erase -q "$3" 0 0 || fail "$1: flash_erase after the killed ones"
	erased_and_programmed "$1" "$3"
	fsize_erase "$1" "$3"
	ubi_readonly && fail "$1: UBI or UBIFS turned read-only"
	random_file /mnt/data/after 65536 || fail "$1: UBIFS refused a write"
	sync || fail "$1: sync"
	rm /mnt/data/after
	echo 3 >/proc/sys/vm/drop_caches
	same_files "$1: after $ROUNDS rounds of killed readers and $ERASE_ROUNDS of killed erasers" \
		/tmp/files.sha256 /mnt/data
	if dmesg | grep -E "UBI error|UBIFS error"; then
		fail "$1: UBI or UBIFS logged an error"
	fi
	ubi_down /mnt/data
}

step "nandsim, the control"
# 2 KiB pages, 128 KiB blocks, 16 MiB (as dump-interop.sh); 96 blocks for
# UBI, 32 of scratch.
modprobe nandsim id_bytes=0x20,0xf1,0x00,0x15 overridesize=7 parts=96 ||
	fail "modprobe nandsim"
NANDSIM=$(mtd_by_name "NAND simulator partition 0")
SCRATCH=$(mtd_by_name "NAND simulator partition 1")
{ [ -n "$NANDSIM" ] && [ -n "$SCRATCH" ]; } || fail "nandsim registered no MTDs"
exercise nandsim "$NANDSIM" "$SCRATCH"
rmmod nandsim

step "ramflash with its image on ext4 on a loop device"
head -c $((48 * 1024 * 1024)) /dev/zero >/tmp/ext4.img
mke2fs -F /tmp/ext4.img >/dev/null || fail "mke2fs"
mkdir -p /mnt/ext4
mount -t ext4 -o loop /tmp/ext4.img /mnt/ext4 || fail "mount ext4 on loop"
spawn_ramflash ext4 --type nand --size 16MiB --page-size 2048 \
	--erase-size 128KiB --oob-size 64 --image /mnt/ext4/flash.img \
	--partitions "12M(ext4-ubi),-(ext4-scratch)"
wait_for_mtd ext4-scratch
SCRATCH=$MTD
MTD=$(mtd_by_name ext4-ubi)
grep -q "read passthrough on" "$RAMFLASH_LOG" ||
	fail "ramflash did not turn read passthrough on"
CONN=$(conn_dir ext4)
kernel_erases=$(cat "$CONN/kernel_erases")
exercise ramflash "$MTD" "$SCRATCH"
# The killed erasers and the erase under RLIMIT_FSIZE met kernel erase:
# the module erased blocks itself, and left the counts the eraser's
# limit would have refused (EFBIG) to the server.
[ "$(cat "$CONN/kernel_erases")" -gt "$kernel_erases" ] ||
	fail "no kernel erase ran: the erasers proved nothing"
dmesg | grep -q "erase of block [0-9]* in the backing file failed (-27)" ||
	fail "the erase under RLIMIT_FSIZE did not meet the count write"
stop_ramflash
umount /mnt/ext4

rmmod muse || fail "rmmod muse"
