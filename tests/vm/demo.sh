#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run the demo scenario (scenarios/demo.sh) in QEMU, show what the guest
# printed and save the picture of the chip it exported (BUILDDIR/tests/vm/
# demo-chip.svg).  scripts/run-demo calls this after building.
#
#   tests/vm/demo.sh BUILDDIR [--log FILE]
#
# BUILDDIR must hold a build with -Dvm_tests=enabled (it has
# tests/vm/initramfs-SPEC.cpio.gz with muse.ko and ramflash in it).  The
# kernel is the first of this host's vm suite (6.1 on Debian 12), from the
# kernel cache (tests/kernels/fetch-kernel.sh).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || {
	echo "usage: $0 BUILDDIR [--log FILE]" >&2
	exit 2
}
build=$1
shift
log=$build/tests/vm/vm-demo.log
if [ $# -eq 2 ] && [ "$1" = --log ]; then
	log=$2
elif [ $# -ne 0 ]; then
	echo "usage: $0 BUILDDIR [--log FILE]" >&2
	exit 2
fi

spec=$("$here/../kernels/fetch-kernel.sh" --list | cut -d' ' -f1)
initrd=$build/tests/vm/initramfs-$spec.cpio.gz
if [ ! -f "$initrd" ]; then
	echo "demo: $initrd not found: configure with -Dvm_tests=enabled and build" >&2
	exit 1
fi
for part in "module muse" "bin ramflash"; do
	if ! gzip -dc "$initrd" | cpio -i --quiet --to-stdout etc/muse-initramfs |
		grep -qx "$part"; then
		echo "demo: the initramfs has no ${part#* } (was it built?)" >&2
		exit 1
	fi
done
kdir=$("$here/../kernels/fetch-kernel.sh" --cached "$spec") || exit 1
kernel=$kdir/bzImage
# The image's modules must be this kernel's (the cache may hold a newer
# kernel than the one the build was configured with).
release=$(cat "$kdir/release")
gzip -dc "$initrd" | cpio -t --quiet | grep -q "^lib/modules/$release/" || {
	echo "demo: $initrd is not for kernel $release: meson setup --reconfigure $build" >&2
	exit 1
}

echo "demo: booting Debian's $release under QEMU (TCG, 2 CPUs); this takes a minute or two"
status=0
"$here/run-scenario.sh" --kernel "$kernel" --initrd "$initrd" \
	--scenario demo --timeout 600 --mem 768 --log "$log" >/dev/null || status=$?
# The guest's own output, without the kernel's boot messages and the
# exported files.
tr -d '\r' <"$log" |
	sed -n '/^guest-init: running scenario demo/,/^MUSE-SCENARIO-RESULT/p' |
	grep -v '^\[ *[0-9]*\.[0-9]*\] ' |
	sed '/^MUSE-FILE-BEGIN /,/^MUSE-FILE-END /d'
if [ "$status" -ne 0 ]; then
	echo "demo: FAILED (status $status); the whole console log is in $log"
	exit 1
fi
# The picture, from the console (export_file in scenarios/lib.sh), past
# any kernel message; gzip fails if a line of it was lost or garbled.
svg=$(dirname "$log")/demo-chip.svg
if ! tr -d '\r' <"$log" |
	sed -n '/^MUSE-FILE-BEGIN demo-chip.svg$/,/^MUSE-FILE-END demo-chip.svg$/p' |
	sed '1d;$d' | grep -v '^\[ *[0-9]*\.[0-9]*\] ' | base64 -d |
	gzip -dc >"$svg"; then
	echo "demo: FAILED: no whole demo-chip.svg in the console log $log"
	exit 1
fi
echo "demo: the chip's erase counts and bad blocks as a picture: $svg"
echo "demo: passed; console log in $log"
