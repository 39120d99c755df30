#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Read passthrough under KASAN, lockdep and kmemleak: muse-pttest's cases
# (equivalence, a take-back racing four readers, a backing file truncated
# under the kernel, the server gone with passthrough reads in flight, the
# backing files refused, kernel erase against bad blocks and readers, a
# backing file on a FUSE filesystem that stopped answering), three rounds,
# then the module unloads and nothing leaked.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-pttest
kmemleak_begin
load_muse

# Huge pages for the hugetlbfs memfd; FUSE (a module here) for
# stuck-backing, which is left out, saying so, when the image lacks it.
echo 4 >/proc/sys/vm/nr_hugepages
cases=all
[ -c /dev/fuse ] || modprobe fuse 2>/dev/null || {
	echo "no FUSE module in this image: stuck-backing not run"
	cases=$(muse-pttest --list | grep -vx stuck-backing)
}

for round in 1 2 3; do
	step "muse-pttest $cases, round $round"
	# shellcheck disable=SC2086 # one case name per word
	muse-pttest -v $cases >/tmp/pttest.log 2>&1 || {
		cat /tmp/pttest.log
		fail "muse-pttest, round $round"
	}
	grep -E '^(PASS|FAIL) |flipped' /tmp/pttest.log
	[ -z "$(mtd_by_name pttest)" ] || fail "a pttest MTD outlived its server"
done

kmemleak_check
rmmod muse || fail "rmmod muse"
