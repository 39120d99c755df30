#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build the seed's MUSE v2 kernel code as a module, muse_seed.ko, against a
# built kernel tree.
#
# build-seed.sh SEED_DIR KERNEL_BUILD_DIR OUT_DIR
#
#   SEED_DIR          shared/seed: the mbox text of patch 6/7 of "MUSE:
#                     Userspace backed MTD v2" (the 000_*.txt holding
#                     "fs/fuse/muse.c")
#   KERNEL_BUILD_DIR  a prepared O= tree (tests/kernel-debug/build-kernel.sh's
#                     build/) whose kernel has FUSE_FS and MTD
#   OUT_DIR           where the module is built; its path is printed last
#
# muse.c is extracted from the patch text here, at build time: it is never
# part of this repository.  kbuild/ holds this project's port layer.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "build-seed.sh: $*" >&2
	exit 1
}

[ $# -eq 3 ] || die "usage: build-seed.sh SEED_DIR KERNEL_BUILD_DIR OUT_DIR"
seed_dir=$1
kdir=$2
out=$3

patch=$(grep -l '^+++ b/fs/fuse/muse\.c$' "$seed_dir"/*.txt 2>/dev/null | head -n 1) ||
	true
[ -n "$patch" ] || die "no patch adding fs/fuse/muse.c in $seed_dir"
[ -f "$kdir/.config" ] || die "$kdir/.config not found: not a built kernel tree"

# The seed's Kconfig hunk: MUSE depends on FUSE_FS and selects MTD (and
# FUSE_HELPER, which only the series has: the port layer stands in).
for sym in FUSE_FS MTD; do
	grep -Eq "^CONFIG_$sym=[ym]$" "$kdir/.config" ||
		die "the kernel in $kdir lacks CONFIG_$sym, which MUSE needs"
done

mkdir -p "$out"
rm -f "$out/muse.c.new"
# The new file's hunk: "@@ -0,0 +1,N @@", then N lines each behind a '+'.
awk -v out="$out/muse.c.new" '
	/^\+\+\+ b\/fs\/fuse\/muse\.c$/ { file = 1; next }
	file && !want && /^@@ -0,0 \+1,[0-9]+ @@/ {
		want = $3; sub(/^\+1,/, "", want); want += 0; next
	}
	want && got < want {
		if (substr($0, 1, 1) != "+") { exit 1 }
		print substr($0, 2) > out; got++
	}
	END { if (!want || got != want) exit 1 }' "$patch" ||
	die "$patch: the hunk of fs/fuse/muse.c is not whole"
# Unchanged sources keep their time stamps, so make rebuilds nothing.
for f in "$here/kbuild/Kbuild" "$here/kbuild/muse_port.h" "$here/kbuild/muse_port.c"; do
	cmp -s "$f" "$out/$(basename "$f")" || cp "$f" "$out/"
done
if cmp -s "$out/muse.c.new" "$out/muse.c"; then
	rm "$out/muse.c.new"
else
	mv "$out/muse.c.new" "$out/muse.c"
fi

make -s -C "$kdir" M="$out" modules >&2 ||
	die "the seed's muse.c with the port layer does not build against $kdir"
[ -f "$out/muse_seed.ko" ] || die "no muse_seed.ko in $out"
echo "$out/muse_seed.ko"
