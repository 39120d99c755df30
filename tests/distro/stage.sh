#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's commands on a fresh Debian root of another release: build
# the root with `debootstrap --variant=minbase SUITE` (cached per machine),
# copy the project's work tree in (no build trees), and run there, as root in a
# chroot, `scripts/install-deps` and then `scripts/run-tests ARGS...`.
#
#   tests/distro/stage.sh SUITE OUTDIR [RUN-TESTS-ARGS...]
#   tests/distro/stage.sh --prepare SUITE OUTDIR
#
# --prepare only makes the cached root (below) when it is missing and runs
# no test: run-tests starts it in the background at its beginning, so that
# a cold machine's debootstrap and package downloads overlap the host's
# build and tests; the stage proper then waits for it on the stage's lock
# and starts from the root it left.
#
# OUTDIR receives the run's meson testlog.json files (NAME.testlog.json)
# so that the caller counts them.  A failure before the tests (debootstrap,
# install-deps, the build) adds a failing entry there too: a broken stage
# is a failed test, never a silent zero.  The output of the run inside is
# printed with a "[SUITE] " prefix.  Exit status: that of the run inside,
# or 1 when the stage itself failed.
#
# Cache, under $MUSE_DISTRO_CACHE (default /var/cache/libmuse)/distro-SUITE:
#   base.tar          the fresh debootstrap root (debootstrap takes minutes)
#   deps-HASH.tar     that root after scripts/install-deps, HASH being the
#                     script's sha256: the package installation is the
#                     longest step, and a changed install-deps is proven on
#                     a fresh root again since its hash changes
#   var-cache-libmuse the root's /var/cache/libmuse (kernels fetched by
#                     tests/kernels/), kept across runs like a machine's
# Delete the directory to start from scratch.  The root itself is scratch
# (/var/tmp/libmuse-distro-SUITE/root), rebuilt from the tarball on every
# run and deleted at the end.
#
# All mounts are made in a private mount namespace (unshare): they vanish
# with this script even if it is killed; the EXIT trap unmounts them before
# the root is deleted anyway.
set -eu

die() { echo "distro stage: $*" >&2; exit 1; }

prepare=false
[ "${1:-}" != --prepare ] || { prepare=true; shift; }
[ $# -ge 2 ] || die "usage: tests/distro/stage.sh [--prepare] SUITE OUTDIR [RUN-TESTS-ARGS...]"
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount)"

if [ -z "${MUSE_DISTRO_NS:-}" ]; then
	if $prepare; then set -- --prepare "$@"; fi
	MUSE_DISTRO_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

suite=$1 out=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${MUSE_DISTRO_CACHE:-/var/cache/libmuse}/distro-$suite
work=/var/tmp/libmuse-distro-$suite
root=$work/root
log() { echo "[$suite] stage: $*"; }

