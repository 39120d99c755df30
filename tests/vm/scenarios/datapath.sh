#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The data path through /dev/mtdN: flash_erase, nandwrite, nanddump (with
# and without OOB), mtd_debug and plain unaligned reads give back exactly
# what was written; nandtest passes; what was written is in ramflash's
# image after it exits (a second ramflash on the image serves it again).
# A NOR device served at the same time checks the byte-granular path, an
# MLC one that errors reach the caller, and a --compat (MUSE v2) server the
# protocol without extensions.
. /scenarios/lib.sh

require_bin ramflash
load_modules mtd
load_muse

page=2048
oob=64
block=131072
img=/tmp/nand.img

step "NAND: 4 MiB, 2 KiB pages, 128 KiB blocks, 64 B OOB"
start_ramflash nand --type nand --size 4MiB --page-size $page \
	--erase-size 128KiB --oob-size $oob --image "$img" --threads 4
nand=$MTD
flash_erase -q "$nand" 0 0
expect_eq "erased flash reads 0xff" \
	"$(head -c $block /dev/zero | tr '\0' '\377' | sha256sum | cut -d' ' -f1)" \
	"$(dd if="$nand" bs=$block count=1 2>/dev/null | sha256sum | cut -d' ' -f1)"

step "nandwrite / nanddump, in-band only"
random_file /tmp/data.bin $((2 * block))
nandwrite -q "$nand" /tmp/data.bin
nanddump -q -l $((2 * block)) -f /tmp/data.out "$nand"
expect_eq "2 blocks via nandwrite/nanddump" "$(sum /tmp/data.bin)" "$(sum /tmp/data.out)"

step "unaligned reads through read(2)"
# 1000-byte reads starting 3000 bytes in: every request crosses pages.
dd if="$nand" of=/tmp/unaligned.out bs=1000 skip=3 count=200 2>/dev/null
dd if=/tmp/data.bin of=/tmp/unaligned.ref bs=1000 skip=3 count=200 2>/dev/null
expect_eq "unaligned dd read" "$(sum /tmp/unaligned.ref)" "$(sum /tmp/unaligned.out)"

step "nandwrite -o / nanddump -o, data and OOB"
# Page + OOB records.  The first two OOB bytes stay 0xff: they are the
# bad-block marker of the first page.
pages=$((block / page))
: >/tmp/oob.bin
i=0
while [ "$i" -lt "$pages" ]; do
	head -c $page /dev/urandom >>/tmp/oob.bin
	printf '\377\377' >>/tmp/oob.bin
	head -c $((oob - 2)) /dev/urandom >>/tmp/oob.bin
	i=$((i + 1))
done
flash_erase -q "$nand" $((2 * block)) 1
nandwrite -q -o -s $((2 * block)) "$nand" /tmp/oob.bin
nanddump -q -o -s $((2 * block)) -l $block -f /tmp/oob.out "$nand"
expect_eq "one block with OOB" "$(sum /tmp/oob.bin)" "$(sum /tmp/oob.out)"
nanddump -q -s $((2 * block)) -l $block -f /tmp/oob-data.out "$nand"
i=0
: >/tmp/oob-data.ref
while [ "$i" -lt "$pages" ]; do
	dd if=/tmp/oob.bin bs=$((page + oob)) skip=$i count=1 2>/dev/null |
		head -c $page >>/tmp/oob-data.ref
	i=$((i + 1))
done
expect_eq "the same block without OOB" "$(sum /tmp/oob-data.ref)" "$(sum /tmp/oob-data.out)"

step "mtd_debug erase / write / read"
random_file /tmp/dbg.bin $block
mtd_debug erase "$nand" $((3 * block)) $block >/dev/null
mtd_debug write "$nand" $((3 * block)) $block /tmp/dbg.bin >/dev/null
mtd_debug read "$nand" $((3 * block)) $block /tmp/dbg.out >/dev/null
expect_eq "mtd_debug round trip" "$(sum /tmp/dbg.bin)" "$(sum /tmp/dbg.out)"

step "concurrent readers and large reads"
# Four readers at once, each over its own two blocks, with 64 KiB read(2)s:
# requests of several pages are in flight together and answered by
# ramflash's worker threads in any order.
flash_erase -q "$nand" $((4 * block)) 8
random_file /tmp/conc.bin $((8 * block))
nandwrite -q -s $((4 * block)) "$nand" /tmp/conc.bin
readers=
for r in 0 1 2 3; do
	dd if="$nand" of=/tmp/conc.out$r bs=65536 skip=$(((4 + 2 * r) * 2)) count=4 2>/dev/null &
	readers="$readers $!"
done
for pid in $readers; do
	wait "$pid" || fail "a concurrent reader failed"
done
for r in 0 1 2 3; do
	dd if=/tmp/conc.bin of=/tmp/conc.ref$r bs=65536 skip=$((2 * r * 2)) count=4 2>/dev/null
	expect_eq "concurrent reader $r" "$(sum /tmp/conc.ref$r)" "$(sum /tmp/conc.out$r)"
done
dd if="$nand" of=/tmp/large.out bs=$((4 * block)) skip=1 count=2 2>/dev/null
expect_eq "512 KiB read(2)s" "$(sum /tmp/conc.bin)" "$(sum /tmp/large.out)"

