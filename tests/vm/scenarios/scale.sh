#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ramflash at real chip sizes in a guest of at most 1 GiB (issue 10): the
# store costs what is written, not the chip size.
#
# 1. A 4 GiB MLC NAND (4 KiB pages, 512 KiB blocks, 224 B OOB) starts,
#    is erased whole, written and read back raw, and serves again from its
#    image.  UBI refuses MLC NAND (drivers/mtd/ubi/build.c: "MLC NAND is not
#    supported"): checked, so the UBI part runs on SLC.
# 2. A 16 GiB NAND of the same geometry, typed SLC so that UBI attaches:
#    ubiformat, ubiattach, a UBIFS volume of all of it, 64 MiB of files
#    written and synced, ramflash restarted from its image, every file
#    read back by checksum; its writes went through kernel program (the
#    image is on tmpfs), ramflash's kernel_programs counter says how
#    many.  ramflash's peak RSS (VmHWM) and the image's
#    allocated bytes (du) are reported and bounded: the image by what was
#    programmed (ramflash's write_bytes) plus 128 B per block, the RSS by
#    a fixed 48 MiB plus 256 B per block, whatever the chip size.
. /scenarios/lib.sh

require_bin ramflash
load_ubifs_stack
load_muse

# Syncing 64 MiB through UBIFS on 16 GiB takes its time under TCG on a
# loaded host (35 s was seen); a writer in D state that long is not hung.
echo 180 >/proc/sys/kernel/hung_task_timeout_secs

mem_kib=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
[ "$mem_kib" -le 1048576 ] || fail "the guest has ${mem_kib} KiB, more than 1 GiB"
echo "guest memory: $((mem_kib / 1024)) MiB"

# The images live on a tmpfs of their own: holes there are free, and the
# tmpfs is memory, so its usage is the store's cost in this guest.
mkdir -p /flash
mount -t tmpfs -o size=768m tmpfs /flash
geometry="--page-size 4096 --erase-size 512KiB --oob-size 224 --subpage-size 4096"
blocks_16g=32768

