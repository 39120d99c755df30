#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A child that inherited the server's /dev/muse fd and opened /dev/mtdN
# read-write exits after the server closed its copy: closing /dev/mtdN in
# do_exit sends SYNC to the connection whose last file is that child's.
# It must finish exiting (with either fd closed first), the MTD must go,
# and the module must unload afterwards (muse-peer lifetime exiting-child).
. /scenarios/lib.sh

load_muse
run_peer lifetime exiting-child
step "the module unloads"
rmmod muse || fail "rmmod muse after the exiting child"
echo "ok: rmmod muse"
