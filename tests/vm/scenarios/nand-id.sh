#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ramflash --nand-id against nandsim, in the same boot: for every ID of
# nandsim's documented examples (and nandsim's default ID), nandsim loaded
# with first_id_byte=... and ramflash with --nand-id of the same bytes
# register the same MTD: mtdinfo's geometry lines (type, eraseblock size
# and count, minimum I/O, sub-page, OOB, bad blocks allowed, writable) and
# sysfs's oobavail, ecc_strength and ecc_step_size are equal.
. /scenarios/lib.sh

require_bin ramflash
load_muse

# geometry_of MTD OUT: what both must agree on; name, number and device
# numbers are each device's own.
geometry_of() {
	mtdinfo "$1" | grep -v -e '^mtd[0-9]' -e '^Name:' \
		-e '^Character device' >"$2" || fail "mtdinfo $1"
	for attr in oobavail ecc_strength ecc_step_size; do
		echo "$attr: $(mtd_attr "$1" $attr)" >>"$2"
	done
}

# compare BYTES: nandsim with ID BYTES (comma-separated) against ramflash.
compare() {
	step "--nand-id $1"
	params=
	n=0
	for b in $(echo "$1" | tr ',' ' '); do
		n=$((n + 1))
		case $n in
		1) params="first_id_byte=$b" ;;
		2) params="$params second_id_byte=$b" ;;
		3) params="$params third_id_byte=$b" ;;
		4) params="$params fourth_id_byte=$b" ;;
		esac
	done
	# shellcheck disable=SC2086 # a word list
	modprobe nandsim $params || fail "modprobe nandsim $params"
	nandsim=$(mtd_by_name "NAND simulator partition 0")
	[ -n "$nandsim" ] || fail "nandsim $params registered no MTD"
	geometry_of "$nandsim" /tmp/nandsim.geo
	rmmod nandsim || fail "rmmod nandsim"
	start_ramflash nandid --nand-id "$1"
	geometry_of "$MTD" /tmp/ramflash.geo
	stop_ramflash
	if ! cmp -s /tmp/nandsim.geo /tmp/ramflash.geo; then
		echo "nandsim $params:"
		cat /tmp/nandsim.geo
		echo "ramflash --nand-id $1:"
		cat /tmp/ramflash.geo
		fail "--nand-id $1: the geometry differs from nandsim's"
	fi
	echo "ok: $(tr '\n' ';' </tmp/ramflash.geo)"
}

for id in 0x20,0x33 0x20,0x35 0x20,0x36 0x20,0x78 0x20,0x71 \
	0x20,0xa2,0x00,0x15 0xec,0xa1,0x00,0x15 0x20,0xaa,0x00,0x15 \
	0x20,0xac,0x00,0x15 0xec,0xd3,0x51,0x95 0x98,0x39; do
	compare "$id"
done
echo "ok: nand-id"
