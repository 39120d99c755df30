#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build a busybox initramfs that boots straight into one test scenario.
#
# mkinitramfs.sh --out FILE.cpio.gz --modules-dir /lib/modules/<ver>
#                [--module NAME]... [--ko PATH]... [--bin PATH]...
#                [--file SRC:DST]... [--scenarios DIR]...
#                [--ubifs-config KERNEL_CONFIG]
#
#   --module NAME   a module of the kernel's modules dir, with its dependencies
#                   (built-in modules are skipped, missing ones are an error)
#   --ko PATH       an out-of-tree module (e.g. muse.ko); goes to extra/, its
#                   "depends" are resolved like --module
#   --bin PATH      an executable for /usr/bin, with the libraries ldd names
#   --file SRC:DST  any file, copied to DST inside the image
#   --scenarios DIR every *.sh of DIR goes to /scenarios (later dirs win)
#   --ubifs-config KERNEL_CONFIG
#                   add the MTD/UBI/UBIFS stack of the kernel with this .config
#                   and list its loadable modules, in load order, in
#                   /etc/muse-ubifs-modules (lib.sh's load_ubifs_stack)
#
# /init is guest-init.sh; tests/vm/scenarios/lib.sh is always included.  The
# list of what went in is written to /etc/muse-initramfs for the scenarios
# (they skip, rather than fail, when a component was not built at all).
set -eu

here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "mkinitramfs.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '4,25p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

out=
moddir=
modules=
kos=
bins=
files=
scendirs=
ubifs_config=
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	# The lists below are space-separated words.
	case "$2" in
	*[[:space:]]*) die "$1 '$2': paths with white space are not supported" ;;
	esac
	case "$1" in
	--out) out=$2 ;;
	--modules-dir) moddir=$2 ;;
	--module) modules="$modules $2" ;;
	--ko) kos="$kos $2" ;;
	--bin) bins="$bins $2" ;;
	--file) files="$files $2" ;;
	--scenarios) scendirs="$scendirs $2" ;;
	--ubifs-config) ubifs_config=$2 ;;
	*) usage ;;
	esac
	shift 2
done
[ -n "$out" ] && [ -n "$moddir" ] || usage
[ -f "$moddir/modules.dep" ] || die "$moddir/modules.dep not found"
moddir=$(cd "$moddir" && pwd -P)
kver=$(basename "$moddir")

busybox=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
PATH=$PATH:/sbin:/usr/sbin
command -v depmod >/dev/null || die "depmod not found (apt-get install kmod)"
command -v cpio >/dev/null || die "cpio not found (apt-get install cpio)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/muse-initramfs.XXXXXX")
trap 'rm -rf "$stage" "$stage.cpio"' EXIT
manifest=$stage/etc/muse-initramfs

mkdir -p "$stage/bin" "$stage/sbin" "$stage/usr/bin" "$stage/usr/sbin" \
	"$stage/usr/local/lib" "$stage/etc" "$stage/proc" "$stage/sys" \
	"$stage/dev" "$stage/tmp" "$stage/run" "$stage/mnt" "$stage/root" \
	"$stage/scenarios" "$stage/lib/modules/$kver"
: >"$manifest"

# Copy a file to the same path inside the image, following symlinks.
copy_abs() {
	mkdir -p "$stage$(dirname "$1")"
	cp -L "$1" "$stage$1"
}

