#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The kernel's own MTD test modules against a MUSE NAND device served by
# ramflash (2 MiB, 2 KiB pages, 64 B OOB, 512 B subpages, 4-bit ECC per
# 512 B), under KASAN, lockdep and kmemleak.  Every test must report
# success and no error; the kernel log must stay clean (checked on the
# host) and kmemleak must find nothing involving muse.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin ramflash
kmemleak_begin
load_muse

step "ramflash NAND"
start_ramflash kd-nand $RF_NAND --size 2M
dev=$(mtd_num "$MTD")
expect_eq "type" nand "$(mtd_attr "$MTD" type)"
expect_eq "writesize" 2048 "$(mtd_attr "$MTD" writesize)"
expect_eq "oobsize" 64 "$(mtd_attr "$MTD" oobsize)"
expect_eq "subpagesize" 512 "$(mtd_attr "$MTD" subpagesize)"
expect_eq "ecc_strength" 4 "$(mtd_attr "$MTD" ecc_strength)"

run_any_flash_tests "$dev"
# The NAND-only ones: pages, subpages, OOB.
run_mtd_test mtd_pagetest 'finished with 0 errors' dev="$dev"
run_mtd_test mtd_subpagetest 'finished with 0 errors' dev="$dev"
run_mtd_test mtd_oobtest 'finished with 0 errors' dev="$dev"
# Raw-writes flipped bits into a page and reads it through the ECC until
# the ECC gives up; it must have corrected the full strength before that.
run_mtd_test mtd_nandbiterrs 'finished successfully' dev="$dev"
grep -q "Successfully corrected 4 bit errors per subpage" /tmp/mtd_nandbiterrs.out ||
	fail "mtd_nandbiterrs: the ECC did not correct 4 bit errors per step"

stop_ramflash
kmemleak_check
rmmod muse || fail "rmmod muse"
