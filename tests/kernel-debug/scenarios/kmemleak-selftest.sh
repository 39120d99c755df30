#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The leak check of this suite must be able to fail: the kernel's
# kmemleak-test module leaks on purpose when it loads, and the same scan
# and report parsing that kmemleak_check uses for muse must find those
# leaks (in kmemleak_test's init code, whose frames have no names once
# init is over).  The reports are not printed as they are (the host would
# fail the run on them); the matches are counted.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

kmemleak_begin
step "a module that leaks"
modprobe kmemleak-test || fail "modprobe kmemleak-test"
found=$(kmemleak_suspects kmemleak_test)
sed 's/^unreferenced object/suspect object/' /tmp/kmemleak-match.txt |
	head -n 24
# 6.1's module leaks 8 kmallocs and 5 vmallocs and prints hashed
# pointers.  7.x's prints every address in full (%px) into the kernel
# log, which kmemleak scans, so those objects look referenced: only its
# __alloc_percpu() object (printed as a per-CPU offset) is reported.
least=8
[ "$(uname -r | cut -d. -f1)" -lt 7 ] || least=1
[ "$found" -ge "$least" ] ||
	fail "kmemleak found $found leak(s) of kmemleak-test, at least $least expected"
echo "ok: the leak check finds $found leaked objects of kmemleak-test"

echo clear >/sys/kernel/debug/kmemleak
