#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Guest side of bench/run-e2e.sh: mtdbench over the same 4 MiB NAND-like
# geometry (128 KiB eraseblocks, 2 KiB pages) served by mtdram, nandsim and
# MUSE+ramflash, the latter with single-page and eraseblock-sized requests
# and with 1 and 4 server threads, and with page requests and read
# passthrough off.  The host collects the RESULT lines, the MEMORY lines
# (what ramflash's store held) and the CALIBRATION lines (a process round
# trip over a socketpair, dispatch-bench --roundtrip, and dispatch-bench's
# in-process loops, in this guest).
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
}

load_muse
r=1
while [ "$r" -le "$rounds" ]; do
	one_round "$r"
	r=$((r + 1))
done
