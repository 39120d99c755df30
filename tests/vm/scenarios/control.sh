#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ramflash --control and `ramflash ctl` against the real MTD stack.
# 1. Power cut: UBIFS writes files one by one, each with fsync; after 20
#    of them `ramflash ctl SOCKET power-cut` cuts the power while the loop
#    goes on; ramflash exits with status 3 and its socket is gone; served
#    again from the same image, UBIFS mounts and every file whose fsync
#    returned is intact.  The same run without the cut is the control:
#    all 40 files, the same check.
# 2. Freeze: a dd reading the MTD and a flash_erase stay blocked while
#    ramflash is frozen (read passthrough and kernel erase are taken back,
#    so the kernel cannot serve them itself) and complete after release;
#    an erase latency set live is waited out, and a freeze holds the
#    answer it delays past its deadline until release.
# 3. Live faults seen by the kernel: flip-bits on a page read before
#    through passthrough (MEMREAD's ECC report: corrected, then clean;
#    uncorrectable beyond the strength), grave, mark-bad (MEMGETBADBLOCK
#    lists it, MEMERASE fails), and UBI's "fixable bit-flip detected" at
#    attach for a flip in a PEB's EC header.
. /scenarios/lib.sh

require_bin ramflash
require_bin mtdioctl
load_ubifs_stack
load_muse

sock=/tmp/ramflash.sock
img=/tmp/control.img
chip="--chip slc-8m --bitflip-threshold 2"
page=2048
block=$((128 * 1024))

# ctl COMMAND...: one control request; its answer in CTL_ACK.
ctl() {
	CTL_ACK=$(ramflash ctl "$sock" "$@") || fail "ramflash ctl $*: ${CTL_ACK:-no answer}"
	echo "ctl $*: $CTL_ACK"
}

# ecc_field FILE NAME: a "name value" line of mtdioctl's output.
ecc_field() {
	sed -n "s/^$2 //p" "$1"
}

# memread PAGE: MEMREAD one page to /tmp/read.out, its report in /tmp/read.txt.
memread() {
	mtdioctl read "$MTD" $(($1 * page)) $page /tmp/read.out >/tmp/read.txt
}

# write_cycle CUT: a fresh UBIFS on a fresh image, fsync'ed files until
# 40 are written or (CUT yes) the power cut after the 20th stops them;
# then serve the image again and check every fsync'ed file.
write_cycle() {
	cut=$1
	step "UBIFS with fsync'ed files, power cut by ramflash ctl: $cut"
	rm -f "$img"
	# shellcheck disable=SC2086 # chip is a word list
	start_ramflash control $chip --image "$img" --control "$sock"
	case "$(ls -l "$sock")" in
	srw-------*) echo "ok: $sock is a socket, mode 0600" ;;
	*) fail "$sock: $(ls -l "$sock")" ;;
	esac
	ubifs_up "$MTD" files /mnt/files
	rm -rf /tmp/synced
	mkdir /tmp/synced
	: >/tmp/synced.list
	ctl marker "writes start"
	written=0
	cutter=
	while [ "$written" -lt 40 ]; do
		if [ "$cut" = yes ] && [ "$written" -eq 20 ]; then
			ramflash ctl "$sock" power-cut >/tmp/cut.ack &
			cutter=$!
		fi
		f=f$written
		head -c $((4096 + written * 997)) /dev/urandom >"/tmp/synced/$f"
		dd if="/tmp/synced/$f" of="/mnt/files/$f" bs=4096 conv=fsync \
			2>/dev/null || break
		echo "$f" >>/tmp/synced.list
		written=$((written + 1))
	done
	echo "$written fsync'ed files"
	if [ "$cut" = yes ]; then
		[ "$written" -lt 40 ] || fail "the writes went on after the power cut"
		ends_within 30 "$cutter"
		expect_eq "ramflash ctl power-cut status" 0 "$LOAD_STATUS"
		grep -q "^ok power cut" /tmp/cut.ack || fail "power-cut answer: $(cat /tmp/cut.ack)"
		rc=0
		wait "$RAMFLASH_PID" || rc=$?
		expect_eq "ramflash exit status after the power cut" 3 "$rc"
		[ ! -e "$sock" ] || fail "$sock is still there after ramflash exited"
		if grep -q " /mnt/files " /proc/mounts; then
			umount /mnt/files || fail "umount after the power cut"
		fi
		if [ -e /sys/class/ubi/ubi0 ]; then
			ubidetach -d 0 || fail "ubidetach after the power cut"
		fi
		wait_for 10 mtd_gone "$MTD" || fail "$MTD still registered"
	else
		expect_eq "fsync'ed files without a cut" 40 "$written"
		ubi_down /mnt/files
		stop_ramflash
	fi

	step "served again from the image (cut: $cut)"
	# shellcheck disable=SC2086
	start_ramflash control $chip --image "$img" --control "$sock"
	ubi_reattach "$MTD"
	ubifs_mount files /mnt/files
	while read -r f; do
		[ -f "/mnt/files/$f" ] || fail "fsync'ed file $f is gone"
		[ "$(sum "/tmp/synced/$f")" = "$(sum "/mnt/files/$f")" ] ||
			fail "fsync'ed file $f has other contents"
	done </tmp/synced.list
	echo "ok: all $written fsync'ed files intact"
	echo after >/mnt/files/after
	sync
	ubi_down /mnt/files
	stop_ramflash
}

write_cycle no
write_cycle yes

