#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run the demo scenario (scenarios/demo.sh) in QEMU and show what the
# guest printed.  scripts/run-demo calls this after building.
#
#   tests/vm/demo.sh BUILDDIR [--log FILE]
#
# BUILDDIR must hold a build with -Dvm_tests=enabled (it has
# tests/vm/initramfs.cpio.gz with muse.ko and ramflash in it).
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

initrd=$build/tests/vm/initramfs.cpio.gz
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
found=$("$here/find-kernel.sh") || exit 1
kernel=${found%% *}

echo "demo: booting $kernel under QEMU (TCG, 2 CPUs); this takes a minute or two"
status=0
"$here/run-scenario.sh" --kernel "$kernel" --initrd "$initrd" \
	--scenario demo --timeout 600 --mem 768 --log "$log" >/dev/null || status=$?
# The guest's own output, without the kernel's boot messages.
tr -d '\r' <"$log" |
	sed -n '/^guest-init: running scenario demo/,/^MUSE-SCENARIO-RESULT/p' |
	grep -v '^\[ *[0-9]*\.[0-9]*\] '
if [ "$status" -ne 0 ]; then
	echo "demo: FAILED (status $status); the whole console log is in $log"
	exit 1
fi
echo "demo: passed; console log in $log"
