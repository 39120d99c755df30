#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build (once per machine) a small debug kernel from Debian's linux-source-6.1:
# tinyconfig + debug.config (KASAN, lockdep, kmemleak, the MTD test modules).
#
# The result is cached under $MUSE_KERNEL_CACHE (default /var/cache/libmuse)
# in kernel-<key>/, where <key> combines the source package version and the
# hash of the config fragment, so a changed fragment or a new source package
# yields a fresh build and an unchanged one is reused:
#   kernel-<key>/bzImage      the kernel to boot
#   kernel-<key>/modules/     INSTALL_MOD_PATH tree (lib/modules/<release>/)
#   kernel-<key>/build/       prepared O= build tree (KDIR for out-of-tree modules)
#   kernel-<key>/src/         the extracted source the build tree refers to
#   kernel-<key>/release      the kernel release string
#
# Usage: build-kernel.sh [--jobs N]
#   Prints the cache directory on the last line of stdout.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
fragment="$here/debug.config"
cache_root=${MUSE_KERNEL_CACHE:-/var/cache/libmuse}
tarball=${MUSE_KERNEL_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
source_pkg=linux-source-6.1
jobs=$(($(nproc) + 1))

die() { echo "build-kernel.sh: $*" >&2; exit 1; }
log() { echo "build-kernel.sh: $*" >&2; }

while [ $# -gt 0 ]; do
	case "$1" in
	--jobs) [ $# -ge 2 ] || die "--jobs needs a number"; jobs=$2; shift ;;
	-h|--help) sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done

[ -r "$tarball" ] || die "$tarball not found (apt-get install $source_pkg)"
[ -r "$fragment" ] || die "$fragment not found"

version=$(dpkg-query -W -f='${Version}' "$source_pkg" 2>/dev/null) ||
	die "package $source_pkg is not installed"
frag_hash=$(sha256sum "$fragment" | cut -c1-12)
key="$version-$frag_hash"
dir="$cache_root/kernel-$key"

if [ -f "$dir/complete" ]; then
	log "using cached kernel in $dir"
	echo "$dir"
	exit 0
fi

# Only one build per cache directory at a time (meson may start several
# tests that all need the kernel).
mkdir -p "$cache_root"
exec 9>"$cache_root/kernel-$key.lock"
flock 9
if [ -f "$dir/complete" ]; then
	log "using kernel built meanwhile in $dir"
	echo "$dir"
	exit 0
fi

rm -rf "$dir"
mkdir -p "$dir/build"
start=$(date +%s)

log "extracting $tarball ($source_pkg $version)"
tar -C "$dir" -xJf "$tarball"
src=$(find "$dir" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*' | head -n 1)
[ -n "$src" ] || die "no linux-source-* directory in $tarball"
mv "$src" "$dir/src"
src="$dir/src"
obj="$dir/build"

log "configuring: tinyconfig + $(basename "$fragment")"
make -s -C "$src" O="$obj" tinyconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" >&2
make -s -C "$src" O="$obj" olddefconfig >&2

# merge_config.sh only warns about options olddefconfig dropped; a missing
# debug option would make every test below prove less than it claims.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		if ! grep -qxF "$line" "$obj/.config"; then
			got=$(grep -E "^(# )?${line%%=*}[= ]" "$obj/.config" || echo "absent")
			log "required '$line' but .config has '$got'"
			missing=$((missing + 1))
		fi ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		if grep -q "^$opt=" "$obj/.config"; then
			log "required '$line' but .config has '$(grep "^$opt=" "$obj/.config")'"
			missing=$((missing + 1))
		fi ;;
	esac
done < "$fragment"
[ "$missing" -eq 0 ] || die "$missing required option(s) not in the final .config"

log "building bzImage and modules with -j$jobs"
make -s -C "$src" O="$obj" -j"$jobs" bzImage modules >&2
make -s -C "$src" O="$obj" INSTALL_MOD_PATH="$dir/modules" modules_install >&2
cp "$obj/arch/x86/boot/bzImage" "$dir/bzImage"
make -s -C "$src" O="$obj" kernelrelease > "$dir/release"

# Keep what out-of-tree module builds need, drop the objects.
find "$obj" -name '*.o' -delete
find "$obj" -name '.*.o.cmd' -delete

touch "$dir/complete"
# Kernels of older fragments or source packages are dead weight (~1.5 GiB
# each); their lock files are harmless.
for old in "$cache_root"/kernel-*; do
	[ -d "$old" ] && [ "$old" != "$dir" ] && rm -rf "$old"
done
log "built $(cat "$dir/release") in $(($(date +%s) - start)) s"
echo "$dir"
