#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Kernel coding style of the module: checkpatch.pl --strict over kmod/.
# checkpatch comes from Debian's linux-source-6.1 (the headers package does
# not ship it), which FETCH_KERNEL (tests/kernels/fetch-kernel.sh) keeps in
# the kernel cache: only the script and its word lists are unpacked.
#   checkpatch.sh FETCH_KERNEL FILE...
set -eu
fetch=$1
shift
if ! source=$("$fetch" source-6.1); then
	echo "SKIP: linux-source-6.1 is not in the kernel cache and could not be fetched"
	exit 77
fi
tarball=$source/linux-source.tar.xz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One pass over the tarball, whatever its top directory is called.
tar -xJf "$tarball" -C "$work" --wildcards '*/scripts/checkpatch.pl' \
	'*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
checkpatch=$(find "$work" -path '*/scripts/checkpatch.pl')
perl "$checkpatch" --no-tree --strict --terse \
	--show-types -f "$@" > "$work/report" || true
cat "$work/report"
# Files are checked one by one; any line naming a file is a finding.
if grep -q ':[0-9]*: ' "$work/report"; then
	echo "checkpatch: findings above"
	exit 1
fi
echo "checkpatch: clean ($# files)"
