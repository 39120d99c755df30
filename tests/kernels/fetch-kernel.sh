#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Fetch a Debian kernel from the archive into a per-machine cache, without
# installing anything on the host: no package is installed, nothing lands in
# /boot, the host's apt sources and state are not read or changed.
#
#   fetch-kernel.sh [--cached] SPEC     print the cache directory of SPEC
#   fetch-kernel.sh --list              the image SPECs of this host
#
# SPEC is one of
#   6.1, 6.12     a kernel image with its headers, for this host's release
#                 (VERSION_CODENAME in /etc/os-release): on bookworm 6.1 from
#                 bookworm(-security) and 6.12 from bookworm-backports; on
#                 trixie 6.12 from trixie(-security).  The headers come from
#                 the host's release so that their kbuild tools run on its
#                 libc and its compiler builds modules for them.
#   source-6.1    linux-source-6.1 from bookworm(-security)
#   source-7      the newest linux-source-7.* from trixie-backports
# --cached       use only what is in the cache (no network); fail if absent
#
# An image directory holds the unpacked packages (boot/, lib/modules/ or
# usr/lib/modules/, usr/src/linux-headers-*, usr/lib/linux-kbuild-*) and
#   bzImage   the kernel          modules  its lib/modules/<release>
#   config    its .config         kdir     the headers: make -C kdir M=DIR
#   release   its release string  package  "name version" of the image
# A source directory holds linux-source.tar.xz, package, and series (X.Y);
# both have spec (the SPEC they were fetched for).
#
# The cache is $MUSE_KERNEL_CACHE (default /var/cache/libmuse).  Each
# directory is keyed by the package version and unpacked once; a newer
# package in the archive replaces it.  The private apt lists are refreshed
# at most once a day, so a warm cache needs no network.
set -eu

cache=${MUSE_KERNEL_CACHE:-/var/cache/libmuse}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mirror=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security

die() { echo "fetch-kernel.sh: $*" >&2; exit 1; }
log() { echo "fetch-kernel.sh: $*" >&2; }

usage() {
	sed -n '9,19p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

# The image SPECs this host tests on.
host_specs() {
	case "$codename" in
	bookworm) echo "6.1 6.12" ;;
	trixie) echo "6.12" ;;
	*) die "no kernel list for host release '$codename' (Debian bookworm or trixie)" ;;
	esac
}

cached=no
case "${1:-}" in
--list) [ $# -eq 1 ] || usage; host_specs; exit 0 ;;
--cached) cached=yes; shift ;;
-*|"") usage ;;
esac
[ $# -eq 1 ] || usage
spec=$1

# What to fetch: the repository set (one private apt configuration each)
# and the package, as an extended regular expression over package names
# (the newest version among the matches wins).
case "$spec:$codename" in
6.1:bookworm) repo=bookworm pattern='linux-image-6\.1\.0-[0-9]+-amd64' ;;
6.12:bookworm) repo=bookworm-backports pattern='linux-image-6\.12\.[0-9]+\+deb12-amd64' ;;
6.12:trixie) repo=trixie pattern='linux-image-6\.12\.[0-9]+\+deb13-amd64' ;;
source-6.1:*) repo=bookworm pattern='linux-source-6\.1' ;;
source-7:*) repo=trixie-backports pattern='linux-source-7\.[0-9]+' ;;
6.1:*|6.12:*) die "kernel $spec is not tested on host release '$codename' (this host's: $(host_specs))" ;;
*) die "unknown SPEC '$spec' (6.1, 6.12, source-6.1, source-7)" ;;
esac

# Which version of SPEC the cache holds: current-SPEC names its directory.
pointer=$cache/current-$spec
current() {
	[ -f "$pointer" ] || return 1
	d=$cache/$(cat "$pointer")
	[ -f "$d/complete" ] || return 1
	echo "$d"
}

if [ "$cached" = yes ]; then
	current || die "kernel $spec is not in $cache (fetch it: tests/kernels/fetch-kernel.sh $spec, or configure the suite enabled)"
	exit 0
fi

# Private apt configuration of one repository set under $cache/apt/REPO.
aptdir=$cache/apt/$repo
apt() {
	tool=$1
	shift
	"$tool" -q -o Dir::Etc::SourceList="$aptdir/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::Etc::Preferences=/dev/null \
		-o Dir::Etc::PreferencesParts=/dev/null \
		-o Dir::State::Lists="$aptdir/lists" \
		-o Dir::State::status=/dev/null \
		-o Dir::Cache="$aptdir/cache" \
		-o APT::Architectures=amd64 \
		-o Acquire::Languages=none \
		-o APT::Sandbox::User=root "$@"
}

# A warm cache whose lists are less than a day old: no network at all.
stamp=$aptdir/updated
if d=$(current) && [ -n "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
	echo "$d"
	exit 0
fi

mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
# One fetch at a time per cache: meson runs tests in parallel, and apt's
# own lock would make the second one fail instead of wait.
exec 9>"$cache/fetch.lock"
flock 9

if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
	case "$repo" in
	*-backports) suites=$repo ;;
	*) suites="$repo $repo-updates" ;;
	esac
	: >"$aptdir/sources.list"
	for s in $suites; do
		echo "deb [signed-by=$keyring] $mirror $s main" >>"$aptdir/sources.list"
	done
	case "$repo" in
	*-backports) ;;
	*) echo "deb [signed-by=$keyring] $security $repo-security main" >>"$aptdir/sources.list" ;;
	esac
	log "updating the package lists of $repo"
	if apt apt-get update >"$aptdir/update.log" 2>&1 &&
		! grep -q '^\(W\|E\):' "$aptdir/update.log"; then
		touch "$stamp"
	elif d=$(current); then
		# Offline with a complete cache: use what we have.
		log "apt-get update of $repo failed, using the cached $d:"
		sed 's/^/  /' "$aptdir/update.log" >&2
		echo "$d"
		exit 0
	else
		sed 's/^/  /' "$aptdir/update.log" >&2
		die "apt-get update of $repo failed and kernel $spec is not cached"
	fi
