#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Guest side of bench/run-e2e.sh: mtdbench over the same 4 MiB NAND-like
# geometry (128 KiB eraseblocks, 2 KiB pages) served by mtdram, nandsim and
# MUSE+ramflash, the latter with single-page and eraseblock-sized requests
# and with 1 and 4 server threads, and with page requests and read
# passthrough off.  The host collects the RESULT lines.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin ramflash
require_bin mtdbench
repeat=${1:-3}
rounds=${2:-1}

bench() {
	mtdbench --repeat "$repeat" --page 2048 --label "$1" "$2" ||
		fail "mtdbench $1"
}

# muse LABEL ARGS...: ramflash with ARGS measured as LABEL.
muse() {
	m_label=$1
	shift
	start_ramflash "bench-$m_label" $RF_NAND "$@"
	bench "$m_label" "$MTD"
	stop_ramflash
}

# One round measures every device once.  Several rounds interleave the
# devices, so that a stretch of host load hits each of them alike (the
# host takes the best round of each).
one_round() {
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
