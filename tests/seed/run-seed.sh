#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run one scenario of the seed suite: the MUSE v2 kernel code of the
# original patch series (shared/seed), built by build-seed.sh as
# muse_seed.ko against the 6.1 debug kernel of tests/kernel-debug, serving
# libmuse's programs under QEMU.
#
# run-seed.sh --source-root DIR --build-dir DIR --kernel SOURCE
#             (--prepare | --scenario NAME [--timeout SECONDS]) [--bin PATH]...
#
#   --kernel SOURCE  as tests/kernel-debug/run-debug.sh (6.1: the series
#                    was written for 5.10, 6.1 is the closest debug kernel)
#   --prepare        only build the kernel (if not cached) and muse_seed.ko
#   --bin PATH       a guest program (ramflash, minimal); missing ones make
#                    the checks needing them skip
#
# The seed is looked for in ../shared/seed beside the source root; without
# it the test says so and skips.  Exit status as run-scenario.sh: 0 PASS,
# 77 SKIP, 1 FAIL.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "run-seed.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '8,16p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

srcroot=
builddir=
scenario=
kernel_source=
prepare=no
timeout=600
bins=
while [ $# -gt 0 ]; do
	case "$1" in
	--prepare) prepare=yes; shift; continue ;;
	esac
	[ $# -ge 2 ] || usage
	case "$1" in
	--source-root) srcroot=$2 ;;
	--build-dir) builddir=$2 ;;
	--scenario) scenario=$2 ;;
	--kernel) kernel_source=$2 ;;
	--timeout) timeout=$2 ;;
	--bin) bins="$bins $2" ;;
	*) usage ;;
	esac
	shift 2
done
[ -n "$srcroot" ] && [ -n "$builddir" ] && [ -n "$kernel_source" ] || usage
[ "$prepare" = yes ] || [ -n "$scenario" ] || usage

seed=$srcroot/../shared/seed
if ! ls "$seed"/*.txt >/dev/null 2>&1; then
	echo "SKIP: no MUSE v2 seed in $seed (a clone without the shared/ directory beside it)"
	exit 77
fi
mkdir -p "$builddir"
builddir=$(cd "$builddir" && pwd)

kd=$srcroot/tests/kernel-debug
kernel=$("$kd/build-kernel.sh" "$kernel_source" | tail -n 1) ||
	die "the debug kernel did not build"
release=$(cat "$kernel/release")
series=$(echo "$release" | cut -d. -f1,2)

# One module build per kernel; the lock serialises tests that start
# together.
exec 8>"$builddir/seed-$(basename "$kernel").lock"
flock 8
ko=$("$here/build-seed.sh" "$seed" "$kernel/build" \
	"$builddir/seed-$(basename "$kernel")" | tail -n 1) ||
	die "muse_seed.ko did not build"
flock -u 8
echo "debug kernel $release in $kernel; the seed's module: $ko"
[ "$prepare" = no ] || exit 0

args="--out $builddir/initramfs-$scenario@$series.cpio.gz"
args="$args --modules-dir $kernel/modules/lib/modules/$release --ko $ko"
args="$args --ubifs-config $kernel/build/.config"
for m in mtd_readtest mtd_pagetest \
	mtd_stresstest mtd_torturetest; do
	args="$args --module $m"
done
for b in $bins; do
	if [ -x "$b" ]; then
		args="$args --bin $b"
	else
		echo "note: $b was not built; the checks that need it skip"
	fi
done
# shellcheck disable=SC2086 # word lists on purpose; no spaces in paths
"$srcroot/tests/vm/mkinitramfs.sh" $args \
	--scenarios "$kd/scenarios" --scenarios "$here/scenarios" ||
	die "mkinitramfs.sh failed"

exec "$srcroot/tests/vm/run-scenario.sh" --kernel "$kernel/bzImage" \
	--initrd "$builddir/initramfs-$scenario@$series.cpio.gz" \
	--scenario "$scenario" --timeout "$timeout" --smp 2 --mem 1024 \
	--log "$builddir/$scenario@$series.log"