step "freeze: a reader and an eraser wait until release"
# shellcheck disable=SC2086
start_ramflash control $chip --control "$sock"
flash_erase -q "$MTD" 0 2
random_file /tmp/page.bin $page
nandwrite -q -s 0 "$MTD" /tmp/page.bin
# Read once: the block is served by read passthrough from now on.
dd if="$MTD" of=/tmp/first.out bs=$page count=1 2>/dev/null
expect_eq "first read" "$(sum /tmp/page.bin)" "$(sum /tmp/first.out)"
ctl status
case "$CTL_ACK" in
*"kernel reads 0 block"*) fail "read passthrough is off: $CTL_ACK" ;;
esac
ctl freeze
dd if="$MTD" of=/tmp/frozen.out bs=$page count=1 2>/dev/null &
reader=$!
flash_erase -q "$MTD" $block 1 &
eraser=$!
sleep 3
kill -0 "$reader" 2>/dev/null || fail "the reader finished while frozen"
kill -0 "$eraser" 2>/dev/null || fail "the erase finished while frozen"
echo "ok: reader and eraser held for 3 s"
ctl status
case "$CTL_ACK" in
*frozen*"kernel reads 0 block(s), kernel erases 0 block(s)") ;;
*) fail "status while frozen: $CTL_ACK" ;;
esac
ctl release
case "$CTL_ACK" in
"ok released: "*) ;;
*) fail "release: $CTL_ACK" ;;
esac
ends_within 10 "$reader"
expect_eq "reader's status after release" 0 "$LOAD_STATUS"
ends_within 10 "$eraser"
expect_eq "eraser's status after release" 0 "$LOAD_STATUS"
expect_eq "data read after release" "$(sum /tmp/page.bin)" "$(sum /tmp/frozen.out)"

step "latency set live, and a freeze holds the answers it delays"
# The control: a 2 s erase latency set live is waited out (the erase
# takes 2 s at least), then the same erase frozen 0.5 s in is still
# unanswered at 4 s and answered after release.
ctl latency erase 2000000
t0=$(cut -d. -f1 /proc/uptime)
flash_erase -q "$MTD" $((2 * block)) 1 || fail "erase with latency"
t1=$(cut -d. -f1 /proc/uptime)
[ $((t1 - t0)) -ge 1 ] || fail "the 2 s latency was not waited out ($((t1 - t0)) s)"
flash_erase -q "$MTD" $((2 * block)) 1 &
eraser=$!
usleep 500000
ctl freeze
sleep 4
kill -0 "$eraser" 2>/dev/null || fail "the delayed erase was answered while frozen"
ctl release
ends_within 10 "$eraser"
expect_eq "delayed eraser's status after release" 0 "$LOAD_STATUS"
ctl latency erase 0

step "flip-bits, grave and mark-bad, seen by the kernel"
nandwrite -q -s $((3 * page)) "$MTD" /tmp/page.bin
dd if="$MTD" of=/tmp/first.out bs=$page count=1 skip=3 2>/dev/null
ctl flip-bits 3 2
memread 3
expect_eq "MEMREAD after flip-bits 2" EUCLEAN "$(ecc_field /tmp/read.txt result)"
expect_eq "MEMREAD corrected" 2 "$(ecc_field /tmp/read.txt corrected)"
expect_eq "corrected data" "$(sum /tmp/page.bin)" "$(sum /tmp/read.out)"
memread 3
expect_eq "the next MEMREAD" ok "$(ecc_field /tmp/read.txt result)"
ctl flip-bits 3 5
memread 3
expect_eq "MEMREAD after flip-bits 5 (strength 4)" EBADMSG "$(ecc_field /tmp/read.txt result)"
expect_eq "MEMREAD failed steps" 1 "$(ecc_field /tmp/read.txt failed)"
# The 5 flips of the step came back: 1 to 5 bytes differ.
differ=$(cmp -l /tmp/page.bin /tmp/read.out | wc -l)
if [ "$differ" -lt 1 ] || [ "$differ" -gt 5 ]; then
	fail "$differ bytes differ after 5 flipped bits"
fi
echo "ok: the flips came back in $differ byte(s)"
ctl grave 3 1
memread 3
expect_eq "grave page, one more good read" ok "$(ecc_field /tmp/read.txt result)"
memread 3
expect_eq "grave page, then garbage" EBADMSG "$(ecc_field /tmp/read.txt result)"
mtdioctl badblocks "$MTD" | grep -qx 0xa0000 && fail "block 5 bad before mark-bad"
ctl mark-bad 5
mtdioctl badblocks "$MTD" | grep -qx 0xa0000 || fail "MEMGETBADBLOCK does not list block 5 after mark-bad"
echo "ok: MEMGETBADBLOCK lists block 5"
expect_fail "MEMERASE of the block marked bad" mtd_debug erase "$MTD" $((5 * block)) $block
ctl stats /tmp/control.json
grep -q '"command": "mark-bad 5"' /tmp/control.json || fail "stats JSON lacks the commands: $(cat /tmp/control.json)"
echo "ok: the stats JSON lists the commands"
stop_ramflash

step "UBI sees a flip-bits in an EC header"
# shellcheck disable=SC2086
start_ramflash control $chip --control "$sock"
ubiformat -y -q "$MTD" || fail "ubiformat"
dmesg -c >/dev/null
# Page 0 of PEB 7 holds its EC header; 2 flips reach the threshold.
ctl flip-bits $((7 * block / page)) 2
ubi_reattach "$MTD"
dmesg | grep -q "fixable bit-flip detected at PEB 7" ||
	fail "UBI did not report the bit-flip in PEB 7: $(dmesg | grep -i ubi | tail -5)"
echo "ok: UBI: fixable bit-flip detected at PEB 7"
ubi_down
stop_ramflash
rmmod muse