mkdir -p "$out" "$cache/var-cache-libmuse"
rm -f "$out"/*.testlog.json
out=$(cd "$out" && pwd)

# A failure outside the tests becomes one failing test in OUTDIR.
step=setup
fail_entry() {
	printf '{"name": "%s stage: %s", "result": "ERROR"}\n' "$suite" "$step" \
		> "$out/stage.testlog.json"
}

# One stage per suite at a time on a machine: they share the work path.
exec 9>"$cache.lock"
flock 9

# Everything mounted under the work directory: the root's mounts, and
# those of an interrupted debootstrap.
mounts() {
	awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo
}
unmount_all() {
	# Deepest first; the namespace is private, so nothing reaches the host.
	mounts | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
}
cleanup() {
	rc=$?
	unmount_all
	if [ -n "$(mounts)" ]; then
		echo "distro stage: mounts left under $work, not deleting it" >&2
	else
		s=$(date +%s)
		rm -rf --one-file-system "$work"
		log "removed the root in $(($(date +%s) - s)) s"
	fi
	[ "$rc" -eq 0 ] || [ -f "$out/stage.testlog.json" ] ||
		ls "$out"/*.testlog.json >/dev/null 2>&1 || fail_entry
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mount_all() {
	# The root a mount of its own: in a chroot whose / is no mount point
	# `unshare -m` cannot make / private, and tests that need a private
	# mount namespace (packaging's udev-by-name) would have to skip.
	mount --bind "$root" "$root"
	mount -t proc proc "$root/proc"
	mount --rbind /sys "$root/sys"
	mount --rbind /dev "$root/dev"
	mkdir -p "$root/var/cache/libmuse"
	mount --bind "$cache/var-cache-libmuse" "$root/var/cache/libmuse"
}

# in_root COMMAND: run a shell command in the root, as a fresh login of
# root would (no variables of this machine but the proxy and CI ones).
in_root() {
	chroot "$root" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb ${CI:+CI="$CI"} \
		${http_proxy:+http_proxy="$http_proxy"} \
		${https_proxy:+https_proxy="$https_proxy"} \
		${no_proxy:+no_proxy="$no_proxy"} \
		sh -c "cd /src/libmuse && $1"
}

# Prefix the output of COMMAND... with the suite; keep its exit status.
prefixed() {
	{
		prc=0
		"$@" 2>&1 || prc=$?
		echo "$prc" > "$work/rc"
	} | sed -u "s/^/[$suite] /"
	return "$(cat "$work/rc")"
}

t0=$(date +%s)
unmount_all
rm -rf --one-file-system "$work"
mkdir -p "$root"

deps_tar="$cache/deps-$(sha256sum "$top/scripts/install-deps" | cut -c1-16).tar"
if $prepare && [ -f "$deps_tar" ]; then
	log "prepare: $deps_tar is there already"
	exit 0
fi
if [ -f "$deps_tar" ]; then
	log "root from $deps_tar"
	tar -C "$root" -xf "$deps_tar"
	fresh=false
else
	if [ ! -f "$cache/base.tar" ]; then
		step=debootstrap
		log "debootstrap --variant=minbase $suite (once per machine)"
		s=$(date +%s)
		prefixed debootstrap --variant=minbase "$suite" "$work/bootstrap" ||
			die "debootstrap failed"
		tar -C "$work/bootstrap" -cf "$cache/base.tar.tmp" .
		mv "$cache/base.tar.tmp" "$cache/base.tar"
		rm -rf --one-file-system "$work/bootstrap"
		log "debootstrap: $(($(date +%s) - s)) s"
	fi
	log "root from $cache/base.tar"
	tar -C "$root" -xf "$cache/base.tar"
	fresh=true
fi
# Services must not start in the root (invoke-rc.d honours policy-rc.d),
# and apt needs this machine's name resolution.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"

step="copying the tree"
mkdir -p "$root/src/libmuse"
# The work tree as git sees it: tracked files and untracked ones that are
# not ignored (so the same tree as the host's build), no build trees.  A
# tracked file deleted in the work tree is left out with a warning.
git -C "$top" ls-files -z --cached --others --exclude-standard |
	tar -C "$top" --null -T - --ignore-failed-read -cf - |
	tar -C "$root/src/libmuse" -xf -
log "root ready in $(($(date +%s) - t0)) s"

mount_all
if $fresh; then
	step=install-deps
	s=$(date +%s)
	prefixed in_root scripts/install-deps || die "install-deps failed"
	log "install-deps: $(($(date +%s) - s)) s"
	# Snapshot the installed root without the mounts, the tree and the
	# downloaded .debs.
	in_root "apt-get clean"
	unmount_all
	s=$(date +%s)
	rm -f "$cache"/deps-*.tar
	tar -C "$root" --exclude=./src/libmuse -cf "$deps_tar.tmp" .
	mv "$deps_tar.tmp" "$deps_tar"
	log "cached the installed root as $deps_tar in $(($(date +%s) - s)) s"
	if $prepare; then
		log "prepare: done in $(($(date +%s) - t0)) s"
		exit 0
	fi
	mount_all
fi

step="scripts/run-tests $*"
s=$(date +%s)
rc=0
prefixed in_root "scripts/run-tests $*" || rc=$?
log "run-tests: $(($(date +%s) - s)) s, exit $rc"
for tree in build build-asan; do
	log_file="$root/src/libmuse/$tree/meson-logs/testlog.json"
	[ -f "$log_file" ] && cp "$log_file" "$out/$tree.testlog.json"
done
# A run that failed with no failed test in its logs failed before or
# outside them (configure, build).
if [ "$rc" -ne 0 ] && ! cat "$out"/*.testlog.json 2>/dev/null |
	grep -o '"result": *"[A-Z]*"' | grep -vqE '"(OK|SKIP|EXPECTEDFAIL)"'; then
	fail_entry
fi
log "total: $(($(date +%s) - t0)) s"
exit "$rc"
