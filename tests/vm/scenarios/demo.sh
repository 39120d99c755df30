#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The main job, shown to a person: ramflash serves a NAND flash to the real
# kernel through /dev/muse, UBI and UBIFS go on top, files are written and
# read back, and what happened is printed: the geometry the kernel sees,
# throughput of the raw MTD and of UBIFS, and the erase counts from
# ramflash's --stats JSON; its --stats-svg picture goes to the host
# (export_file), where tests/vm/demo.sh saves it and prints its path.
. /scenarios/lib.sh

require_bin ramflash
load_ubifs_stack
load_muse

img=/tmp/demo.img
stats=/tmp/demo-stats.json
svg=/tmp/demo-chip.svg
files=24
file_kib=256

# elapsed_cs: centiseconds since boot (busybox date has no sub-second
# format, /proc/uptime has hundredths).
elapsed_cs() {
	sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/' /proc/uptime
}

# rate KIB CENTISECONDS: "N.N MiB/s"
rate() {
	awk -v kib="$1" -v cs="$2" 'BEGIN {
		if (cs < 1) cs = 1
		printf "%.1f MiB/s", kib / 1024 / (cs / 100)
	}'
}

step "ramflash: 32 MiB SLC NAND, 2 KiB pages, 128 KiB eraseblocks, 64 B OOB"
start_ramflash demo --type nand --size 32MiB --page-size 2048 \
	--erase-size 128KiB --oob-size 64 --image "$img" --stats "$stats" \
	--stats-svg "$svg" --threads 2
echo "--- /proc/mtd"
cat /proc/mtd
echo "--- mtdinfo $MTD"
mtdinfo "$MTD"
echo "--- the module's kernel log about this device"
dmesg | sed -n 's/^\[[^]]*\] \(muse: demo: .*\)/\1/p'

step "raw MTD throughput"
t0=$(elapsed_cs)
flash_erase -q "$MTD" 0 0
t1=$(elapsed_cs)
head -c $((8 * 1024 * 1024)) /dev/urandom >/tmp/raw.bin
t2=$(elapsed_cs)
nandwrite -q "$MTD" /tmp/raw.bin
t3=$(elapsed_cs)
nanddump -q -l $((8 * 1024 * 1024)) -f /tmp/raw.out "$MTD"
t4=$(elapsed_cs)
expect_eq "8 MiB written raw and read back" "$(sum /tmp/raw.bin)" "$(sum /tmp/raw.out)"
echo "erase 32 MiB: $(rate 32768 $((t1 - t0)))"
echo "nandwrite 8 MiB: $(rate 8192 $((t3 - t2)))"
echo "nanddump 8 MiB: $(rate 8192 $((t4 - t3)))"
rm -f /tmp/raw.bin /tmp/raw.out

step "UBI + UBIFS"
ubifs_up "$MTD" demo /mnt/demo
ubinfo -d 0 | sed -n 's/^\(Amount of\|Count of\)/  &/p'
mkdir -p /tmp/src

i=0
while [ "$i" -lt "$files" ]; do
	head -c $((file_kib * 1024)) /dev/urandom >/tmp/src/file$i
	i=$((i + 1))
done
(cd /tmp/src && sha256sum file*) >/tmp/src.sha256
t0=$(elapsed_cs)
cp /tmp/src/file* /mnt/demo/
sync
t1=$(elapsed_cs)
umount /mnt/demo
ubifs_mount demo /mnt/demo
t2=$(elapsed_cs)
(cd /mnt/demo && sha256sum file*) >/tmp/dst.sha256
t3=$(elapsed_cs)
expect_eq "$files files of $file_kib KiB read back from UBIFS" \
	"$(sum /tmp/src.sha256)" "$(sum /tmp/dst.sha256)"
echo "UBIFS write+sync $((files * file_kib)) KiB: $(rate $((files * file_kib)) $((t1 - t0)))"
echo "UBIFS read (after remount) $((files * file_kib)) KiB: $(rate $((files * file_kib)) $((t3 - t2)))"
df -k /mnt/demo | tail -n 1 | awk '{ printf "UBIFS: %d KiB used of %d KiB\n", $3, $2 }'
ubi_down /mnt/demo

step "stop ramflash: its report, its --stats JSON and its --stats-svg picture"
stop_ramflash
cat "$RAMFLASH_LOG"
[ -s "$stats" ] || fail "ramflash wrote no $stats"
# One counter per line, without the per-block arrays.
tr ',{' '\n\n' <"$stats" | sed -n 's/^ *"\([a-z_]*\)": *\([0-9][0-9]*\) *}*$/  \1 = \2/p'
tr -d ' \n' <"$stats" | sed -n 's/.*"erase_counts":\[\([0-9,]*\)\].*/\1/p' |
	tr ',' '\n' | awk '
	{ n++; s += $1; if (n == 1 || $1 < min) min = $1; if ($1 > max) max = $1 }
	END {
		if (n == 0) { print "no erase_counts in the stats"; exit 1 }
		printf "erase counts over %d blocks: min %d, avg %.1f, max %d, total %d\n", n, min, s / n, max, s
	}' || fail "no erase_counts array in $stats"
echo "image: $(wc -c <"$img") bytes"
# One cell per eraseblock, as many marked bad as the JSON lists.
expect_eq "cells in the picture" $((32 * 8)) "$(grep -c '<rect class="block ' "$svg")"
expect_eq "bad blocks in the picture" \
	"$(tr '{' '\n' <"$stats" | grep -c '"reason"' || true)" \
	"$(grep -c '<rect class="block bad ' "$svg" || true)"
echo "picture: $(wc -c <"$svg") bytes"
export_file "$svg" demo-chip.svg
