#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Fatal signals to the MTD's users, at many moments: kill -9 of a raw
# mtdchar writer, of ubiupdatevol, of a UBIFS writer that fsyncs and of a
# JFFS2 writer, each ROUNDS times after a pseudo-random delay.  No flash
# driver fails I/O because its caller got a signal, so afterwards UBI and
# UBIFS must not have switched to read-only mode, a new volume and new
# writes must work, and every file completed before a kill must read back
# intact (after a remount too).  The same script runs on nandsim (the
# control: a real in-kernel driver) and on a ramflash NAND of the same
# geometry.  The log counts the kills that landed while the writer was
# still writing; a run where none did proves nothing and fails.
#
# musetest.args=SEED,ROUNDS (default 20261130, 8).
. /scenarios/lib.sh

require_bin ramflash
seed=${1:-20261130}
rounds=${2:-8}
load_muse
load_ubifs_stack
load_modules jffs2
rand_seed "$seed"

# 2 KiB pages, 64 B OOB, 128 KiB blocks, 256 blocks (32 MiB) on both.
NANDSIM_ARGS="id_bytes=0x20,0xf1,0x00,0x15 overridesize=8"
RF_GEOMETRY="--type nand --size 32MiB --page-size 2048 --erase-size 128KiB --oob-size 64"

head -c 2097152 /dev/urandom >/tmp/vol.img
head -c 1048576 /dev/urandom >/tmp/raw.img
head -c 131072 /dev/urandom >/tmp/chunk

# kill_later CMD...: run CMD in the background, SIGKILL it after RAND ms
# (0..599) and wait for it; LANDED counts the kills that found it writing.
# A shell function runs as a subshell whose writer is its child: the loop
# is stopped first so that it cannot start another, then both die.
kill_later() {
	"$@" &
	kl_pid=$!
	rand 600
	usleep $((RAND * 1000))
	KILLS=$((KILLS + 1))
	kill -STOP "$kl_pid" 2>/dev/null || true
	kl_kids=$(cat "/proc/$kl_pid/task/$kl_pid/children" 2>/dev/null || true)
	# shellcheck disable=SC2086 # a list of pids
	kill -KILL "$kl_pid" $kl_kids 2>/dev/null || true
	kl_rc=0
	wait "$kl_pid" || kl_rc=$?
	# The writer is not our child: wait returns while it may still be
	# finishing the write the kill found it in, holding the device (CI
	# saw the next ubiupdatevol get EBUSY on the volume).
	# shellcheck disable=SC2086 # a list of pids
	wait_for 20 exited $kl_kids || fail "$label: a killed writer ($kl_kids) did not exit in 20 s"
	case "$1" in
	*_writer) [ -z "$kl_kids" ] || LANDED=$((LANDED + 1)) ;;
	*) [ "$kl_rc" -ne 137 ] || LANDED=$((LANDED + 1)) ;;
	esac
}

# exited PID...: every PID has exited (gone, or a zombie: one that has
# already closed its files).
exited() {
	for ex_pid; do
		ex_state=$(sed 's/.*) \([A-Z]\).*/\1/' "/proc/$ex_pid/stat" 2>/dev/null) || continue
		[ "$ex_state" = Z ] || [ -z "$ex_state" ] || return 1
	done
}

# kill_rounds WHAT ROUND...: run the command ROUND... (which calls
# kill_later; $i is the round) $rounds times; LANDED says how many kills
# landed mid-write.
kill_rounds() {
	kr_what=$1
	shift
	LANDED=0
	KILLS=0
	i=0
	while [ "$i" -lt "$rounds" ]; do
		i=$((i + 1))
		"$@"
	done
	echo "$label $kr_what: $LANDED of $KILLS kills landed mid-write"
}

# paced_cat FILE BS COUNT: the first COUNT blocks of BS bytes of FILE on
# stdout, one every 20 ms.
paced_cat() {
	pc_n=0
	while [ "$pc_n" -lt "$3" ]; do
		dd if="$1" bs="$2" skip="$pc_n" count=1 2>/dev/null
		usleep 20000
		pc_n=$((pc_n + 1))
	done
}

raw_round() {
	flash_erase -q "$dev" 0 8 || fail "$label: flash_erase after kill $i"
	kill_later raw_writer
}

# raw_writer: /tmp/raw.img to $dev in 64 KiB writes 20 ms apart, so that a
# kill finds it writing however fast the flash is.
raw_writer() {
	for rw_n in $(seq 0 15); do
		dd if=/tmp/raw.img of="$dev" bs=65536 skip="$rw_n" seek="$rw_n" \
			count=1 2>/dev/null || return 1
		usleep 20000
	done
}

files_round() {
	kill_later files_writer "$1" "$i"
}

# ubi_writer VOLUME: ubiupdatevol fed through a pipe, 64 KiB every 20 ms,
# so that a kill finds it in the middle of the update however fast the
# flash is (on an idle machine nandsim took the 2 MiB in one go).
ubi_writer() {
	paced_cat /tmp/vol.img 65536 32 | ubiupdatevol -s 2097152 "$1" -
}

# not_readonly WHAT: neither UBI nor UBIFS gave up writing.
not_readonly() {
	if ubi_readonly; then
		dmesg | grep -B5 "read-only mode" | tail -n 20
		fail "$1: UBI/UBIFS switched to read-only mode"
	fi
	echo "ok: $1: no read-only mode"
}

