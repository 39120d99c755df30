#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Read passthrough (MUSE_EXT_PASSTHROUGH) against the module, with
# muse-pttest's libmuse server: passthrough reads equal the server's
# answers and send no request, taking a block back is synchronous under
# racing readers, a truncated backing file gives EIO, and a server that
# goes away with passthrough reads in flight leaves nothing behind.
. /scenarios/lib.sh

require_bin muse-pttest
load_modules mtd
load_muse

step "muse-pttest all"
muse-pttest -v all >/tmp/pttest.log 2>&1 || {
	cat /tmp/pttest.log
	fail "muse-pttest"
}
cat /tmp/pttest.log
expect_eq "MTDs left" "" "$(sed -n '2,$p' /proc/mtd)"
rmmod muse || fail "rmmod muse"