fi

# The newest package matching the pattern.
name='' version=''
for n in $(apt apt-cache pkgnames "$(echo "$pattern" | sed 's/[\\[].*//')" |
	grep -Ex "$pattern"); do
	v=$(apt apt-cache show --no-all-versions "$n" | sed -n 's/^Version: //p')
	[ -n "$v" ] || continue
	if [ -z "$version" ] || dpkg --compare-versions "$v" gt "$version"; then
		name=$n version=$v
	fi
done
[ -n "$name" ] || die "no package matching '$pattern' in $repo"

case "$spec" in
source-*) key=source-${name}_$version ;;
*) key=image-${name}_$version ;;
esac
dir=$cache/$key
if [ -f "$dir/complete" ]; then
	echo "$key" >"$pointer"
	echo "$dir"
	exit 0
fi

# Download into a scratch directory, unpack, then move into place: a
# directory with "complete" in it is whole.
tmp=$cache/$key.tmp
rm -rf "$tmp"
mkdir -p "$tmp/debs" "$tmp/root"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)

download() {
	log "downloading $*"
	(cd "$tmp/debs" && apt apt-get download "$@") >&2 ||
		die "apt-get download $* from $repo failed"
}

case "$spec" in
source-*)
	download "$name=$version"
	;;
*)
	headers=$(echo "$name" | sed 's/^linux-image-/linux-headers-/')
	download "$name=$version" "$headers=$version"
	# The headers package depends on its -common part and on the kbuild
	# tools; all come from the same source package, hence one version.
	deps=$(dpkg-deb -f "$tmp"/debs/"$headers"_*.deb Depends | tr ',|' '\n\n' |
		sed -n "s/^ *\(linux-\(headers-[^ ]*-common\|kbuild-[^ ]*\)\).*/\1=$version/p" | sort -u)
	[ "$(echo "$deps" | wc -w)" -eq 2 ] ||
		die "$headers: expected a -common and a kbuild dependency, got: $deps"
	# shellcheck disable=SC2086 # two words
	download $deps
	;;
esac

for deb in "$tmp"/debs/*.deb; do
	dpkg-deb -x "$deb" "$tmp/root" || die "dpkg-deb -x $deb failed"
done
root=$tmp/root

case "$spec" in
source-*)
	tarball=$(ls "$root"/usr/src/linux-source-*.tar.xz 2>/dev/null | head -n 1)
	[ -n "$tarball" ] || die "$name has no /usr/src/linux-source-*.tar.xz"
	ln -s "${tarball#"$tmp"/}" "$tmp/linux-source.tar.xz"
	echo "${name#linux-source-}" >"$tmp/series"
	;;
*)
	image=$(ls "$root"/boot/vmlinuz-* 2>/dev/null | head -n 1)
	[ -n "$image" ] || die "$name has no /boot/vmlinuz-*"
	release=${image##*/vmlinuz-}
	# Newer packages keep the modules under /usr (merged-/usr); depmod
	# looks under lib/modules of its base directory.
	if [ ! -d "$root/lib/modules" ] && [ -d "$root/usr/lib/modules" ]; then
		ln -s usr/lib "$root/lib"
	fi
	moddir=lib/modules/$release
	[ -f "$root/$moddir/modules.order" ] || die "$name has no /$moddir/modules.order"
	# The package leaves modules.dep to depmod at installation.
	PATH=$PATH:/sbin:/usr/sbin depmod -b "$root" "$release" ||
		die "depmod for $release failed"
	kdir=usr/src/linux-headers-$release
	[ -f "$root/$kdir/Makefile" ] || die "$headers has no /$kdir/Makefile"
	# The packages point into / (the headers' Makefile includes the
	# -common one by absolute path, lib/modules/<release>/build is an
	# absolute symlink): point them into the cache instead.  The final
	# location is $dir, so rewrite for that.
	for f in $(grep -rl '/usr/src/linux-headers-\|/usr/lib/linux-kbuild-' \
		"$root/$kdir/Makefile" "$root"/usr/src/linux-headers-*/.kernelvariables 2>/dev/null); do
		sed -i "s#\([ =]\)/usr/\(src/linux-headers-\|lib/linux-kbuild-\)#\1$dir/root/usr/\2#g" "$f"
	done
	find "$root" -type l | while IFS= read -r link; do
		target=$(readlink "$link")
		case "$target" in
		/*) if [ -e "$root$target" ]; then ln -sfn "$dir/root$target" "$link"; fi ;;
		esac
	done
	ln -s "${image#"$tmp"/}" "$tmp/bzImage"
	ln -s "root/$moddir" "$tmp/modules"
	ln -s "root/$kdir" "$tmp/kdir"
	ln -s "root/boot/config-$release" "$tmp/config"
	echo "$release" >"$tmp/release"
	;;
esac
echo "$name $version" >"$tmp/package"
echo "$spec" >"$tmp/spec"
rm -rf "$tmp/debs"
touch "$tmp/complete"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$key" >"$pointer.new"
mv "$pointer.new" "$pointer"

# The versions this one replaces are dead weight (hundreds of MiB each).
for old in "$cache"/image-* "$cache"/source-*; do
	if [ "$old" != "$dir" ] && [ "$(cat "$old/spec" 2>/dev/null)" = "$spec" ]; then
		rm -rf "$old"
	fi
done
log "$name $version unpacked into $dir in $(($(date +%s) - start)) s ($(du -sh "$dir" | cut -f1))"
echo "$dir"
