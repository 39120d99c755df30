#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The template in examples/minimal serves a real MTD: it registers with the
# geometry it describes, data written through /dev/mtdN reads back
# byte-exact (NOR AND-programming included), and SIGINT ends it cleanly,
# taking the MTD away.
. /scenarios/lib.sh

require_bin minimal
load_modules mtd
load_muse

step "start minimal"
minimal >/tmp/minimal.log 2>&1 &
RAMFLASH_PID=$!
RAMFLASH_LOG=/tmp/minimal.log
wait_for_mtd minimal
expect_eq "type" nor "$(mtd_attr "$MTD" type)"
expect_eq "size" 16777216 "$(mtd_attr "$MTD" size)"
expect_eq "erasesize" 65536 "$(mtd_attr "$MTD" erasesize)"
expect_eq "writesize" 1 "$(mtd_attr "$MTD" writesize)"

step "erase, write, read back"
flash_erase -q "$MTD" 0 2 || fail "flash_erase"
random_file /tmp/data 131072
mtd_debug write "$MTD" 0 131072 /tmp/data >/dev/null || fail "mtd_debug write"
mtd_debug read "$MTD" 0 131072 /tmp/back >/dev/null || fail "mtd_debug read"
expect_eq "data read back" "$(sum /tmp/data)" "$(sum /tmp/back)"

step "NOR programming only clears bits"
printf '\017' >/tmp/f0
printf '\360' >/tmp/0f
mtd_debug write "$MTD" 131072 1 /tmp/f0 >/dev/null || fail "write 0x0f"
mtd_debug write "$MTD" 131072 1 /tmp/0f >/dev/null || fail "write 0xf0"
mtd_debug read "$MTD" 131072 1 /tmp/and >/dev/null || fail "read back"
expect_eq "0x0f then 0xf0 programmed" 00 "$(od -An -tx1 /tmp/and | tr -d ' ')"

step "SIGINT ends it"
kill -INT "$RAMFLASH_PID"
rc=0
wait "$RAMFLASH_PID" || rc=$?
[ "$rc" -eq 0 ] || { cat /tmp/minimal.log; fail "minimal exited with $rc"; }
wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered after minimal exited"
rmmod muse || fail "rmmod muse"
