#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Install the build into a scratch DESTDIR and build a downstream program
# with nothing but `pkg-config --cflags --libs libmuse`, as a packager or
# user would, and the downstream test of examples/testing with nothing but
# `pkg-config --cflags --libs libmuse-testing` and cmocka.  Also checks the ABI surface: the soname, and that the
# library exports exactly the symbols src/libmuse.map lists, each under its
# version node.
#
# Usage: install-test.sh BUILD_DIR CC MAP TEST_EXAMPLE [EXTRA_CFLAGS...]
set -eu

build=$1
cc=$2
map=$3
test_example=$4
shift 4

command -v pkg-config >/dev/null 2>&1 || { echo "no pkg-config"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

if ! meson install -C "$build" --no-rebuild --destdir "$root" \
	--tags devel,runtime >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	exit 1
fi

pc=$(find "$root" -name libmuse.pc | head -n 1)
[ -n "$pc" ] || { echo "libmuse.pc was not installed"; exit 1; }
export PKG_CONFIG_LIBDIR="${pc%/*}"
export PKG_CONFIG_SYSROOT_DIR="$root"

# shellcheck disable=SC2046 # word splitting of pkg-config output is wanted
"$cc" "$@" $(pkg-config --cflags libmuse) -o "$tmp/downstream" \
	"$(dirname "$0")/downstream.c" $(pkg-config --libs libmuse)

lib=$(find "$root" -name 'libmuse.so.1' | head -n 1)
[ -n "$lib" ] || { echo "libmuse.so.1 was not installed"; exit 1; }
LD_LIBRARY_PATH="${lib%/*}" "$tmp/downstream"

# shellcheck disable=SC2046 # word splitting of pkg-config output is wanted
"$cc" "$@" -o "$tmp/test-example" "$test_example" \
	$(pkg-config --cflags --libs libmuse-testing) -lcmocka
LD_LIBRARY_PATH="${lib%/*}" "$tmp/test-example" >"$tmp/test-example.log" 2>&1 || {
	cat "$tmp/test-example.log"
	echo "the installed test kit's example failed"
	exit 1
}

command -v readelf >/dev/null 2>&1 || { echo "no readelf"; exit 77; }
readelf -d "$lib" | grep -q 'SONAME.*\[libmuse\.so\.1\]' ||
	{ echo "soname is not libmuse.so.1"; exit 1; }

# The map's "name;" lines inside each "NODE {" block, as name@NODE.
sed -n -e '/^[A-Z0-9_.]* {/{s/ {.*//;h;}' \
	-e '/^[[:space:]]*[a-z_][a-z0-9_]*;/{s/[[:space:]]*//g;s/;//;G;s/\n/@/;p;}' \
	"$map" | sort >"$tmp/map.syms"
[ -s "$tmp/map.syms" ] || { echo "no symbols found in $map"; exit 1; }
# Every defined global or weak dynamic symbol with its version (@@ marks
# the default version); ABS entries are the version nodes themselves.
readelf --dyn-syms -W "$lib" |
	awk '$7 != "UND" && $7 != "ABS" && ($5 == "GLOBAL" || $5 == "WEAK") {
		print $8 }' |
	sed 's/@@*/@/' | sort >"$tmp/lib.syms"
if ! diff -u "$tmp/map.syms" "$tmp/lib.syms"; then
	echo "the exported symbols differ from $map (- map, + library)"
	exit 1
fi
echo "install test ok: $(wc -l <"$tmp/lib.syms") symbols as in the map"
