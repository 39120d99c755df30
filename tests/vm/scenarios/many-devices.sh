#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Eight ramflash servers in one guest (issue 10): SLC NAND, MLC NAND and NOR,
# three of them with partitions, each MTD carrying UBI + UBIFS, JFFS2 or
# (MLC, which UBI refuses and JFFS2 cannot program) raw erase/program
# traffic, all loaded at the same time.  Then every file and block is
# checked, the servers are stopped in random order, started again from
# their images, checked again, stopped in another random order, and the
# module must unload.  The harness fails the run on any kernel splat.
. /scenarios/lib.sh

require_bin ramflash
load_ubifs_stack
load_modules jffs2
load_muse

mkdir -p /flash
mount -t tmpfs -o size=256m tmpfs /flash

# The servers: name and options.  Partitions are registered as MTDs of
# their own names.
devices="n0 n1 n2 m0 m1 r0 r1 n3"
args_n0="--chip slc-32m"
args_n1="--chip slc-512m-4k --size 64MiB"
args_n2="--chip slc-8m --size 16MiB --partitions 4M(n2a),-(n2b)"
args_m0="--chip mlc-256m --size 32MiB"
args_m1="--chip mlc-256m --size 16MiB --partitions 8M(m1a),-(m1b)"
args_r0="--chip nor-16m"
args_r1="--chip nor-16m --size 8MiB --partitions 2M(r1a),-(r1b)"
args_n3="--chip slc-32m --size 16MiB --threads 4"
mtds_n2="n2a n2b"
mtds_m1="m1a m1b"
mtds_r1="r1a r1b"

# What runs on each MTD: UBI device numbers, JFFS2, raw traffic.
ubi_mtds="n0:0 n1:1 n2b:2"
jffs2_mtds="n2a r0 r1a r1b n3"
raw_mtds="m0 m1a m1b"

# mtds_of DEVICE: the MTD names a server registers.
mtds_of() {
	eval "echo \${mtds_$1:-$1}"
}

# start_all: spawn every server on its image, then wait for all its MTDs.
start_all() {
	for d in $devices; do
		# shellcheck disable=SC2046 # the options are a word list
		spawn_ramflash "$d" --image "/flash/$d.img" $(eval "echo \$args_$d")
		eval "pid_$d=\$RAMFLASH_PID"
	done
	for d in $devices; do
		RAMFLASH_PID=$(eval "echo \$pid_$d")
		RAMFLASH_LOG=/tmp/ramflash-$d.log
		for m in $(mtds_of "$d"); do
			wait_for_mtd "$m"
		done
	done
}

# stop_all: SIGTERM the servers in a random order; each must exit 0 and
# take its MTDs with it.
stop_all() {
	order=$(for d in $devices; do
			echo "$(od -An -N4 -tu4 /dev/urandom | tr -d ' ') $d"
		done | sort -n | cut -d' ' -f2 | tr '\n' ' ')
	step "stop the servers in the order: $order"
	for d in $order; do
		RAMFLASH_PID=$(eval "echo \$pid_$d")
		RAMFLASH_LOG=/tmp/ramflash-$d.log
		# shellcheck disable=SC2046 # the MTD names are a word list
		set -- $(mtds_of "$d")
		MTD=$(mtd_by_name "$1")
		stop_ramflash
		for m in $(mtds_of "$d"); do
			[ -z "$(mtd_by_name "$m")" ] ||
				fail "$m still registered after its server stopped"
		done
		echo "ok: $d stopped"
	done
	expect_eq "MTDs left" "" "$(mtd_list)"
}

