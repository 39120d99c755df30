#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Debian packages of debian/, as a user gets them: `dpkg-buildpackage
# -b -us -uc` in a copy of the source tree, then
#   - each package holds what it should (dpkg-deb -c/-I), and libmuse1's
#     symbols are those of src/libmuse.map;
#   - lintian has no error and no warning that debian/ does not override;
#   - a downstream program builds against the unpacked libmuse-dev and
#     libmuse1 with pkg-config alone, and runs; so does the test kit's
#     example, a downstream CMocka test of a simulator;
#   - DKMS builds the unpacked muse-dkms source for a Debian kernel's
#     headers from the kernel cache: the first kernel this host tests
#     (`fetch-kernel.sh --list`: 6.1 on Debian 12, 6.12 on Debian 13,
#     whose kbuild tools cannot run those of 6.1, as in the kmod suite).
# Prints the seconds of each stage.
#
#   deb-test.sh SRCDIR FETCH_KERNEL DKMS_BUILD DOWNSTREAM_C LIBMUSE_MAP
set -eu

[ $# -eq 5 ] || { echo "usage: $0 SRCDIR FETCH_KERNEL DKMS_BUILD DOWNSTREAM_C LIBMUSE_MAP" >&2; exit 2; }
src=$1 fetch_kernel=$2 dkms_build=$3 downstream=$4 map=$5

# Only the package build tools are a reason to skip: scripts/install-deps
# installs them, and everything else this needs with them.
for tool in dpkg-buildpackage dh; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool not installed (apt-get install dpkg-dev debhelper)"
		exit 77
	fi
done

fail() { echo "FAIL: $*"; exit 1; }

# stage NAME: print how long the previous stage took, start NAME.
stage_name='' stage_start=0
stage() {
	now=$(date +%s)
	[ -z "$stage_name" ] || echo "== $stage_name: $((now - stage_start)) s"
	stage_name=$1 stage_start=$now
	[ -z "$stage_name" ] || echo "== $stage_name"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

stage "copy the tree"
# As tests/distro/stage.sh copies it: what git tracks or does not ignore
# (no build trees).  A tree that is no git work tree (such a copy) is taken
# whole but for build trees by their usual names.
mkdir "$work/src"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		tar -C "$src" --null -T - --ignore-failed-read -cf -
else
	tar -C "$src" --exclude='./build' --exclude='./build-*' \
		--exclude='./obj-*' -cf - .
fi | tar -C "$work/src" -xf -

stage "dpkg-buildpackage -b"
# The README's command, with its build-time unit suite (nocheck saves
# only seconds); two jobs, as every build of the test run.
if ! (cd "$work/src" && DEB_BUILD_OPTIONS=parallel=2 \
	dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1; then
	tail -n 50 "$work/build.log"
	fail "dpkg-buildpackage"
fi
version=$(cd "$work/src" && dpkg-parsechangelog -S Version)
upstream=${version%-*}
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
deb() {
	f=$work/${1}_${version}_$2.deb
	[ -f "$f" ] || fail "no $f"
	echo "$f"
}
libmuse1=$(deb libmuse1 "$arch")
libmuse_dev=$(deb libmuse-dev "$arch")
muse_dkms=$(deb muse-dkms all)
ramflash=$(deb ramflash "$arch")

stage "contents"
# has DEB ENTRY...: each ENTRY (a path as dpkg-deb -c prints it, "./usr/...",
# or "LINK -> TARGET") is in DEB.
has() {
	f=$1
	shift
	dpkg-deb -c "$f" | awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' \
		>"$work/list"
	for entry; do
		grep -qxF "$entry" "$work/list" || fail "$(basename "$f") lacks $entry"
	done
}
lib=./usr/lib/$multiarch
has "$libmuse1" "$lib/libmuse.so.$upstream" "$lib/libmuse.so.1 -> libmuse.so.$upstream"
has "$libmuse_dev" ./usr/include/muse/muse.h ./usr/include/muse/muse_kernel.h \
	"$lib/libmuse.so -> libmuse.so.1" "$lib/libmuse.a" "$lib/pkgconfig/libmuse.pc" \
	./usr/share/man/man3/libmuse.3.gz ./usr/share/man/man3/muse_session_new.3.gz \
	./usr/include/muse/testing.h "$lib/libmuse-testing.a" \
	"$lib/pkgconfig/libmuse-testing.pc"
has "$ramflash" ./usr/bin/ramflash ./usr/share/man/man1/ramflash.1.gz \
	./usr/bin/ramflash-trace ./usr/share/man/man1/ramflash-trace.1.gz
dkms_src=./usr/src/muse-$upstream
has "$muse_dkms" "$dkms_src/dkms.conf" "$dkms_src/Makefile" "$dkms_src/Kbuild" \
	"$dkms_src/include/muse/muse_kernel.h"
# The udev rule, in the listing has just made: /lib on Debian 12 (its
# debhelper keeps the aliased directories), /usr/lib where debhelper moved
# to /usr.
rules=$(grep -xE '\./(usr/)?lib/udev/rules\.d/60-muse\.rules' "$work/list") ||
	fail "muse-dkms has no udev/rules.d/60-muse.rules"

dpkg-deb -x "$muse_dkms" "$work/dkms-root"
grep -qx "PACKAGE_VERSION=\"$upstream\"" "$work/dkms-root/$dkms_src/dkms.conf" ||
	fail "dkms.conf's PACKAGE_VERSION is not \"$upstream\""
grep -q '^KERNEL=="muse".*MODE="0600"' "$work/dkms-root/$rules" ||
	fail "$rules does not make /dev/muse mode 0600"
grep -q 'SYMLINK+="mtd/by-name/' "$work/dkms-root/$rules" ||
	fail "$rules does not make /dev/mtd/by-name links"
has "$muse_dkms" ./usr/lib/modules-load.d/muse.conf
grep -qx muse "$work/dkms-root/usr/lib/modules-load.d/muse.conf" ||
	fail "muse-dkms's modules-load.d/muse.conf does not load muse"
dpkg-deb -I "$muse_dkms" postinst | grep -qx 'DKMS_NAME=muse' ||
	fail "muse-dkms's postinst does not register muse with DKMS"

# libmuse1's symbols file: the map's symbols, each under its node.
awk '/^[A-Z0-9_.]+ \{/ { node = $1 }
	/^[[:space:]]+[a-z_][a-z0-9_]*;/ { sub(/;/, ""); print $1 "@" node }' \
	"$map" | sort >"$work/map.syms"
dpkg-deb -I "$libmuse1" symbols |
	awk '/^ / && $1 !~ /^LIBMUSE_/ { print $1 }' | sort >"$work/deb.syms"
diff -u "$work/map.syms" "$work/deb.syms" ||
	fail "libmuse1's symbols differ from $map (- map, + package)"
echo "packages: the expected files, $(wc -l <"$work/deb.syms") symbols as in the map"

stage "lintian"
if ! lintian --fail-on error,warning "$work/libmuse_${version}_$arch.changes" \
	>"$work/lintian.log" 2>&1; then
	cat "$work/lintian.log"
	fail "lintian"
fi
echo "lintian: no error or warning left (overrides in debian/*.lintian-overrides)"

stage "downstream program"
dpkg-deb -x "$libmuse1" "$work/root"
dpkg-deb -x "$libmuse_dev" "$work/root"
# pkg-config sees the unpacked tree only, and prefixes its paths with it.
export PKG_CONFIG_LIBDIR="$work/root/usr/lib/$multiarch/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$work/root"
# shellcheck disable=SC2046 # word splitting of pkg-config output is wanted
cc $(pkg-config --cflags libmuse) -o "$work/downstream" "$downstream" \
	$(pkg-config --libs libmuse)
LD_LIBRARY_PATH="$work/root/usr/lib/$multiarch" "$work/downstream"
# The test kit's example as the package ships it (dh_compress may have
# compressed it), with cmocka from the system.
example=$work/root/usr/share/doc/libmuse-dev/examples/test-nor-sim.c
[ -f "$example" ] || { gzip -dc "$example.gz" >"$work/test-nor-sim.c" &&
	example=$work/test-nor-sim.c; } ||
	fail "libmuse-dev lacks examples/test-nor-sim.c"
# shellcheck disable=SC2046 # word splitting of pkg-config output is wanted
cc -o "$work/test-nor-sim" "$example" \
	$(pkg-config --cflags --libs libmuse-testing) -lcmocka ||
	fail "the test kit's example does not build from the package"
LD_LIBRARY_PATH="$work/root/usr/lib/$multiarch" "$work/test-nor-sim" \
	>"$work/test-nor-sim.log" 2>&1 || {
	cat "$work/test-nor-sim.log"
	fail "the test kit's example failed"
}

stage "dkms build"
spec=$("$fetch_kernel" --list | cut -d' ' -f1)
kcache=$("$fetch_kernel" "$spec") || fail "kernel $spec could not be fetched"
"$dkms_build" --sources "$work/dkms-root/usr/src" "$kcache/kdir" ||
	fail "dkms build of the packaged source for kernel $spec"

stage ""
echo "deb test ok: the packages of libmuse $version"
