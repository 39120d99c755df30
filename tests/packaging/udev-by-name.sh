#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The /dev/mtd/by-name rule of debian/muse-dkms.muse.udev, judged by the
# real udev: `udevadm test` on MTD devices faked in a private mount
# namespace (tmpfs on /sys and /run; $SYSTEMD_DEVICE_VERIFY_SYSFS=0 lets
# sd-device read a sysfs that is not one).  Names with a space and a
# slash become one path component, mtdNro and an MTD without a name get
# no link, and the rule makes nothing else.  The system's rules are hidden
# (doc/kmod.md: systemd's own by-name rule on Debian 13).
#
#   udev-by-name.sh RULES
#
# udevadm comes from PATH or, not installed, from the udev package in
# apt's cache (unpacked, not installed).  Exit 77 (skip) without either,
# or without the root needed for the namespace.
set -eu

rules=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

udevadm=$(command -v udevadm || true)
if [ -z "$udevadm" ]; then
	deb=$(ls /var/cache/apt/archives/udev_*.deb 2>/dev/null | tail -n 1)
	[ -n "$deb" ] || { echo "SKIP: no udevadm and no udev package in apt's cache"; exit 77; }
	dpkg-deb -x "$deb" "$work/udev"
	udevadm=$work/udev/bin/udevadm
	[ -x "$udevadm" ] || udevadm=$work/udev/usr/bin/udevadm
fi
[ "$(id -u)" = 0 ] || { echo "SKIP: a mount namespace needs root"; exit 77; }
unshare -m true 2>/dev/null || {
	echo "SKIP: no private mount namespace here (in a chroot, / must be a mount point)"
	exit 77
}

# links KERNEL [NAME]: the DEVLINKS udev gives a faked MTD device
# (udev 252 prints the properties flush left, 257 indents them).
links() {
	unshare -m sh -eu -c '
		mount -t tmpfs none /sys
		mount -t tmpfs none /run
		# Our rule alone: systemd 254 and later (Debian 13) ship
		# their own by-name rule (60-persistent-storage-mtd.rules).
		for r in /usr/lib/udev/rules.d /lib/udev/rules.d /etc/udev/rules.d; do
			[ ! -d "$r" ] || mount -t tmpfs none "$r"
		done
		mkdir -p /run/udev/rules.d /sys/class/mtd "/sys/devices/virtual/mtd/$2"
		cp "$1" /run/udev/rules.d/60-muse.rules
		d=/sys/devices/virtual/mtd/$2
		printf "MAJOR=90\nMINOR=2\nDEVNAME=%s\n" "$2" >"$d/uevent"
		printf "90:2\n" >"$d/dev"
		[ $# -lt 4 ] || printf "%s\n" "$4" >"$d/name"
		ln -s ../../../../class/mtd "$d/subsystem"
		ln -s "../../devices/virtual/mtd/$2" "/sys/class/mtd/$2"
		SYSTEMD_DEVICE_VERIFY_SYSFS=0 "$3" test --action add \
			"/sys/class/mtd/$2" 2>/dev/null |
			sed -n "s/^[[:space:]]*DEVLINKS=//p"
	' links "$rules" "$1" "$udevadm" ${2+"$2"}
}

fails=0
# expect KERNEL NAME|- WANT: "-" for no name attribute.
expect() {
	if [ "$2" = - ]; then got=$(links "$1"); else got=$(links "$1" "$2"); fi
	if [ "$got" = "$3" ]; then
		echo "ok: $1 '$2' -> '$3'"
	else
		echo "FAIL: $1 '$2': links '$got', want '$3'"
		fails=$((fails + 1))
	fi
}

expect mtd1 ubi /dev/mtd/by-name/ubi
expect mtd2 "boot loader" /dev/mtd/by-name/boot_loader
expect mtd3 "a/b c" /dev/mtd/by-name/a_b_c
expect mtd4 "x*y" /dev/mtd/by-name/x_y
expect mtd1ro ubi ""
expect mtd5 - ""
[ "$fails" = 0 ]
