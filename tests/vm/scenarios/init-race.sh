#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The server's ioctls racing its own INIT write (muse-peer init race):
# thousands of rounds of open, INIT, ioctls fired from a second thread
# while the INIT reply is written, close.  An ioctl sees all of what INIT
# negotiated or none of it: no division by a geometry not yet stored, no
# oops (the harness fails on one), only documented errnos.
# kernel-debug's init-race runs it under KASAN.
. /scenarios/lib.sh

require_bin muse-peer
load_muse
# INIT_RACE_ROUNDS (default 2000) sets the rounds.
run_peer init race
rmmod muse || fail "rmmod muse after the race"
