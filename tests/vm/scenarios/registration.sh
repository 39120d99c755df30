#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Registration: for NAND, MLC NAND, NOR and RAM geometries the kernel's
# view (/proc/mtd, mtdinfo, /sys/class/mtd/mtdN/*) is exactly the geometry
# ramflash asked for; --partitions become partitions; descriptions the
# module must refuse are refused with a kernel log line and leave nothing
# registered; muse-peer's INIT cases, and tests/lib's table of device
# descriptions judged as libmuse judges them.
. /scenarios/lib.sh

require_bin ramflash
require_bin muse-peer
load_modules mtd
load_muse

# check_attrs DEV "attr=value ..."
check_attrs() {
	for pair in $2; do
		expect_eq "$1 ${pair%%=*}" "${pair#*=}" "$(mtd_attr "$1" "${pair%%=*}")"
	done
}

# check_mtdinfo DEV LINE...: each LINE appears in mtdinfo's output.
check_mtdinfo() {
	dev=$1
	shift
	mtdinfo "$dev" >/tmp/mtdinfo.txt
	for line in "$@"; do
		grep -qF "$line" /tmp/mtdinfo.txt || {
			cat /tmp/mtdinfo.txt
			fail "mtdinfo $dev lacks '$line'"
		}
	done
	echo "ok: mtdinfo $dev"
}

# check_proc_mtd DEV SIZE ERASESIZE NAME: the /proc/mtd line.
check_proc_mtd() {
	expect_eq "/proc/mtd line of $1" \
		"$(printf 'mtd%s: %08x %08x "%s"' "$(mtd_num "$1")" "$2" "$3" "$4")" \
		"$(grep "^mtd$(mtd_num "$1"):" /proc/mtd)"
}

step "SLC NAND: 4 MiB, 2 KiB pages, 128 KiB blocks, 64 B OOB, 4 subpages, BCH-4/512"
start_ramflash reg-nand --type nand --size 4MiB --page-size 2048 \
	--erase-size 128KiB --oob-size 64 --subpage-size 512 \
	--ecc-strength 4 --ecc-step 512 --bitflip-threshold 3
check_proc_mtd "$MTD" 4194304 131072 reg-nand
check_attrs "$MTD" "type=nand size=4194304 erasesize=131072 writesize=2048
	oobsize=64 oobavail=34 subpagesize=512 ecc_strength=4 ecc_step_size=512
	bitflip_threshold=3 flags=0x400 name=reg-nand numeraseregions=0"
check_mtdinfo "$MTD" "Type:                           nand" \
	"Eraseblock size:                131072 bytes, 128.0 KiB" \
	"Amount of eraseblocks:          32 (4194304 bytes, 4.0 MiB)" \
	"Minimum input/output unit size: 2048 bytes" \
	"Sub-page size:                  512 bytes" \
	"OOB size:                       64 bytes" \
	"Bad blocks are allowed:         true" \
	"Device is writable:             true"
stop_ramflash

step "MLC NAND: 8 MiB, 4 KiB pages, 256 KiB blocks, 224 B OOB, BCH-24/1024"
start_ramflash reg-mlc --type mlc-nand --size 8MiB --page-size 4096 \
	--erase-size 256KiB --oob-size 224 --ecc-strength 24 --ecc-step 1024
check_proc_mtd "$MTD" 8388608 262144 reg-mlc
# bitflip_threshold defaults to 3/4 of the strength.
check_attrs "$MTD" "type=mlc-nand size=8388608 erasesize=262144 writesize=4096
	oobsize=224 oobavail=54 subpagesize=4096 ecc_strength=24 ecc_step_size=1024
	bitflip_threshold=18 flags=0x400 name=reg-mlc"
check_mtdinfo "$MTD" "Type:                           mlc-nand" \
	"Minimum input/output unit size: 4096 bytes" \
	"OOB size:                       224 bytes"
stop_ramflash

