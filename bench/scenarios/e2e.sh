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

bench() {
	mtdbench --repeat "$repeat" --page 2048 --label "$1" "$2" ||
		fail "mtdbench $1"
}

step "mtdram"
modprobe mtdram total_size=4096 erase_size=128 || fail "modprobe mtdram"
bench mtdram "$(mtd_by_name "mtdram test device")"
rmmod mtdram

step "nandsim"
nandsim_load
bench nandsim "$NANDSIM"
rmmod nandsim

load_muse
for threads in 1 4; do
	for io in page eraseblock; do
		max_io=2048
		[ "$io" = eraseblock ] && max_io=131072
		step "MUSE + ramflash, $io requests, $threads server thread(s)"
		start_ramflash "bench-$io-t$threads" $RF_NAND \
			--threads "$threads" --max-io "$max_io"
		bench "muse-$io-t$threads" "$MTD"
		stop_ramflash
	done
	# Every read a request again: an eraseblock read of page-sized
	# requests is 64 units the module queues together, which only more
	# server threads can serve in parallel (passthrough would serve them
	# without the server).
	step "MUSE + ramflash, page requests, no passthrough, $threads server thread(s)"
	start_ramflash "bench-nopt-t$threads" $RF_NAND \
		--threads "$threads" --max-io 2048 --no-passthrough
	bench "muse-page-nopt-t$threads" "$MTD"
	stop_ramflash
done
