#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# --weak-blocks, --weak-pages and --grave-pages against nandsim's
# weakblocks=, weakpages= and gravepages=, nandsim as the control: the same
# chip (ID bytes, 16 MiB) with the same faults, the same UBI script on each
# (ubiformat, attach, a static and a dynamic volume written with
# ubiupdatevol, both read back, the static one truncated and written again,
# detach, attach again), and UBI must decide the same: its kernel messages
# (torture, mark bad, erase and ECC errors, the attach summaries), its
# bad_peb_count and the MTD's bad_blocks, normalised (device numbers and
# names, PIDs, image sequence numbers).  The faults sit in PEBs the script
# uses first (UBI's choices are deterministic on a fresh chip):
#   - weak page 3658 (PEB 57, page 10) fails its first program: UBI moves
#     the LEB to another PEB, tortures PEB 57 (its pattern write fails
#     again) and marks it bad;
#   - grave page 2654 (PEB 41, page 30) reads garbage from its first read:
#     the static volume's LEB 2: UBI forces data checking, the CRC fails,
#     the read fails with -EBADMSG (the CRC UBI computes is of the garbage:
#     random on nandsim, from the seed on ramflash, so it is not compared);
#   - grave page 3604 (PEB 56, page 20) reads garbage from its first read:
#     the dynamic volume's LEB 5 read fails with -EBADMSG after UBI's
#     retries;
#   - grave page 3826 (PEB 59, page 50) is never programmed (LEB 7 holds
#     data up to page 48): reading LEB 7 whole reads it erased, no error;
#   - weak block 60 survives ubiformat's erase, not UBI's after the
#     truncation: UBI retries the erase, then marks it bad.
# One difference is nand_base's and asserted as such: a failed program
# leaves retlen at the bytes of the pages before the failing one there,
# while a MUSE WRITE that fails reports no bytes (UBI prints the number in
# "written N bytes" and does not act on it; doc/ramflash.md).
. /scenarios/lib.sh

require_bin ramflash
load_ubifs_stack
load_muse

ID=0x20,0xf1,0x00,0x15
WEAK_BLOCK=60:1
WEAK_PAGE=3658
WEAK_PAGE_COUNT=0
GRAVE_PAGE=2654:0,3604:0,3826:0
PAGES_PER_BLOCK=64
PAGE=2048

# normalise: the UBI lines of a kernel log, without what differs by
# device (number, name) or by run (PIDs, image sequence number).  A failed
# write's "try another PEB" (the writer's) races with the torture of that
# PEB (UBI's background thread, queued just before it): each goes right
# after the "failed to write" it follows, and their count at the end.
normalise() {
	sed -n 's/^\[[ 0-9.]*\] //p' | grep -E '^ubi[0-9]' |
		sed -e 's/mtd[0-9][0-9]*/mtdN/g' -e 's/(name "[^"]*"/(name X/' \
		    -e 's/image sequence number: [0-9]*/image sequence number: S/' \
		    -e 's/started, PID [0-9]*/started, PID P/' \
		    -e 's/CRC error: calculated 0x[0-9a-f]*,/CRC error: calculated C,/' |
		awk '/: try another PEB$/ { tries++; next }
		     { print }
		     /try_write_vid_and_data.*: failed to write/ {
			print "(try another PEB)"
		     }
		     END { print "try another PEB: " tries + 0 }'
}

# workload MTD: the UBI script; its output and the normalised kernel log.
# Each ubiupdatevol ends in ubi_wl_flush, so the torture and erase work
# is done before the next step: the log's order is the script's.
workload() {
	dmesg -c >/dev/null
	ubiformat -y -q "$1" 2>&1 || echo "ubiformat: status $?"
	ubiattach -p "$1" -d 0 >/dev/null || echo "ubiattach: status $?"
	ubimkvol /dev/ubi0 -N s -s 2MiB -t static >/dev/null || echo "ubimkvol s: status $?"
	ubimkvol /dev/ubi0 -N d -s 2MiB >/dev/null || echo "ubimkvol d: status $?"
	ubiupdatevol /dev/ubi0_0 /tmp/data 2>&1 || echo "ubiupdatevol s: status $?"
	ubiupdatevol /dev/ubi0_1 /tmp/data 2>&1 || echo "ubiupdatevol d: status $?"
	dd if=/dev/ubi0_0 of=/tmp/s bs=126976 2>/dev/null || echo "read s: status $?"
	cmp -s /tmp/data /tmp/s || echo "read s: other data"
	dd if=/dev/ubi0_1 of=/dev/null bs=129024 count=7 2>&1 | grep -v records ||
		true
	dd if=/dev/ubi0_1 of=/dev/null bs=129024 skip=7 count=1 2>&1 |
		grep -v records || true
	ubiupdatevol -t /dev/ubi0_0 2>&1 || echo "truncate s: status $?"
	ubiupdatevol /dev/ubi0_0 /tmp/data 2>&1 || echo "ubiupdatevol s again: status $?"
	echo "bad_peb_count $(cat /sys/class/ubi/ubi0/bad_peb_count)"
	ubidetach -d 0 || echo "ubidetach: status $?"
	ubiattach -p "$1" -d 0 >/dev/null || echo "ubiattach again: status $?"
	echo "bad_peb_count after attaching again $(cat /sys/class/ubi/ubi0/bad_peb_count)"
	ubidetach -d 0 || echo "ubidetach: status $?"
	echo "MTD bad_blocks $(mtd_attr "$1" bad_blocks)"
	dmesg >/tmp/kmsg
	normalise </tmp/kmsg
}

