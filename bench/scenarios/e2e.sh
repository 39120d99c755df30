#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Guest side of bench/run-e2e.sh: mtdbench over the same 4 MiB NAND-like
# geometry (128 KiB eraseblocks, 2 KiB pages) served by mtdram, nandsim and
# MUSE+ramflash, the latter with single-page and eraseblock-sized requests
# and with 1 and 4 server threads, with page requests and read passthrough
# off, and with kernel program off (--no-kernel-program, 1 thread).  Then
# UBI and UBIFS workloads on a 64 MiB NAND (nandsim, and ramflash with and
# without kernel program): a long ubiupdatevol, the demo's UBIFS write
# (files copied, sync) and a UBIFS fill-and-delete loop, each timed as one
# operation (mtdbench --time) and its data checked.  The host collects the
# RESULT lines, the MEMORY lines (what ramflash's store held) and the
# CALIBRATION lines (a process round trip over a socketpair,
# dispatch-bench --roundtrip, and dispatch-bench's in-process loops, in
# this guest).
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin ramflash
require_bin mtdbench
require_bin dispatch-bench
repeat=${1:-3}
rounds=${2:-1}
roundtrips=${3:-2000}
# ramflash --erase-slack for every MUSE device, 0: none.
slack=${4:-0}
# The UBI workloads' scale S: a volume update of 4S MiB, a UBIFS write of
# 6S files of 256 KiB (S = 4: the demo's 24 files), S rounds of them in
# the fill-and-delete loop.
ubi_scale=${5:-4}
slack_arg=
[ "$slack" = 0 ] || slack_arg="--erase-slack $slack"

bench() {
	mtdbench --repeat "$repeat" --page 2048 --label "$1" "$2" ||
		fail "mtdbench $1"
}

