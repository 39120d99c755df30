#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The DKMS packaging works: install the sources the way `make dkms-install`
# does, into a scratch source and DKMS tree (nothing under /usr/src or
# /var/lib/dkms is touched), and have dkms build muse.ko for the kernel
# tree KDIR: an installed kernel's headers, a Debian headers package
# unpacked into the kernel cache, or a built kernel tree (dkms is pointed
# at it with --kernelsourcedir, so the kernel need not be installed).
# With --sources the sources are already installed in USR_SRC/muse-<version>
# (tests/packaging: the unpacked muse-dkms package).
#   dkms-build.sh KMOD_SRCDIR KDIR
#   dkms-build.sh --sources USR_SRC KDIR
set -eu
usage() { echo "usage: $0 KMOD_SRCDIR KDIR | --sources USR_SRC KDIR" >&2; exit 2; }
sources=''
case "$#:${1:-}" in
3:--sources) sources=$2 kdir=$3 ;;
2:-*) usage ;;
2:*) kmod=$1 kdir=$2 ;;
*) usage ;;
esac
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
if [ -z "$sources" ]; then
	sources=$work/usr/src
	make -s -C "$kmod" dkms-install DESTDIR="$work"
fi
# The version is the one dkms.conf was installed with.
set -- "$sources"/muse-*/dkms.conf
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
	echo "dkms-build.sh: not one $sources/muse-*/dkms.conf" >&2
	exit 1
fi
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$1")
dkms add -m muse -v "$version" --sourcetree "$sources" --dkmstree "$work/dkms"
dkms build -m muse -v "$version" -k "$release" --kernelsourcedir "$kdir" \
	--sourcetree "$sources" --dkmstree "$work/dkms"
ko=$(find "$work/dkms/muse/$version/$release" -name 'muse.ko*' | head -n 1)
if [ -z "$ko" ]; then
	echo "dkms: no muse.ko built"
	exit 1
fi
echo "dkms: built $(basename "$ko") for $release"
