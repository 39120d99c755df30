#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run one scenario of the kernel-debug suite: make sure the debug kernel
# exists (build-kernel.sh, cached per machine), build muse.ko against it,
# pack an initramfs with the MTD test modules and the guest programs, and
# boot it with tests/vm/run-scenario.sh.
#
# run-debug.sh --source-root DIR --build-dir DIR --kernel SOURCE
#              (--prepare | --dkms KMOD_SRCDIR |
#               --scenario NAME [--timeout SECONDS])
#              [--smp N] [--mem MB] [--append "CMDLINE"] [--bin PATH]...
#
#   --kernel SOURCE which kernel: 6.1, 7, or a linux-source directory of
#                   the kernel cache (build-kernel.sh's SOURCE)
#   --prepare       only build the kernel and muse.ko (the suite's first tests)
#   --dkms DIR      have DKMS build the module of DIR against the kernel's
#                   tree (tests/kmod/dkms-build.sh)
#   --bin PATH      a guest program for the initramfs (ramflash, muse-peer,
#                   mtdhammer, ...); missing ones make the scenarios needing
#                   them skip
#
# Exit status as run-scenario.sh: 0 PASS, 77 SKIP, 1 FAIL.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "run-debug.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '9,23p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

srcroot=
builddir=
scenario=
kernel_source=
prepare=no
dkms=
timeout=600
smp=2
mem=1024
append=
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
	--dkms) dkms=$2 ;;
	--timeout) timeout=$2 ;;
	--smp) smp=$2 ;;
	--mem) mem=$2 ;;
	--append) append=$2 ;;
	--bin) bins="$bins $2" ;;
	*) usage ;;
	esac
	shift 2
done
[ -n "$srcroot" ] && [ -n "$builddir" ] && [ -n "$kernel_source" ] || usage
[ "$prepare" = yes ] || [ -n "$scenario" ] || [ -n "$dkms" ] || usage
mkdir -p "$builddir"
builddir=$(cd "$builddir" && pwd)

kernel=$("$here/build-kernel.sh" "$kernel_source" | tail -n 1) ||
	die "the debug kernel did not build"
release=$(cat "$kernel/release")
moddir=$kernel/modules/lib/modules/$release
[ -z "$dkms" ] || exec "$srcroot/tests/kmod/dkms-build.sh" "$dkms" "$kernel/build"
# Files of this scenario on this kernel: NAME@X.Y (the test's name).
series=$(echo "$release" | cut -d. -f1,2)

# muse.ko for this kernel.  Kbuild writes its objects next to the sources,
# so build a copy (kmod/ and the shared include/ it uses, same layout) in
# the build dir, one per kernel; cp -p keeps the sources' times, so make
# rebuilds only what changed.  The lock serialises tests that start
# together.
kmod_build() {
	work=$builddir/kmod-$(basename "$kernel")
	mkdir -p "$work"
	exec 8>"$builddir/kmod-$(basename "$kernel").lock"
	flock 8
	rm -rf "$work/kmod.new"
	cp -pR "$srcroot/kmod" "$work/kmod.new"
	# Keep the previous objects when the sources are the same.
	if [ -d "$work/kmod" ] &&
		diff -rq -x '*.o' -x '*.ko' -x '*.mod*' -x '.*' -x 'Module.symvers' \
			-x 'modules.order' "$work/kmod.new" "$work/kmod" >/dev/null; then
		rm -rf "$work/kmod.new"
	else
		rm -rf "$work/kmod"
		mv "$work/kmod.new" "$work/kmod"
	fi
	rm -rf "$work/include"
	cp -pR "$srcroot/include" "$work/include"
	make -s -C "$work/kmod" KDIR="$kernel/build" >&2 ||
		die "muse.ko does not build against the debug kernel $kernel/build"
	flock -u 8
	[ -f "$work/kmod/muse.ko" ] || die "no muse.ko after building $work/kmod"
	echo "$work/kmod/muse.ko"
}

if [ ! -f "$srcroot/kmod/Makefile" ]; then
	echo "SKIP: $srcroot/kmod has no Makefile, there is no muse.ko to test"
	exit 77
fi
ko=$(kmod_build)
echo "debug kernel $release in $kernel; muse.ko: $ko"
[ "$prepare" = no ] || exit 0

# The kernel's MTD test modules, the in-kernel simulators, the module
# that leaks on purpose (kmemleak-selftest) and FUSE (a backing file whose
# daemon stops answering, in passthrough); MTD, UBI, UBIFS and JFFS2 are
# built in.
modules="mtd_readtest mtd_pagetest mtd_subpagetest mtd_oobtest mtd_speedtest
	mtd_stresstest mtd_torturetest mtd_nandbiterrs mtdram nandsim
	kmemleak-test fuse"
# One initramfs per kernel, shared by its scenarios (they get the same
# programs and modules; each boots with its own musetest.scenario), made
# again when any of its inputs is newer.  The lock makes scenarios that
# start together wait for one build.
initrd=$builddir/initramfs@$series.cpio.gz
args="--out $initrd.tmp --modules-dir $moddir --ko $ko"
inputs="$ko $here/scenarios $srcroot/tests/vm/mkinitramfs.sh
	$srcroot/tests/vm/guest-init.sh $srcroot/tests/vm/scenarios"
for m in $modules; do
	args="$args --module $m"
done
for b in $bins; do
	if [ -x "$b" ]; then
		args="$args --bin $b"
		inputs="$inputs $b"
	else
		echo "note: $b was not built; scenarios that need it skip"
	fi
done
exec 7>"$initrd.lock"
flock 7
# shellcheck disable=SC2086 # word lists on purpose; no spaces in paths
if [ ! -f "$initrd" ] || [ -n "$(find $inputs -newer "$initrd" | head -n 1)" ]; then
	# shellcheck disable=SC2086
	"$srcroot/tests/vm/mkinitramfs.sh" $args --scenarios "$here/scenarios" ||
		die "mkinitramfs.sh failed"
	mv "$initrd.tmp" "$initrd"
fi
flock -u 7

exec "$srcroot/tests/vm/run-scenario.sh" --kernel "$kernel/bzImage" \
	--initrd "$initrd" --scenario "$scenario" \
	--timeout "$timeout" --smp "$smp" --mem "$mem" \
	--append "$append" --log "$builddir/$scenario@$series.log"