# nand_written OUT: in nandsim's OUT, "written N bytes" of a failed
# program must be the bytes before the weak page (nand_base's retlen);
# they become 0, what a failed MUSE WRITE reports.  Any other number stays
# and shows in the comparison.
nand_written() {
	weak_peb=$((WEAK_PAGE / PAGES_PER_BLOCK))
	weak_off=$((WEAK_PAGE % PAGES_PER_BLOCK * PAGE))
	sed -n 's/.* to PEB \([0-9]*\):\([0-9]*\), written \([0-9]*\) bytes$/\1 \2 \3/p' \
		"$1" >/tmp/written
	[ -s /tmp/written ] || fail "nandsim: no failed program (weak page $WEAK_PAGE)"
	while read -r peb off n; do
		[ "$peb" -eq "$weak_peb" ] ||
			fail "nandsim: a failed program in PEB $peb, not in weak page $WEAK_PAGE's"
		[ "$n" -eq $((weak_off - off)) ] ||
			fail "nandsim: written $n bytes at PEB $peb:$off, not the $((weak_off - off)) before weak page $WEAK_PAGE"
	done </tmp/written
	sed -i "s/\( to PEB $weak_peb:[0-9]*, written\) [0-9]* bytes\$/\1 0 bytes/" "$1"
	echo "ok: nandsim's failed programs report the bytes before weak page $WEAK_PAGE written"
}

head -c 1000000 /dev/zero | tr '\0' 'a' >/tmp/data

step "nandsim weakblocks=$WEAK_BLOCK weakpages=$WEAK_PAGE:$WEAK_PAGE_COUNT gravepages=$GRAVE_PAGE"
modprobe nandsim id_bytes=$ID overridesize=7 weakblocks=$WEAK_BLOCK \
	weakpages=$WEAK_PAGE:$WEAK_PAGE_COUNT gravepages=$GRAVE_PAGE ||
	fail "modprobe nandsim"
NANDSIM=$(mtd_by_name "NAND simulator partition 0")
[ -n "$NANDSIM" ] || fail "nandsim registered no MTD"
workload "$NANDSIM" >/tmp/nandsim.out
rmmod nandsim || fail "rmmod nandsim"
cat /tmp/nandsim.out
# The faults did reach UBI: the comparison is not of two quiet runs.
for what in "run torture test for PEB 57" "mark PEB 57 as bad" \
	"error -74 (ECC error) while reading .* from PEB 56:" \
	"error -74 (ECC error) while reading .* from PEB 41:" "CRC error" \
	"cannot erase PEB 60, error -5" "mark PEB 60 as bad" \
	"^bad_peb_count after attaching again 2\$" "^MTD bad_blocks 2\$"; do
	grep -q "$what" /tmp/nandsim.out || fail "nandsim: no '$what'"
done
! grep "PEB 59:" /tmp/nandsim.out || fail "nandsim: an error in PEB 59"
nand_written /tmp/nandsim.out

step "ramflash with the same faults"
start_ramflash nsfaults --nand-id $ID --size 16MiB --weak-blocks $WEAK_BLOCK \
	--weak-pages $WEAK_PAGE:$WEAK_PAGE_COUNT --grave-pages $GRAVE_PAGE
workload "$MTD" >/tmp/ramflash.out
stop_ramflash
if ! diff /tmp/nandsim.out /tmp/ramflash.out; then
	fail "UBI on ramflash did not do what it did on nandsim (- nandsim, + ramflash)"
fi
echo "ok: UBI decided the same on both ($(wc -l </tmp/ramflash.out) lines)"
rmmod muse