# check_raw DEV: after the kills the MTD still erases, writes and reads.
check_raw() {
	flash_erase -q "$1" 0 8 || fail "flash_erase after the kills"
	dd if=/tmp/raw.img of="$1" bs=2048 2>/dev/null || fail "raw write after the kills"
	dd if="$1" of=/tmp/raw.out bs=2048 count=512 2>/dev/null
	expect_eq "raw data written after the kills" "$(sum /tmp/raw.img)" "$(sum /tmp/raw.out)"
}

# files_writer DIR ROUND: write 128 KiB files with fsync, one after the
# other, named after ROUND so that no later round rewrites them; each
# completed one is listed in DIR.done (outside DIR).  Every file is fed
# to dd through a pipe, 32 KiB every 20 ms, so that a kill finds a file
# half written however fast the flash is, and so that the 600 ms a round
# lasts at most cannot fill the file system (unpaced, an idle nandsim
# wrote 23 MiB of files in two rounds and the write after the kills got
# ENOSPC).
files_writer() {
	fw_i=0
	while paced_cat /tmp/chunk 32768 4 |
		dd of="$1/f$2-$fw_i" bs=32768 conv=fsync 2>/dev/null; do
		echo "f$2-$fw_i" >>"$1.done"
		fw_i=$((fw_i + 1))
	done
}


# check_files DIR: every file completed before a kill is intact.
check_files() {
	cf_n=0
	while read -r f; do
		[ "$(sum "$1/$f")" = "$(sum /tmp/chunk)" ] ||
			fail "$1/$f, completed before a kill, reads back wrong"
		cf_n=$((cf_n + 1))
	done <"$1.done"
	echo "ok: $cf_n completed file writes read back intact in $1"
}

# signal_suite DEV LABEL: the four kinds of users on DEV.
signal_suite() {
	dev=$1
	label=$2
	dmesg -c >/dev/null

	step "$label: kill -9 of a raw mtdchar writer, $rounds times"
	flash_erase -q "$dev" 0 0 || fail "flash_erase $dev"
	kill_rounds raw raw_round
	raw_landed=$LANDED
	check_raw "$dev"

	step "$label: kill -9 of ubiupdatevol, $rounds times"
	ubi_attach "$dev"
	ubi_volume vol 4MiB
	kill_rounds ubiupdatevol kill_later ubi_writer /dev/ubi0_0
	ubi_landed=$LANDED
	not_readonly "$label after killing ubiupdatevol"
	ubiupdatevol /dev/ubi0_0 /tmp/vol.img || fail "$label: ubiupdatevol after the kills"
	dd if=/dev/ubi0_0 of=/tmp/vol.out bs=2097152 count=1 2>/dev/null
	expect_eq "$label: volume read back" "$(sum /tmp/vol.img)" "$(sum /tmp/vol.out)"
	ubi_volume second 1MiB

	step "$label: kill -9 of a UBIFS writer with fsync, $rounds times"
	ubi_volume fs
	ubifs_mount fs /mnt/fs
	: >/mnt/fs.done
	kill_rounds UBIFS files_round /mnt/fs
	ubifs_landed=$LANDED
	not_readonly "$label after killing the UBIFS writer"
	head -c 65536 /dev/urandom >/tmp/after
	cp /tmp/after /mnt/fs/after || fail "$label: UBIFS write after the kills"
	sync
	check_files /mnt/fs
	umount /mnt/fs
	ubifs_mount fs /mnt/fs
	check_files /mnt/fs
	expect_eq "$label: UBIFS file written after the kills" "$(sum /tmp/after)" "$(sum /mnt/fs/after)"
	not_readonly "$label after the remount"
	ubi_down /mnt/fs

	step "$label: kill -9 of a JFFS2 writer with fsync, $rounds times"
	flash_erase -q -j "$dev" 0 0 || fail "flash_erase -j $dev"
	mkdir -p /mnt/jffs2
	mount -t jffs2 "mtd$(mtd_num "$dev")" /mnt/jffs2 || fail "mount jffs2"
	: >/mnt/jffs2.done
	kill_rounds JFFS2 files_round /mnt/jffs2
	jffs2_landed=$LANDED
	cp /tmp/after /mnt/jffs2/after || fail "$label: JFFS2 write after the kills"
	sync
	check_files /mnt/jffs2
	umount /mnt/jffs2
	mount -t jffs2 "mtd$(mtd_num "$dev")" /mnt/jffs2 || fail "mount jffs2 again"
	check_files /mnt/jffs2
	expect_eq "$label: JFFS2 file written after the kills" "$(sum /tmp/after)" "$(sum /mnt/jffs2/after)"
	umount /mnt/jffs2

	for n in $raw_landed $ubi_landed $ubifs_landed $jffs2_landed; do
		[ "$n" -gt 0 ] || fail "$label: a kind of writer was never killed mid-write (raw $raw_landed, ubiupdatevol $ubi_landed, UBIFS $ubifs_landed, JFFS2 $jffs2_landed): pick another seed"
	done
}

step "the control: nandsim"
# shellcheck disable=SC2086 # a word list
modprobe nandsim $NANDSIM_ARGS || fail "modprobe nandsim"
nandsim=$(mtd_by_name "NAND simulator partition 0")
[ -n "$nandsim" ] || fail "nandsim registered no MTD"
signal_suite "$nandsim" nandsim
rmmod nandsim

step "the same on MUSE"
# shellcheck disable=SC2086
start_ramflash signals $RF_GEOMETRY --threads 2
signal_suite "$MTD" MUSE
stop_ramflash
rmmod muse || fail "rmmod muse"