# mount_all fresh|again: UBI + UBIFS and JFFS2 on their MTDs, made new
# (fresh) or as the images hold them (again).
mount_all() {
	for u in $ubi_mtds; do
		m=${u%:*}
		n=${u#*:}
		mtd=$(mtd_by_name "$m")
		[ "$1" = again ] || ubiformat -y -q "$mtd" || fail "ubiformat $m"
		ubiattach -p "$mtd" -d "$n" >/dev/null || fail "ubiattach $m"
		[ "$1" = again ] || ubimkvol "/dev/ubi$n" -N "$m" -m >/dev/null ||
			fail "ubimkvol $m"
		mkdir -p "/mnt/$m"
		mount -t ubifs "ubi$n:$m" "/mnt/$m" || fail "mount UBIFS on $m"
	done
	for m in $jffs2_mtds; do
		mtd=$(mtd_by_name "$m")
		[ "$1" = again ] || flash_erase -q -j "$mtd" 0 0 || fail "flash_erase $m"
		mkdir -p "/mnt/$m"
		mount -t jffs2 "mtd$(mtd_num "$mtd")" "/mnt/$m" || fail "mount JFFS2 on $m"
	done
}

umount_all() {
	for u in $ubi_mtds; do
		umount "/mnt/${u%:*}" || fail "umount ${u%:*}"
		ubidetach -d "${u#*:}" || fail "ubidetach ${u#*:}"
	done
	for m in $jffs2_mtds; do
		umount "/mnt/$m" || fail "umount $m"
	done
}

# The files every file system gets, three times over (and one copy
# rewritten, so that old data is obsoleted and collected).
mkdir -p /tmp/src
for size in 0 1 100 4096 12345 65536 150000; do
	random_file "/tmp/src/f$size" "$size"
done
(cd /tmp/src && sha256sum f*) >/tmp/src.sha256

fs_load() {
	for r in 0 1 2; do
		mkdir -p "$1/r$r"
		cp /tmp/src/f* "$1/r$r/" || fail "copy into $1/r$r"
	done
	rm -r "$1/r0"
	mkdir "$1/r0"
	cp /tmp/src/f* "$1/r0/" || fail "rewrite $1/r0"
	sync
}

fs_check() {
	for r in 0 1 2; do
		(cd "$1/r$r" && sha256sum f*) >/tmp/check.sha256 ||
			fail "read $1/r$r"
		cmp -s /tmp/src.sha256 /tmp/check.sha256 || fail "files differ in $1/r$r"
	done
	echo "ok: $1 holds its files"
}

# The raw MTDs get their first, middle and last eraseblock erased and
# programmed twice with the device's own data.
raw_blocks() {
	mtd=$(mtd_by_name "$1")
	eb=$(mtd_attr "$mtd" erasesize)
	n=$(($(mtd_attr "$mtd" size) / eb))
	echo "0 $((n / 2 * eb)) $(((n - 1) * eb))"
}

raw_load() {
	mtd=$(mtd_by_name "$1")
	eb=$(mtd_attr "$mtd" erasesize)
	for pass in 1 2; do
		for at in $(raw_blocks "$1"); do
			random_file "/tmp/raw-$1-$at" "$eb"
			flash_erase -q "$mtd" "$at" 1 || fail "erase $1 at $at"
			nandwrite -q -s "$at" "$mtd" "/tmp/raw-$1-$at" ||
				fail "nandwrite $1 at $at (pass $pass)"
		done
	done
}

raw_check() {
	mtd=$(mtd_by_name "$1")
	eb=$(mtd_attr "$mtd" erasesize)
	for at in $(raw_blocks "$1"); do
		nanddump -q -s "$at" -l "$eb" -f /tmp/raw.back "$mtd" ||
			fail "nanddump $1 at $at"
		cmp -s "/tmp/raw-$1-$at" /tmp/raw.back || fail "$1 differs at $at"
	done
	echo "ok: $1 holds its blocks"
}

check_all() {
	for u in $ubi_mtds; do
		fs_check "/mnt/${u%:*}"
	done
	for m in $jffs2_mtds; do
		fs_check "/mnt/$m"
	done
	for m in $raw_mtds; do
		raw_check "$m"
	done
}

step "eight servers"
start_all
cat /proc/mtd
expect_eq "MTDs registered" 11 "$(mtd_list | wc -l)"
expect_eq "ramflash processes" 8 "$(pidof ramflash | wc -w)"

step "UBI + UBIFS on n0 n1 n2b, JFFS2 on n2a r0 r1a r1b n3"
mount_all fresh

step "load on every MTD at once"
jobs=
for u in $ubi_mtds; do
	fs_load "/mnt/${u%:*}" &
	jobs="$jobs $!"
done
for m in $jffs2_mtds; do
	fs_load "/mnt/$m" &
	jobs="$jobs $!"
done
for m in $raw_mtds; do
	raw_load "$m" &
	jobs="$jobs $!"
done
for j in $jobs; do
	wait "$j" || fail "a load job failed (pid $j)"
done
check_all
umount_all
stop_all

step "again from the images"
start_all
mount_all again
check_all
umount_all
stop_all
umount /flash
rmmod muse || fail "the module does not unload"
echo "ok: muse unloaded"
