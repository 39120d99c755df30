#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The DKMS packaging works: install the sources the way `make dkms-install`
# does, into a scratch source and DKMS tree (nothing under /usr/src or
# /var/lib/dkms is touched), and have dkms build muse.ko for the kernel
# tree KDIR: an installed kernel's headers, a Debian headers package
# unpacked into the kernel cache, or a built kernel tree (dkms is pointed
# at it with --kernelsourcedir, so the kernel need not be installed).
#   dkms-build.sh KMOD_SRCDIR KDIR
set -eu
[ $# -eq 2 ] || { echo "usage: $0 KMOD_SRCDIR KDIR" >&2; exit 2; }
kmod=$1 kdir=$2
if ! command -v dkms >/dev/null; then
	echo "SKIP: dkms is not installed"
	exit 77
fi
[ -f "$kdir/Makefile" ] || { echo "dkms-build.sh: $kdir: no kernel tree" >&2; exit 1; }
kdir=$(cd "$kdir" && pwd -P)
# Debian's header trees carry the upstream version in kernel.release, so
# take the release from the tree's name where it has one.
case "$kdir" in
*/linux-headers-*) release=${kdir##*/linux-headers-} ;;
*) release=$(cat "$kdir/include/config/kernel.release") ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/dkms"
version=$(sed -n 's/^MUSE_VERSION := //p' "$kmod/Makefile")
make -s -C "$kmod" dkms-install DESTDIR="$work"
dkms add -m muse -v "$version" --sourcetree "$work/usr/src" --dkmstree "$work/dkms"
dkms build -m muse -v "$version" -k "$release" --kernelsourcedir "$kdir" \
	--sourcetree "$work/usr/src" --dkmstree "$work/dkms"
ko=$(find "$work/dkms/muse/$version/$release" -name 'muse.ko*' | head -n 1)
if [ -z "$ko" ]; then
	echo "dkms: no muse.ko built"
	exit 1
fi
echo "dkms: built $(basename "$ko") for $release"
