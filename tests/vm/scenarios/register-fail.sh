#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A registration whose third partition fails (an `slc` partition on an MLC
# NAND without a pairing scheme, which add_mtd_device() refuses) while
# mtdblock is loaded, so that registering the first two starts block I/O
# only the server can answer: the INIT write returns without waiting for
# it, the connection ends, nothing stays registered, no /dev/mtd* open
# deadlocks, and the module unloads (muse-peer lifetime register-fail).
. /scenarios/lib.sh

load_muse
load_modules mtdblock
run_peer lifetime register-fail
step "nothing is wedged"
cat /proc/mtd >/dev/null
rmmod muse || fail "rmmod muse after the failed registration"
echo "ok: rmmod muse"
