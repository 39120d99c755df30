#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Build muse.ko outside the source tree, for meson:
#   build-ko.sh [-o FILE] OUTDIR KDIR HEADER SOURCE...
# copies the Kbuild sources and the protocol header into OUTDIR (Kbuild
# writes its objects next to the sources) and runs Kbuild there; with -o,
# copies the module to FILE (the vm suite builds one per kernel, each in
# its own OUTDIR).
set -eu

usage() { echo "usage: $0 [-o FILE] OUTDIR KDIR HEADER SOURCE..." >&2; exit 2; }
copy_to=
if [ "${1:-}" = -o ]; then
	[ $# -ge 2 ] || usage
	copy_to=$2
	shift 2
fi
[ $# -ge 4 ] || usage
out=$1
kdir=$2
header=$3
shift 3

mkdir -p "$out/include/muse"
cp "$header" "$out/include/muse/"
for src in "$@"; do
	cp "$src" "$out/"
done
out=$(cd "$out" && pwd)
make -C "$kdir" M="$out" modules
[ -z "$copy_to" ] || cp "$out/muse.ko" "$copy_to"