# The shared libraries of an ELF file.  System libraries keep their path (the
# dynamic loader finds them there); any other (e.g. libmuse.so in a build
# tree) goes to /usr/local/lib, which guest-init puts on LD_LIBRARY_PATH.
copy_libs() {
	# A static binary makes ldd fail: nothing to copy then.
	libs=$(ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p') || true
	for lib in $libs; do
		case "$lib" in
		/lib/*|/lib64/*|/usr/lib/*) copy_abs "$lib" ;;
		*) cp -L "$lib" "$stage/usr/local/lib/" ;;
		esac
	done
}

# Busybox and its applets.  Applets go to /bin so that the real tools in
# /usr/sbin and /usr/bin (mtd-utils' ubirename, ...) come first in PATH.
cp -L "$busybox" "$stage/bin/busybox"
copy_libs "$busybox"
for applet in $("$busybox" --list); do
	[ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done

# mtd-utils: every tool a scenario may want.
mtd_tools="flash_erase flash_eraseall flashcp flash_lock flash_unlock
	nandwrite nanddump nandtest nandflipbits mtd_debug mtdinfo mtdpart lsmtd
	ubiformat ubiattach ubidetach ubimkvol ubirmvol ubirsvol ubinfo
	ubiupdatevol ubinize ubicrc32 ubirename ubiblock mkfs.ubifs
	mkfs.jffs2 jffs2dump jffs2reader sumtool"
for tool in $mtd_tools; do
	path=$(PATH=/usr/sbin:/sbin:/usr/bin:/bin command -v "$tool") ||
		die "$tool not found (apt-get install mtd-utils)"
	cp -L "$path" "$stage/usr/sbin/$tool"
	copy_libs "$path"
done
echo "mtd-utils" >>"$manifest"

for bin in $bins; do
	[ -x "$bin" ] || die "--bin $bin: not an executable file"
	cp -L "$bin" "$stage/usr/bin/"
	copy_libs "$bin"
	echo "bin $(basename "$bin")" >>"$manifest"
done

for spec in $files; do
	src=${spec%%:*}
	dst=${spec#*:}
	[ "$src" != "$spec" ] && [ -n "$dst" ] || die "--file $spec: want SRC:DST"
	[ -f "$src" ] || die "--file $spec: $src not found"
	mkdir -p "$stage$(dirname "$dst")"
	cp -L "$src" "$stage$dst"
	echo "file $dst" >>"$manifest"
done

# Kernel modules.  modules.dep already lists the whole dependency closure
# of each module, so one lookup per requested name is enough.  Compressed
# modules (Debian compresses them with xz since 6.x) are stored
# uncompressed: busybox's modprobe may not read them, and depmod below
# lists what is there.  add_module sets added=no for a built-in module.
copy_module() {
	dst=$stage/lib/modules/$kver/${1%.ko*}.ko
	mkdir -p "$(dirname "$dst")"
	case "$1" in
	*.ko) cp "$moddir/$1" "$dst" ;;
	*.ko.xz) xz -dc "$moddir/$1" >"$dst" ;;
	*.ko.zst) zstd -qdc "$moddir/$1" >"$dst" ;;
	*.ko.gz) gzip -dc "$moddir/$1" >"$dst" ;;
	*) die "$1: unknown module compression" ;;
	esac || die "cannot copy $moddir/$1"
}

add_module() {
	added=no
	want=$(echo "$1" | sed 's/-/_/g')
	line=$(awk -F: -v want="$want" '{
		n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n)
		gsub(/-/, "_", n)
		if (n == want) { print; exit }
	}' "$moddir/modules.dep")
	if [ -z "$line" ]; then
		if sed 's/.*\///; s/\.ko$//; s/-/_/g' "$moddir/modules.builtin" |
			grep -qx "$want"; then
			return 0
		fi
		die "module $1 is neither in $moddir/modules.dep nor built in"
	fi
	for rel in $(echo "$line" | tr -d ':'); do
		copy_module "$rel"
	done
	echo "module $want" >>"$manifest"
	added=yes
}

for mod in $modules; do
	add_module "$mod"
done

# UBIFS asks the crypto API for every compressor it was built with when it
# loads, and fails without one ("cannot initialize compressor"); the
# compressors are not in modules.dep.  Which are modules and which are
# built in differs per kernel (6.1: zstd; 6.12: zstd and deflate).
if [ -n "$ubifs_config" ]; then
	[ -f "$ubifs_config" ] || die "--ubifs-config $ubifs_config: not found"
	grep -Eq '^CONFIG_UBIFS_FS=[ym]' "$ubifs_config" ||
		die "--ubifs-config $ubifs_config: this kernel has no UBIFS"
	stack="mtd ubi"
	for c in LZO:lzo ZLIB:deflate ZSTD:zstd; do
		if grep -qx "CONFIG_UBIFS_FS_${c%%:*}=y" "$ubifs_config"; then
			stack="$stack ${c#*:}"
		fi
	done
	: >"$stage/etc/muse-ubifs-modules"
	for mod in $stack ubifs; do
		add_module "$mod"
		[ "$added" = no ] || echo "$mod" >>"$stage/etc/muse-ubifs-modules"
	done
fi

for ko in $kos; do
	[ -f "$ko" ] || die "--ko $ko: not found"
	# A module built for another kernel would only fail in the guest.
	vermagic=$(modinfo -F vermagic "$ko")
	case "$vermagic" in
	"$kver "*) ;;
	*) die "--ko $ko is built for '${vermagic%% *}', the image is for $kver (set -Dkdir=)" ;;
	esac
	# Named after the module, not the file (the vm suite builds one
	# muse-<kernel>.ko per kernel).
	name=$(modinfo -F name "$ko")
	[ -n "$name" ] || die "--ko $ko: no module name in its modinfo"
	mkdir -p "$stage/lib/modules/$kver/extra"
	cp "$ko" "$stage/lib/modules/$kver/extra/$name.ko"
	deps=$(modinfo -F depends "$ko")
	for dep in $(echo "$deps" | tr ',' ' '); do
		add_module "$dep"
	done
	echo "module $name" >>"$manifest"
done

for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -f "$moddir/$f" ] && cp "$moddir/$f" "$stage/lib/modules/$kver/"
done
depmod -b "$stage" "$kver" || die "depmod failed"

cp "$here/guest-init.sh" "$stage/init"
chmod 755 "$stage/init"
for dir in "$here/scenarios" $scendirs; do
	[ -d "$dir" ] || die "--scenarios $dir: not a directory"
	for s in "$dir"/*.sh; do
		[ -f "$s" ] && cp "$s" "$stage/scenarios/"
	done
done
chmod 755 "$stage"/scenarios/*.sh

mkdir -p "$(dirname "$out")"
# Two steps, so that a failing cpio is not hidden by the pipe into gzip.
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$stage.cpio" ||
	die "cpio failed"
gzip -1 <"$stage.cpio" >"$out.tmp" || die "gzip failed"
mv "$out.tmp" "$out"
