#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ECC reporting end to end.  ramflash's bit-flip model is deterministic:
# --bitflip-rate 1 --bitflip-max 1 flips exactly one bit in every ECC step
# of every read, and --read-disturb 1 adds one more flip per step for each
# earlier read of the block since its erase.  With 2 KiB pages and 512-byte
# steps one page read therefore has 4 steps with a known number of flips,
# and the kernel's counters must move by exactly that much.
. /scenarios/lib.sh

require_bin ramflash
require_bin mtdioctl
load_modules mtd ubi
load_muse

page=2048
steps=4
nand="--type nand --size 2MiB --page-size $page --erase-size 128KiB --oob-size 64 --ecc-step 512"

# ecc_field FILE NAME: a "name value" line of mtdioctl's output.
ecc_field() {
	sed -n "s/^$2 //p" "$1"
}

# write_page OFFSET: program one page of random data, kept in
# /tmp/page-OFFSET.bin, at OFFSET.
write_page() {
	random_file "/tmp/page-$1.bin" $page
	nandwrite -q -s "$1" "$MTD" "/tmp/page-$1.bin"
}

# memread OFFSET: MEMREAD one page to /tmp/read.out, report in /tmp/read.txt.
memread() {
	mtdioctl read "$MTD" "$1" $page /tmp/read.out >/tmp/read.txt
	tr '\n' ' ' </tmp/read.txt
	echo
}

step "correctable: 1 flip per step, strength 4, threshold 3"
# shellcheck disable=SC2086 # nand is a word list
start_ramflash ecc $nand --ecc-strength 4 --bitflip-threshold 3 \
	--bitflip-rate 1 --bitflip-max 1 --seed 1
expect_eq "sysfs ecc_strength" 4 "$(mtd_attr "$MTD" ecc_strength)"
expect_eq "sysfs ecc_step_size" 512 "$(mtd_attr "$MTD" ecc_step_size)"
expect_eq "sysfs bitflip_threshold" 3 "$(mtd_attr "$MTD" bitflip_threshold)"
flash_erase -q "$MTD" 0 1
write_page 0
mtdioctl eccstats "$MTD" >/tmp/before.txt
memread 0
mtdioctl eccstats "$MTD" >/tmp/after.txt
expect_eq "ECCGETSTATS corrected delta" $steps \
	$(($(ecc_field /tmp/after.txt corrected) - $(ecc_field /tmp/before.txt corrected)))
expect_eq "ECCGETSTATS failed delta" 0 \
	$(($(ecc_field /tmp/after.txt failed) - $(ecc_field /tmp/before.txt failed)))
expect_eq "sysfs corrected_bits" "$(ecc_field /tmp/after.txt corrected)" \
	"$(mtd_attr "$MTD" corrected_bits)"
# MEMREAD says -EUCLEAN for any corrected bit, whatever the threshold.
expect_eq "MEMREAD result" EUCLEAN "$(ecc_field /tmp/read.txt result)"
expect_eq "MEMREAD corrected" $steps "$(ecc_field /tmp/read.txt corrected)"
expect_eq "MEMREAD max_bitflips" 1 "$(ecc_field /tmp/read.txt max_bitflips)"
expect_eq "MEMREAD failed" 0 "$(ecc_field /tmp/read.txt failed)"
expect_eq "corrected data" "$(sum /tmp/page-0.bin)" "$(sum /tmp/read.out)"
# Two pages in one MEMREAD: twice the flips.
write_page $page
mtdioctl eccstats "$MTD" >/tmp/before.txt
mtdioctl read "$MTD" 0 $((2 * page)) /tmp/two.out >/tmp/read.txt
expect_eq "MEMREAD of 2 pages corrected" $((2 * steps)) "$(ecc_field /tmp/read.txt corrected)"
mtdioctl eccstats "$MTD" >/tmp/after.txt
expect_eq "ECCGETSTATS corrected delta for 2 pages" $((2 * steps)) \
	$(($(ecc_field /tmp/after.txt corrected) - $(ecc_field /tmp/before.txt corrected)))
# A raw read bypasses ECC: the flips are visible, nothing is counted.
mtdioctl read "$MTD" 0 $page /tmp/raw.out raw >/tmp/read.txt
expect_eq "raw MEMREAD result" ok "$(ecc_field /tmp/read.txt result)"
expect_eq "raw MEMREAD corrected" 0 "$(ecc_field /tmp/read.txt corrected)"
expect_eq "bytes a raw read shows flipped" $steps "$(cmp -l /tmp/page-0.bin /tmp/raw.out | wc -l)"
stop_ramflash

# The threshold decides what in-kernel users see: UBI scrubs a PEB when
# a read returns -EUCLEAN and logs "fixable bit-flip detected".
for threshold in 3 1; do
	step "UBI over 1 flip per step with bitflip_threshold $threshold"
	# shellcheck disable=SC2086
	start_ramflash ecc $nand --ecc-strength 4 --bitflip-threshold $threshold \
		--bitflip-rate 1 --bitflip-max 1 --seed 1
	ubiformat -y -q "$MTD"
	dmesg -c >/dev/null
	ubi_reattach "$MTD"
	scrubs=$(dmesg | grep -c "fixable bit-flip detected" || true)
	ubi_down
	stop_ramflash
	if [ "$threshold" -eq 3 ]; then
		expect_eq "UBI bit-flip reports below the threshold" 0 "$scrubs"
	else
		[ "$scrubs" -gt 0 ] || fail "UBI saw no bit-flip at the threshold"
		echo "ok: UBI reported $scrubs fixable bit-flips at the threshold"
	fi
done

step "uncorrectable: strength 1, the second read of a block sees 2 flips per step"
# shellcheck disable=SC2086
start_ramflash ecc $nand --ecc-strength 1 --bitflip-threshold 1 \
	--bitflip-rate 1 --bitflip-max 1 --read-disturb 1 --seed 1
flash_erase -q "$MTD" 0 1
write_page 0
memread 0
expect_eq "first read: corrected" EUCLEAN "$(ecc_field /tmp/read.txt result)"
expect_eq "first read: MEMREAD failed" 0 "$(ecc_field /tmp/read.txt failed)"
mtdioctl eccstats "$MTD" >/tmp/before.txt
memread 0
expect_eq "second read: MEMREAD result" EBADMSG "$(ecc_field /tmp/read.txt result)"
expect_eq "second read: MEMREAD failed" $steps "$(ecc_field /tmp/read.txt failed)"
mtdioctl eccstats "$MTD" >/tmp/after.txt
expect_eq "ECCGETSTATS failed delta" $steps \
	$(($(ecc_field /tmp/after.txt failed) - $(ecc_field /tmp/before.txt failed)))
expect_eq "sysfs ecc_failures" "$(ecc_field /tmp/after.txt failed)" \
	"$(mtd_attr "$MTD" ecc_failures)"
[ "$(sum /tmp/page-0.bin)" != "$(sum /tmp/read.out)" ] ||
	fail "uncorrectable read returned clean data"
echo "ok: uncorrectable data comes back with its flips"
# read(2) of /dev/mtdN hides -EBADMSG but must still deliver the data.
dd if="$MTD" of=/tmp/dd.out bs=$page count=1 2>/dev/null ||
	fail "read(2) over an uncorrectable page failed"
stop_ramflash
rmmod muse
