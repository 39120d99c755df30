#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build (once per machine) a small debug kernel from Debian's linux-source-X.Y
# (fetched from the archive into the kernel cache by
# tests/kernels/fetch-kernel.sh, not installed): tinyconfig + debug.config
# (KASAN, lockdep, kmemleak, the MTD test modules) + debug-<SPEC>.config
# when that exists (debug-7.config: what 7.x names or needs differently).
#
# The result is cached under $MUSE_KERNEL_CACHE (default /var/cache/libmuse)
# in kernel-<key>/, where <key> combines the source package version and the
# hash of the config fragments, so a changed fragment or a new source package
# yields a fresh build and an unchanged one is reused:
#   kernel-<key>/bzImage      the kernel to boot
#   kernel-<key>/modules/     INSTALL_MOD_PATH tree (lib/modules/<release>/)
#   kernel-<key>/build/       prepared O= build tree (KDIR for out-of-tree modules)
#   kernel-<key>/src/         the extracted source the build tree refers to
#   kernel-<key>/release      the kernel release string
#
# Usage: build-kernel.sh [--jobs N] [--status] SOURCE
#   SOURCE: 6.1 or 7 (linux-source-6.1, the newest linux-source-7.*), or a
#   directory fetch-kernel.sh printed for source-6.1 or source-7.
#   Prints the cache directory on the last line of stdout.
#   --status: build nothing, fetch nothing; print the directory the build
#   would use and exit 0 when it is built, 1 when it is not (or the source
#   is not in the cache).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache_root=${MUSE_KERNEL_CACHE:-/var/cache/libmuse}
jobs=$(($(nproc) + 1))

die() { echo "build-kernel.sh: $*" >&2; exit 1; }
log() { echo "build-kernel.sh: $*" >&2; }

source=
status=no
while [ $# -gt 0 ]; do
	case "$1" in
	--jobs) [ $# -ge 2 ] || die "--jobs needs a number"; jobs=$2; shift ;;
	--status) status=yes ;;
	-h|--help) sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown argument: $1" ;;
	*) [ -z "$source" ] || die "one SOURCE only"; source=$1 ;;
	esac
	shift
done
[ -n "$source" ] || die "no SOURCE (6.1 or 7); see --help"
if [ ! -d "$source" ]; then
	if [ "$status" = yes ]; then
		source=$("$here/../kernels/fetch-kernel.sh" --cached \
			"source-$source" 2>/dev/null) || exit 1
	else
		source=$("$here/../kernels/fetch-kernel.sh" "source-$source") ||
			die "cannot fetch linux-source $source"
	fi
fi
[ -f "$source/complete" ] || die "$source: not a linux-source fetched by fetch-kernel.sh"
tarball=$source/linux-source.tar.xz
source_pkg=$(cut -d' ' -f1 "$source/package")
version=$(cut -d' ' -f2 "$source/package")
# Kernels of this spec (source-6.1: kernel-6.1.*, source-7: kernel-7.*).
older=kernel-$(sed 's/^source-//' "$source/spec")

# The fragments, and their hash for the key (with debug.config alone, the
# hash of that file: the key of the 6.1 kernel is unchanged).
fragments=$here/debug.config
extra=$here/debug-$(sed 's/^source-//' "$source/spec").config
[ ! -f "$extra" ] || fragments="$fragments $extra"
# shellcheck disable=SC2086 # file list, no spaces
frag_hash=$(cat $fragments | sha256sum | cut -c1-12)
key="$version-$frag_hash"
dir="$cache_root/kernel-$key"

if [ "$status" = yes ]; then
	echo "$dir"
	[ -f "$dir/complete" ]
	exit
fi
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

log "configuring: tinyconfig + $fragments"
make -s -C "$src" O="$obj" tinyconfig >&2
# shellcheck disable=SC2086 # file list
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" $fragments >&2
make -s -C "$src" O="$obj" olddefconfig >&2

# merge_config.sh only warns about options olddefconfig dropped; a missing
# debug option would make every test below prove less than it claims.
# An option a version-specific fragment replaces ("# replaces CONFIG_X")
# is not required, as long as that version really has no such option.
# shellcheck disable=SC2086 # file list
replaced=$(cat $fragments | sed -n 's/^# replaces \(CONFIG_[A-Z0-9_]*\)$/\1/p')
for opt in $replaced; do
	if grep -rqx --include='Kconfig*' "config ${opt#CONFIG_}" "$src"; then
		die "$opt is replaced by a fragment, but $source_pkg still has it"
	fi
done
missing=0
# shellcheck disable=SC2086 # file list
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		if echo "$replaced" | grep -qx "${line%%=*}"; then
			continue
		fi
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
done <<EOF
$(cat $fragments)
EOF
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
# Kernels of older fragments or source packages of the same spec are dead
# weight (~1.5 GiB each); the other version's kernel is not.  The key
# starts with the upstream version (kernel-6.1.192-3-..., kernel-7.3.4-...).
for old in "$cache_root/$older".*; do
	if [ -d "$old" ] && [ "$old" != "$dir" ]; then
		rm -rf "$old" "$old.lock"
	fi
done
log "built $(cat "$dir/release") in $(($(date +%s) - start)) s"
echo "$dir"
