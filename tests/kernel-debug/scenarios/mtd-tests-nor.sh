#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The kernel's MTD test modules that apply to NOR flash (no pages, no OOB:
# readtest, speedtest, stresstest, torturetest) against a MUSE NOR device
# served by ramflash (2 MiB, 64 KiB eraseblocks), under the debug kernel.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin ramflash
kmemleak_begin
load_muse

step "ramflash NOR"
start_ramflash kd-nor $RF_NOR
dev=$(mtd_num "$MTD")
expect_eq "type" nor "$(mtd_attr "$MTD" type)"
expect_eq "erasesize" 65536 "$(mtd_attr "$MTD" erasesize)"

run_any_flash_tests "$dev"

stop_ramflash
kmemleak_check
rmmod muse || fail "rmmod muse"
