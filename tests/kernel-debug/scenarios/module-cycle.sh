#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Load and unload muse.ko many times: bare, with /dev/muse opened and
# closed before the handshake, and with a served MTD in between (which
# must keep the module from unloading until the server is gone).
# kmemleak then looks for anything the module left behind (the frames of
# the unloaded module have no names, and kmemleak_check counts those).
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin ramflash
kmemleak_begin

step "50 bare load/unload cycles"
i=0
while [ "$i" -lt 50 ]; do
	i=$((i + 1))
	modprobe muse || fail "modprobe muse (cycle $i)"
	rmmod muse || fail "rmmod muse (cycle $i)"
done
[ ! -e /dev/muse ] || fail "/dev/muse still exists after rmmod"

step "20 cycles of open and close before the handshake"
i=0
while [ "$i" -lt 20 ]; do
	i=$((i + 1))
	load_muse
	exec 3<>/dev/muse || fail "open /dev/muse (cycle $i)"
	exec 3>&-
	rmmod muse || fail "rmmod muse after an unfinished connection (cycle $i)"
done

step "10 cycles with a served MTD"
i=0
while [ "$i" -lt 10 ]; do
	i=$((i + 1))
	load_muse
	start_ramflash "kd-cycle$i" $RF_SMALL
	dd if="$MTD" of=/dev/null bs=128k 2>/dev/null || fail "read $MTD"
	expect_fail "rmmod muse while an MTD is served" rmmod muse
	stop_ramflash
	rmmod muse || fail "rmmod muse after the server left (cycle $i)"
done

kmemleak_check
