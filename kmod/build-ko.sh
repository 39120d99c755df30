#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Build muse.ko outside the source tree, for meson:
#   build-ko.sh OUTDIR KDIR HEADER SOURCE...
# copies the Kbuild sources and the protocol header into OUTDIR (Kbuild
# writes its objects next to the sources) and runs Kbuild there.
set -eu

[ $# -ge 4 ] || { echo "usage: $0 OUTDIR KDIR HEADER SOURCE..." >&2; exit 2; }
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
exec make -C "$kdir" M="$out" modules