# vmhwm PID: peak resident set of PID in KiB.
vmhwm() {
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

# allocated FILE: bytes the file holds (du counts 1 KiB units).
allocated() {
	echo $(($(du -k "$1" | cut -f1) * 1024))
}

# json_counter FILE NAME: a counter of ramflash's --stats JSON.
json_counter() {
	sed -n "s/^ *\"$2\": \([0-9]*\),\{0,1\}\$/\1/p" "$1"
}

step "4 GiB MLC NAND: start, erase whole, write, read back"
# shellcheck disable=SC2086 # geometry is a word list
start_ramflash mlc --type mlc-nand --size 4GiB $geometry --image /flash/mlc.img \
	--stats /tmp/mlc.json
expect_eq "MLC size" 4294967296 "$(mtd_attr "$MTD" size)"
expect_eq "MLC type" mlc-nand "$(mtd_attr "$MTD" type)"
expect_fail "ubiattach of MLC NAND" ubiattach -p "$MTD" -d 0
dmesg | grep -q "MLC NAND is not supported" ||
	fail "the kernel did not say why it refused UBI on MLC"
flash_erase -q "$MTD" 0 0
for at in 0 $((2048 * 524288)) $((8191 * 524288)); do
	random_file /tmp/mlc-$at.bin 524288
	nandwrite -q -s "$at" "$MTD" /tmp/mlc-$at.bin
	nanddump -q -s "$at" -l 524288 -f /tmp/mlc-$at.back "$MTD"
	expect_eq "MLC block at $at" "$(sum /tmp/mlc-$at.bin)" "$(sum /tmp/mlc-$at.back)"
done
echo "4 GiB MLC: ramflash VmHWM $(vmhwm "$RAMFLASH_PID") KiB, image holds $(allocated /flash/mlc.img) bytes"
stop_ramflash
start_ramflash mlc --image /flash/mlc.img
for at in 0 $((2048 * 524288)) $((8191 * 524288)); do
	nanddump -q -s "$at" -l 524288 -f /tmp/mlc-$at.back "$MTD"
	expect_eq "MLC block at $at after a restart" "$(sum /tmp/mlc-$at.bin)" \
		"$(sum /tmp/mlc-$at.back)"
done
expect_eq "erased MLC flash reads 0xff" \
	"$(head -c 524288 /dev/zero | tr '\0' '\377' | sha256sum | cut -d' ' -f1)" \
	"$(nanddump -q -s $((4000 * 524288)) -l 524288 "$MTD" | sha256sum | cut -d' ' -f1)"
stop_ramflash
written=$(json_counter /tmp/mlc.json write_bytes)
expect_eq "bytes programmed into the MLC" $((3 * 524288)) "$written"
held=$(allocated /flash/mlc.img)
limit=$((written + 8192 * 128 + 65536))
[ "$held" -le "$limit" ] ||
	fail "the 4 GiB MLC image holds $held bytes for $written written (limit $limit)"
echo "ok: the 4 GiB MLC image holds $held bytes for $written bytes written"
rm /flash/mlc.img

step "16 GiB NAND: UBI, UBIFS, 64 MiB of files"
# shellcheck disable=SC2086
start_ramflash big --type nand --size 16GiB $geometry --image /flash/big.img \
	--stats /tmp/big.json --threads 2
expect_eq "NAND size" 17179869184 "$(mtd_attr "$MTD" size)"
ubifs_up "$MTD" data /mnt/data
df -k /mnt/data | tail -n 1
i=0
while [ "$i" -lt 64 ]; do
	mkdir -p "/mnt/data/d$((i % 8))"
	random_file "/mnt/data/d$((i % 8))/f$i" 1048576
	i=$((i + 1))
done
sync
(cd /mnt/data && find . -type f | sort | xargs sha256sum) >/tmp/before.sha256
expect_eq "files written" 64 "$(wc -l </tmp/before.sha256)"
hwm=$(vmhwm "$RAMFLASH_PID")
ubi_down /mnt/data
stop_ramflash

step "what the 16 GiB chip cost"
written=$(json_counter /tmp/big.json write_bytes)
erases=$(json_counter /tmp/big.json erases)
held=$(allocated /flash/big.img)
echo "programmed: $written bytes in-band (UBI headers, UBIFS, 64 MiB of files), $erases block erases"
# The image is on tmpfs, so ramflash granted every block for kernel
# program: the chip's writes are the kernel's own, and write_bytes counts
# them (4 KiB subpages here).
kernel_programs=$(json_counter /tmp/big.json kernel_programs)
echo "of which the kernel programmed itself: $((kernel_programs * 4096)) bytes"
[ "${kernel_programs:-0}" -gt 0 ] ||
	fail "no write to the 16 GiB chip went through kernel program"
echo "image: $held bytes allocated (du) of $(stat -c %s /flash/big.img) apparent"
echo "ramflash peak RSS (VmHWM): $hwm KiB"
limit=$((written + blocks_16g * 128 + 65536))
[ "$held" -le "$limit" ] ||
	fail "the image holds $held bytes for $written written (limit $limit)"
echo "ok: image <= written + 128 B per block ($held <= $limit)"
limit_kib=$((48 * 1024 + blocks_16g * 256 / 1024))
[ "$hwm" -le "$limit_kib" ] ||
	fail "ramflash peaked at $hwm KiB (limit $limit_kib KiB)"
echo "ok: peak RSS <= 48 MiB + 256 B per block ($hwm <= $limit_kib KiB)"

step "restart from the image, read back by checksum"
start_ramflash big --image /flash/big.img
ubi_reattach "$MTD"
ubifs_mount data /mnt/data
(cd /mnt/data && find . -type f | sort | xargs sha256sum) >/tmp/after.sha256
if ! cmp -s /tmp/before.sha256 /tmp/after.sha256; then
	diff /tmp/before.sha256 /tmp/after.sha256 || true
	fail "files differ after the restart"
fi
echo "ok: all 64 files identical after the restart"
echo "ramflash peak RSS after the restart and the reads: $(vmhwm "$RAMFLASH_PID") KiB"
ubi_down /mnt/data
stop_ramflash
umount /flash
rmmod muse
