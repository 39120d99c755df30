#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Read passthrough under KASAN, lockdep and kmemleak: muse-peer
# passthrough's cases (equivalence, a take-back racing four readers, a
# backing file truncated under the kernel, the server gone with
# passthrough reads in flight, the backing files refused, a read-only one
# served, kernel erase against bad blocks and readers, a backing file on a
# FUSE filesystem that stopped answering under an abort and under the
# request timeout), two rounds, then the module unloads and nothing
# leaked.
. /scenarios/lib.sh
. /scenarios/kdebug-lib.sh

require_bin muse-peer
kmemleak_begin
load_muse

# Huge pages for the hugetlbfs memfd; FUSE (a module here) for
# stuck-backing, which is left out, saying so, when the image lacks it.
# huge-erase runs in the first round, on a quarter of the largest chip
# (still 30 s under KASAN, where the kernel does not preempt).
echo 4 >/proc/sys/vm/nr_hugepages
export PTTEST_HUGE_BLOCKS=262144
PTTEST_REQUIRE=$(pttest_require)
export PTTEST_REQUIRE
skip=x
[ -c /dev/fuse ] || modprobe fuse 2>/dev/null || {
	echo "no FUSE module in this image: stuck-backing not run"
	skip=stuck-backing
}

for round in 1 2; do
	[ $round -eq 1 ] || skip="$skip huge-erase"
	# shellcheck disable=SC2086 # one name per word
	cases=$(muse-peer passthrough --list |
		grep -vxF "$(printf '%s\n' $skip)" | tr '\n' ' ')
	step "round $round"
	# Each case's MTD gone after it: run_peer finds the MTDs as before.
	# shellcheck disable=SC2086 # one case name per word
	run_peer -v passthrough $cases
done

kmemleak_check
rmmod muse || fail "rmmod muse"