step "NOR: 2 MiB, 64 KiB sectors"
start_ramflash reg-nor --type nor --size 2MiB --erase-size 64KiB
check_proc_mtd "$MTD" 2097152 65536 reg-nor
check_attrs "$MTD" "type=nor size=2097152 erasesize=65536 writesize=1
	oobsize=0 oobavail=0 subpagesize=1 ecc_strength=0 ecc_step_size=0
	bitflip_threshold=0 flags=0xc00 name=reg-nor"
check_mtdinfo "$MTD" "Type:                           nor" \
	"Minimum input/output unit size: 1 byte" \
	"Bad blocks are allowed:         false"
stop_ramflash

step "RAM: 1 MiB, 4 KiB blocks"
start_ramflash reg-ram --type ram --size 1MiB --erase-size 4KiB
check_proc_mtd "$MTD" 1048576 4096 reg-ram
check_attrs "$MTD" "type=ram size=1048576 erasesize=4096 writesize=1
	oobsize=0 ecc_strength=0 flags=0x1c00 name=reg-ram"
stop_ramflash

# check_partitions NAME ARGS...: ramflash with --partitions
# "1M(boot),512K(env),-(ubi)" on a 4 MiB device of 128 KiB blocks; the
# three partitions appear at their offsets and the whole device does not
# (CONFIG_MTD_PARTITIONED_MASTER is off in Debian's kernel).
check_partitions() {
	spawn_ramflash "$@" --size 4MiB --erase-size 128KiB \
		--partitions "1M(boot),512K(env),-(ubi)"
	wait_for_mtd ubi
	ubi_part=$MTD
	boot=$(mtd_by_name boot)
	env=$(mtd_by_name env)
	[ -n "$boot" ] && [ -n "$env" ] || fail "partitions missing: $(cat /proc/mtd)"
	check_proc_mtd "$boot" 1048576 131072 boot
	check_proc_mtd "$env" 524288 131072 env
	check_proc_mtd "$ubi_part" 2621440 131072 ubi
	expect_eq "partition offset of env" 1048576 "$(mtd_attr "$env" offset)"
	expect_eq "partition offset of ubi" 1572864 "$(mtd_attr "$ubi_part" offset)"
	[ -z "$(mtd_by_name "$1")" ] || fail "master registered next to its partitions"
	MTD=$boot
	stop_ramflash
	[ -z "$(mtd_by_name ubi)" ] || fail "partition ubi left after ramflash exit"
}

step "partitions on NOR"
check_partitions parts-nor --type nor

step "partitions on NAND (the kernel asks for bad blocks while registering them)"
check_partitions parts-nand --type nand --page-size 2048 --oob-size 64

step "descriptions libmuse refuses before the kernel sees them"
# libmuse and the module apply the same rules (muse_kernel.h, and the
# shared table tests/lib/device-cases.c, which muse-peer devices table
# runs through the module below): a server learns of a bad partition
# list from muse_session_new(), with nothing registered.
refuse() {
	what=$1
	shift
	rc=0
	ramflash --name refused "$@" >/tmp/refused.log 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "$what: ramflash registered"
	grep -q "libmuse refused the device description" /tmp/refused.log || {
		cat /tmp/refused.log
		fail "$what: not refused by libmuse"
	}
	[ -z "$(mtd_by_name refused)" ] || fail "$what: MTD left behind"
	echo "ok: $what refused by libmuse"
}
refuse "partition larger than the device" \
	--type nand --size 4MiB --page-size 2048 --erase-size 128KiB \
	--oob-size 64 --partitions "8M(big)"
refuse "partition not eraseblock aligned" \
	--type nand --size 4MiB --page-size 2048 --erase-size 128KiB \
	--oob-size 64 --partitions "100K(odd),-(rest)"

dmesg -c >/dev/null
run_peer init replies
dmesg | grep -q "INIT rejected" || fail "no 'INIT rejected' kernel message"
run_peer devices table
rmmod muse
