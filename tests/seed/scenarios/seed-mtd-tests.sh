#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The kernel's MTD test modules that need no OOB against ramflash NAND
# served through the seed's MUSE v2 module (muse_seed.ko), then a server
# SIGKILLed in the middle of a write while another user holds the MTD:
# the write fails, the MTD is unregistered at once and its memory lives
# until the last user lets go (on 6.1 the MTD core's reference count makes
# the seed's teardown safe; doc/protocol.md section 9).
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh
. /scenarios/seed-lib.sh

require_bin ramflash
kmemleak_begin
load_seed

step "ramflash NAND without OOB"
start_ramflash seed-tests --type nand --size 1MiB --page-size 2048 \
	--erase-size 128KiB --oob-size 0
seed_geometry "$MTD" nand 2048 131072
dev=$(mtd_num "$MTD")
# v2 moves one page per request, so an operation of these tests costs up
# to 128 round trips instead of one or two (mtd_pagetest alone took 172 s
# on 2 MiB on a loaded machine): a 1 MiB device, short torture and stress
# runs, and neither mtd_speedtest (a measurement) nor mtd_subpagetest (a
# v2 MTD has no subpages).
run_mtd_test mtd_readtest 'finished$' dev="$dev"
run_mtd_test mtd_pagetest 'finished with 0 errors' dev="$dev"
run_mtd_test mtd_torturetest 'finished after 3 erase cycles' \
	dev="$dev" eb=4 ebcnt=2 cycles_count=3
run_mtd_test mtd_stresstest 'finished, [0-9]+ operations done' \
	dev="$dev" count=100
stop_ramflash

step "SIGKILL of the server in the middle of a write"
start_ramflash seed-kill --type nand --size 1MiB --page-size 2048 \
	--erase-size 128KiB --oob-size 0 --latency-program 5000
flash_erase -q "$MTD" 0 0 || fail "flash_erase"
random_file /tmp/all 1048576
# A second user holds the MTD across the server's death.
sleep 100000 3<"$MTD" &
holder=$!
dd if=/tmp/all of="$MTD" bs=131072 2>/tmp/dd.err &
writer=$!
# The writer is inside a request, waiting for the server's reply.
writer_waits() {
	grep -q '^State:.*D' "/proc/$writer/status" 2>/dev/null
}
wait_for 20 writer_waits || fail "the writer never waited for the server"
kill -KILL "$RAMFLASH_PID"
ends_within 20 "$writer"
[ "$LOAD_STATUS" -ne 0 ] || fail "the write succeeded although its server was killed"
echo "ok: the write failed: $(head -n 1 /tmp/dd.err)"
ends_within 10 "$RAMFLASH_PID"
# The seed unregisters at the server's close even while the MTD is in
# use (our module waits for the last user); the holder's reference keeps
# the memory.
expect_eq "the MTD in use is unlisted at once" "" "$(mtd_by_name seed-kill)"
expect_fail "a read of the MTD of a killed server" \
	dd if="$MTD" of=/dev/null bs=2048 count=1
kill "$holder"
wait "$holder" || true
echo "ok: the last user let go"
seed_kmemleak_check
rmmod muse_seed || fail "rmmod muse_seed"
