#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The server dies during I/O: 24 times, ramflash is killed (SIGKILL, every
# third time SIGTERM) after a pseudo-random delay while one of four loads
# runs on its MTD: concurrent erase/write/verify (mtdhammer), whole-device
# reads, whole-device erases, or UBI volume updates.  Each time the load
# must end within 30 s (errors, not a hang), never read wrong data, the
# MTD must go away once its users let go, and the next server must work.
#
# musetest.args=SEED picks another sequence of delays (default 20261125).
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin ramflash
require_bin mtdhammer
seed=${1:-20261125}
kills=24
kmemleak_begin
load_muse

rand_seed "$seed"

dd if=/dev/urandom of=/tmp/vol.img bs=4096 count=64 2>/dev/null
i=0
while [ "$i" -lt "$kills" ]; do
	i=$((i + 1))
	kind=$((i % 4))
	rand 2000
	delay_ms=$((100 + RAND))
	signal=KILL
	[ $((i % 3)) -eq 0 ] && signal=TERM

	start_ramflash "kd-kill$i" $RF_NAND --threads 2
	case $kind in
	0)
		what="mtdhammer"
		mtdhammer --expect-failure --writers 3 --readers 2 --rounds 1000 \
			--seed "$i" "$MTD" >/tmp/load.log 2>&1 &
		;;
	1)
		what="whole-device reads"
		sh -c "while dd if=$MTD of=/dev/null bs=128k 2>/dev/null; do :; done" &
		;;
	2)
		what="whole-device erases"
		sh -c "while flash_erase -q $MTD 0 0; do :; done" >/dev/null 2>&1 &
		;;
	3)
		what="UBI volume updates"
		ubi_attach "$MTD"
		ubi_volume vol 1MiB
		sh -c "while ubiupdatevol /dev/ubi0_0 /tmp/vol.img; do :; done" \
			>/dev/null 2>&1 &
		;;
	esac
	load=$!
	step "kill point $i/$kills: SIG$signal after $delay_ms ms of $what"
	usleep $((delay_ms * 1000))
	kill -"$signal" "$RAMFLASH_PID" ||
		fail "ramflash was already gone before the kill"
	ends_within 30 "$load"
	if [ "$kind" -eq 0 ] && [ "$LOAD_STATUS" -ne 0 ]; then
		cat /tmp/load.log
		fail "mtdhammer failed (wrong data or a crash) as the server died"
	fi
	wait "$RAMFLASH_PID" || true
	if [ "$kind" -eq 3 ]; then
		ubi_down
	fi
	wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered after kill $i"
done

step "a server still works after $kills deaths"
start_ramflash kd-after $RF_NAND
mtdhammer --writers 2 --readers 1 --rounds 1 "$MTD" || fail "mtdhammer after the kills"
stop_ramflash

kmemleak_check
rmmod muse || fail "rmmod muse"