# memory LABEL: print what the running ramflash held at its peak, after
# the bench wrote the whole area:
#   MEMORY <label> <VmHWM KiB> <store KiB allocated>
# VmHWM is its resident set's high-water mark (libraries, buffers and the
# store's pages it touched through a mapping); the store is the memfd that
# holds the flash bytes, st_blocks of 512 B.
memory() {
	mem_hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' \
		"/proc/$RAMFLASH_PID/status")
	mem_store=
	for mem_fd in /proc/"$RAMFLASH_PID"/fd/*; do
		case "$(readlink "$mem_fd")" in
		/memfd:ramflash*)
			mem_store=$(($(stat -L -c %b "$mem_fd") / 2))
			break
			;;
		esac
	done
	if [ -z "$mem_hwm" ] || [ -z "$mem_store" ]; then
		fail "no VmHWM or store memfd for ramflash (pid $RAMFLASH_PID)"
	fi
	echo "MEMORY $1 $mem_hwm $mem_store"
}

# muse LABEL ARGS...: ramflash with ARGS measured as LABEL.
muse() {
	m_label=$1
	shift
	# shellcheck disable=SC2086 # slack_arg: none or an option and its value
	start_ramflash "bench-$m_label" $RF_NAND $slack_arg "$@"
	bench "$m_label" "$MTD"
	memory "$m_label"
	stop_ramflash
}

# timed LABEL PHASE BYTES CMD...: CMD timed as one operation of BYTES
# (a RESULT line), or fail.
timed() {
	td_label=$1
	td_phase=$2
	td_bytes=$3
	shift 3
	mtdbench --label "$td_label" --time "$td_phase" --bytes "$td_bytes" -- "$@" ||
		fail "$td_label $td_phase"
}

# ubi_data: the UBI workloads' data: the update, the files of the UBIFS
# write (and of each round of the loop).
ubi_data() {
	UBI_UPDATE=$((4 * ubi_scale * 1048576))
	UBI_FILES=$((6 * ubi_scale))
	UBI_ROUNDS=$ubi_scale
	random_file /tmp/ubi-upd.bin $UBI_UPDATE
	mkdir -p /tmp/ubi-src
	i=0
	while [ "$i" -lt "$UBI_FILES" ]; do
		random_file "/tmp/ubi-src/f$i" 262144
		i=$((i + 1))
	done
	files_sha /tmp/ubi-src >/tmp/ubi-src.sha256
}

# ubi_workloads LABEL MTD: on the 64 MiB MTD, UBI (ubiformat, attach), a
# volume of the update's size written by ubiupdatevol (ubi-update), UBIFS
# on the rest: the files copied and synced (ubifs-write, the demo's),
# then UBI_ROUNDS rounds of copying them into a new directory, sync,
# deleting the previous round's, sync (ubifs-churn); each one's data read
# back after it, outside the timing.
ubi_workloads() {
	ubiformat -y -q "$2" || fail "$1: ubiformat"
	ubiattach -p "$2" -d 0 >/dev/null || fail "$1: ubiattach"
	ubimkvol /dev/ubi0 -N upd -s "$UBI_UPDATE" >/dev/null || fail "$1: ubimkvol"
	timed "$1" ubi-update $UBI_UPDATE ubiupdatevol /dev/ubi0_0 /tmp/ubi-upd.bin
	[ "$(head -c $UBI_UPDATE /dev/ubi0_0 | sha256sum)" = \
		"$(sha256sum </tmp/ubi-upd.bin)" ] || fail "$1: the volume update reads back wrong"
	ubimkvol /dev/ubi0 -N fs -m >/dev/null || fail "$1: ubimkvol fs"
	mkdir -p /mnt/ubi
	mount -t ubifs ubi0:fs /mnt/ubi || fail "$1: mount"
	mkdir /mnt/ubi/r0
	timed "$1" ubifs-write $((UBI_FILES * 262144)) \
		sh -c 'cp /tmp/ubi-src/* /mnt/ubi/r0/ && sync'
	same_files "$1: ubifs-write" /tmp/ubi-src.sha256 /mnt/ubi/r0
	timed "$1" ubifs-churn $((UBI_ROUNDS * UBI_FILES * 262144)) sh -c '
		r=1
		while [ $r -le '"$UBI_ROUNDS"' ]; do
			mkdir /mnt/ubi/r$r && cp /tmp/ubi-src/* /mnt/ubi/r$r/ &&
				sync && rm -r /mnt/ubi/r$((r - 1)) && sync || exit 1
			r=$((r + 1))
		done'
	same_files "$1: ubifs-churn" /tmp/ubi-src.sha256 "/mnt/ubi/r$UBI_ROUNDS"
	umount /mnt/ubi
	ubidetach -d 0 || fail "$1: ubidetach"
}

# One round measures every device once.  Several rounds interleave the
# devices, so that a stretch of host load hits each of them alike (the
# host takes the best round of each).
one_round() {
	# What the host measures too: a round trip between two processes,
	# and the in-process loops (libmuse on a page, a bare 2 KiB copy).
	step "round $1 of $rounds: calibration, a process round trip and a page copy"
	calibration=$(dispatch-bench --roundtrip --iterations "$roundtrips" &&
		dispatch-bench --iterations $((roundtrips * 50))) ||
		fail "dispatch-bench"
	echo "$calibration" | sed 's/^RESULT /CALIBRATION /'

	step "round $1 of $rounds: mtdram"
	modprobe mtdram total_size=4096 erase_size=128 || fail "modprobe mtdram"
	bench mtdram "$(mtd_by_name "mtdram test device")"
	rmmod mtdram

	step "round $1 of $rounds: nandsim"
	nandsim_load
	bench nandsim "$NANDSIM"
	rmmod nandsim

	for threads in 1 4; do
		step "round $1 of $rounds: MUSE + ramflash, $threads server thread(s)"
		muse "muse-page-t$threads" --threads "$threads" --max-io 2048
		muse "muse-eraseblock-t$threads" --threads "$threads" \
			--max-io 131072
		# Every read a request again: an eraseblock read of
		# page-sized requests is 64 units the module queues together,
		# which only more server threads can serve in parallel
		# (passthrough would serve them without the server).
		muse "muse-page-nopt-t$threads" --threads "$threads" \
			--max-io 2048 --no-passthrough
	done
	step "round $1 of $rounds: MUSE + ramflash, kernel program off"
	muse muse-page-nokp-t1 --threads 1 --max-io 2048 --no-kernel-program
	muse muse-eraseblock-nokp-t1 --threads 1 --max-io 131072 \
		--no-kernel-program

	step "round $1 of $rounds: UBI and UBIFS on nandsim"
	modprobe nandsim id_bytes=0x20,0xf1,0x00,0x15 overridesize=9 ||
		fail "modprobe nandsim"
	ubi_workloads nandsim "$(mtd_by_name "NAND simulator partition 0")"
	rmmod nandsim
	for kp in kp nokp; do
		step "round $1 of $rounds: UBI and UBIFS on MUSE + ramflash, $kp"
		off=
		[ $kp = kp ] || off=--no-kernel-program
		# shellcheck disable=SC2086 # word lists; off: nothing or an option
		start_ramflash "bench-muse-ubi-$kp" $RF_UBI $slack_arg --threads 1 $off
		ubi_workloads "muse-ubi-$kp" "$MTD"
		stop_ramflash
	done
}

# The UBI workloads' chip: the demo's geometry, 64 MiB.
RF_UBI="--type nand --size 64MiB --page-size 2048 --erase-size 128KiB --oob-size 64"
load_muse
load_ubifs_stack
ubi_data
r=1
while [ "$r" -le "$rounds" ]; do
	one_round "$r"
	r=$((r + 1))
done
