#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Say which of the per-machine caches the test command uses are warm, so
# that a run's time can be read against what it had to fetch and build.
#
#   tests/cache-state.sh [--vm] [--kernel-debug] [--distro SUITE]
#
# Prints one line per cache, "cache: NAME warm|cold (WHAT)", and exits 0
# when every cache named is warm, 1 when one is cold.  It fetches and
# builds nothing (tests/kernels/fetch-kernel.sh --cached,
# tests/kernel-debug/build-kernel.sh --status).
#   --vm            the kernel images of this host (fetch-kernel.sh --list)
#   --kernel-debug  the debug kernels built from linux-source-6.1 and -7.*
#   --distro SUITE  tests/distro/stage.sh's root of SUITE: the debootstrap
#                   tarball, the tarball after install-deps (keyed by its
#                   hash), the root's own kernel cache
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
kernel_cache=${MUSE_KERNEL_CACHE:-/var/cache/libmuse}
distro_cache=${MUSE_DISTRO_CACHE:-/var/cache/libmuse}

vm=no kd=no distro=
while [ $# -gt 0 ]; do
	case "$1" in
	--vm) vm=yes ;;
	--kernel-debug) kd=yes ;;
	--distro) [ $# -ge 2 ] || { echo "cache-state.sh: --distro needs a SUITE" >&2; exit 2; }
		distro=$2; shift ;;
	*) sed -n '7,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	shift
done

cold=0
# state NAME WHAT: warm when the rest of the arguments, a command, succeeds.
state() {
	name=$1 what=$2
	shift 2
	if "$@" >/dev/null 2>&1; then
		echo "cache: $name warm ($what)"
	else
		echo "cache: $name cold ($what)"
		cold=1
	fi
}

# complete_images DIR: DIR, a kernel cache, holds at least one kernel and
# every one it points to is complete.
complete_images() {
	found=no
	for pointer in "$1"/current-*; do
		[ -f "$pointer" ] || continue
		[ -f "$1/$(cat "$pointer")/complete" ] || return 1
		found=yes
	done
	[ "$found" = yes ]
}

if [ "$vm" = yes ]; then
	for spec in $("$top/tests/kernels/fetch-kernel.sh" --list); do
		state "image-$spec" "Debian kernel image and headers, in $kernel_cache" \
			"$top/tests/kernels/fetch-kernel.sh" --cached "$spec"
	done
fi
if [ "$kd" = yes ]; then
	for spec in 6.1 7; do
		state "debug-kernel-$spec" "KASAN/lockdep kernel built from linux-source-$spec" \
			"$top/tests/kernel-debug/build-kernel.sh" --status "$spec"
	done
fi
if [ -n "$distro" ]; then
	dir=$distro_cache/distro-$distro
	hash=$(sha256sum "$top/scripts/install-deps" | cut -c1-16)
	state "distro-$distro-base" "debootstrap root, $dir/base.tar" \
		test -f "$dir/base.tar"
	state "distro-$distro-deps" "root after this install-deps, $dir/deps-$hash.tar" \
		test -f "$dir/deps-$hash.tar"
	state "distro-$distro-kernels" "the root's kernel images, $dir/var-cache-libmuse" \
		complete_images "$dir/var-cache-libmuse"
fi
exit "$cold"
