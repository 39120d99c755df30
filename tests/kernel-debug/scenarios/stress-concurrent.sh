#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Concurrency under the debug kernel: several processes erase, write,
# verify and read one MUSE device at once (served by 1 and by 4 server
# threads), then several MUSE devices are hammered at the same time.
# Every byte read back must be what was written.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin ramflash
require_bin mtdhammer
kmemleak_begin
load_muse

for threads in 1 4; do
	step "one device, $threads server thread(s), 4 writers + 3 readers"
	start_ramflash kd-conc $RF_NAND --threads "$threads"
	mtdhammer --writers 4 --readers 3 --rounds 2 --seed "$threads" "$MTD" ||
		fail "mtdhammer on $MTD with $threads server threads"
	stop_ramflash
done

step "three devices at once, 2 writers + 1 reader each"
pids=
devs=
for i in 1 2 3; do
	start_ramflash "kd-multi$i" $RF_SMALL --threads 2
	eval "server$i=$RAMFLASH_PID"
	devs="$devs $MTD"
done
i=0
for dev in $devs; do
	i=$((i + 1))
	mtdhammer --writers 2 --readers 1 --rounds 3 --seed "$i" "$dev" \
		>"/tmp/hammer$i.log" 2>&1 &
	pids="$pids $!"
done
i=0
for pid in $pids; do
	i=$((i + 1))
	if ! wait "$pid"; then
		cat "/tmp/hammer$i.log"
		fail "mtdhammer on device $i"
	fi
	cat "/tmp/hammer$i.log"
done
for i in 1 2 3; do
	eval "RAMFLASH_PID=\$server$i"
	MTD=$(mtd_by_name "kd-multi$i")
	stop_ramflash
done

kmemleak_check
rmmod muse || fail "rmmod muse"
