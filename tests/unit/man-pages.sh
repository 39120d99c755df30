#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The manual pages as installed: every symbol src/libmuse.map exports, and
# every function the test kit's header declares, has a section 3 page, or
# is named in the NAME section of the page its own page includes (".so",
# as for muse_reply_*); every page of the project says the project's
# version; and groff renders each without a warning.
#
# Usage: man-pages.sh BUILD_DIR MAP VERSION KIT_HEADER
set -eu

build=$1
map=$2
version=$3
kit_header=$4

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

if ! meson install -C "$build" --no-rebuild --destdir "$root" \
	--tags man >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	exit 1
fi
man3=$(find "$root" -type d -path '*/man/man3' | head -n 1)
[ -n "$man3" ] || { echo "no section 3 manual pages were installed"; exit 1; }

# The NAME line(s) of a page: between ".SH NAME" and the next ".SH".
name_section() {
	sed -n '/^\.SH NAME/,/^\.SH/{/^\.SH/!p;}' "$1"
}

fail=0
# The kit's declarations: "muse_test_x(" outside comments.
kit_functions=$(grep -v '^ \*' "$kit_header" |
	grep -oE '\bmuse_test_[a-z0-9_]+\(' | tr -d '(' | sort -u)
[ -n "$kit_functions" ] || { echo "no functions found in $kit_header"; exit 1; }
for sym in $(sed -n 's/^[[:space:]]*\(muse_[a-z0-9_]*\);.*/\1/p' "$map") \
	$kit_functions; do
	page=$man3/$sym.3
	if [ ! -f "$page" ]; then
		echo "$sym: exported or declared, but no manual page $sym.3"
		fail=1
		continue
	fi
	target=$(sed -n 's|^\.so man3/||p' "$page")
	if [ -n "$target" ]; then
		page=$man3/$target
		[ -f "$page" ] || {
			echo "$sym.3 includes $target, which is not installed"
			fail=1
			continue
		}
	fi
	if ! name_section "$page" | grep -qw "$sym"; then
		echo "$sym: ${page##*/} does not name it in NAME"
		fail=1
	fi
done
[ -f "$man3/libmuse.3" ] || { echo "no libmuse(3) overview page"; fail=1; }

for page in $(find "$root" -path '*/man/man*' -type f | sort); do
	grep -q '^\.so ' "$page" && continue
	th=$(grep -m1 '^\.TH ' "$page")
	case $th in
	*"\"libmuse $version\""*) ;;
	*) echo "${page##*/}: $th (not libmuse $version)"; fail=1 ;;
	esac
	if command -v groff >/dev/null 2>&1; then
		warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)
		if [ -n "$warnings" ]; then
			echo "${page##*/}: groff warns:"
			echo "$warnings"
			fail=1
		fi
	fi
done
[ "$fail" -eq 0 ] || exit 1
echo "man pages ok: $(find "$man3" -name 'muse_*.3' | wc -l) pages for the map's symbols and the kit's functions, version $version"