step "nandtest on 8 blocks"
nandtest -p 2 -s 7 -o $((16 * block)) -l $((8 * block)) "$nand" >/tmp/nandtest.log 2>&1 || {
	cat /tmp/nandtest.log
	fail "nandtest"
}
echo "ok: nandtest passed"

step "NOR at the same time: 1 MiB, 64 KiB sectors"
nand_pid=$RAMFLASH_PID
start_ramflash nor --type nor --size 1MiB --erase-size 64KiB
nor=$MTD
nor_pid=$RAMFLASH_PID
expect_eq "NOR type" nor "$(mtd_attr "$nor" type)"
flash_erase -q "$nor" 0 0
random_file /tmp/nor.bin 100001
mtd_debug write "$nor" 12345 100001 /tmp/nor.bin >/dev/null
mtd_debug read "$nor" 12345 100001 /tmp/nor.out >/dev/null
expect_eq "NOR unaligned write/read" "$(sum /tmp/nor.bin)" "$(sum /tmp/nor.out)"
stop_ramflash
RAMFLASH_PID=$nand_pid
MTD=$nand
[ "$nor_pid" != "$nand_pid" ] || fail "one ramflash served both devices"

step "the image after ramflash exits"
stop_ramflash
# doc/ramflash.md, image layout version 3: the data at data_off (header
# bytes 56..63), the OOB of every page at oob_off (bytes 64..71), every
# flash byte stored inverted.
data_off=$(od -An -t u8 -j 56 -N 8 "$img" | tr -d ' ')
oob_off=$(od -An -t u8 -j 64 -N 8 "$img" | tr -d ' ')
up=
down=
i=0
while [ "$i" -lt 256 ]; do
	up="$up\\$(printf %03o "$i")"
	down="$down\\$(printf %03o $((255 - i)))"
	i=$((i + 1))
done
invert() {
	tr "$up" "$down"
}
dd if="$img" bs=4096 skip=$((data_off / 4096)) count=$((2 * block / 4096)) 2>/dev/null |
	invert >/tmp/image-data
expect_eq "data in the image file" "$(sum /tmp/data.bin)" "$(sum /tmp/image-data)"
i=0
: >/tmp/image-oob
: >/tmp/oob-only.ref
while [ "$i" -lt "$pages" ]; do
	dd if=/tmp/oob.bin bs=1 skip=$((i * (page + oob) + page)) count=$oob 2>/dev/null >>/tmp/oob-only.ref
	i=$((i + 1))
done
dd if="$img" bs=$oob skip=$((oob_off / oob + 2 * pages)) count=$pages 2>/dev/null | invert >/tmp/image-oob
expect_eq "OOB in the image file" "$(sum /tmp/oob-only.ref)" "$(sum /tmp/image-oob)"
start_ramflash nand --type nand --size 4MiB --page-size $page \
	--erase-size 128KiB --oob-size $oob --image "$img"
nanddump -q -l $((2 * block)) -f /tmp/data.again "$MTD"
expect_eq "data from the image" "$(sum /tmp/data.bin)" "$(sum /tmp/data.again)"
nanddump -q -o -s $((2 * block)) -l $block -f /tmp/oob.again "$MTD"
expect_eq "data and OOB from the image" "$(sum /tmp/oob.bin)" "$(sum /tmp/oob.again)"
stop_ramflash

step "errors reach the caller: MLC reprogram, injected erase and program failures"
start_ramflash errs --type mlc-nand --size 2MiB --page-size 4096 \
	--erase-size 256KiB --oob-size 224 --fail-erase 2 --fail-program 3
mlc_block=262144
flash_erase -q "$MTD" 0 2
random_file /tmp/mlc.bin 4096
mtd_debug write "$MTD" 0 4096 /tmp/mlc.bin >/dev/null
expect_fail "a second program of an MLC page" \
	mtd_debug write "$MTD" 0 4096 /tmp/mlc.bin
mtd_debug read "$MTD" 0 4096 /tmp/mlc.out >/dev/null
expect_eq "the page after the refused reprogram" "$(sum /tmp/mlc.bin)" "$(sum /tmp/mlc.out)"
expect_fail "erase of a block with --fail-erase" \
	mtd_debug erase "$MTD" $((2 * mlc_block)) $mlc_block
expect_fail "program in a block with --fail-program" \
	mtd_debug write "$MTD" $((3 * mlc_block)) 4096 /tmp/mlc.bin
stop_ramflash

step "a MUSE v2 server (--compat): no OOB, one page per request"
start_ramflash v2 --compat --type nand --size 4MiB --page-size $page \
	--erase-size 128KiB --oob-size 0
expect_eq "v2 oobsize" 0 "$(mtd_attr "$MTD" oobsize)"
expect_eq "v2 writesize" $page "$(mtd_attr "$MTD" writesize)"
flash_erase -q "$MTD" 0 2
nandwrite -q "$MTD" /tmp/data.bin
nanddump -q -l $((2 * block)) -f /tmp/v2.out "$MTD"
expect_eq "v2 nandwrite/nanddump" "$(sum /tmp/data.bin)" "$(sum /tmp/v2.out)"
dd if="$MTD" of=/tmp/v2-unaligned.out bs=1000 skip=3 count=200 2>/dev/null
expect_eq "v2 unaligned dd read" "$(sum /tmp/unaligned.ref)" "$(sum /tmp/v2-unaligned.out)"
stop_ramflash
rmmod muse
